#!/usr/bin/env bash
# Installs what the offline checks of deploy/ need (tests/integration/deploy), when missing:
#   promtool        apt: prometheus        (check config, check rules, test rules)
#   docker-compose  apt: docker-compose    (config -q validates the compose file without an engine)
#   kubernetes-validate  PyPI, pinned, in its own venv .venv-tools/ (never in requirements.txt)
# Kustomize: `kubectl kustomize` when kubectl is installed (Debian 12 packages neither kubectl
# nor kustomize); otherwise deploy/k8s/render.py renders the subset deploy/k8s uses.
# Idempotent: a second run installs nothing and takes well under a second.
# Exit codes: 0 all present; 1 something is missing and could not be installed; 3 missing
# and not root (cannot install: the tests skip with this script's message).
set -uo pipefail
cd "$(dirname "$0")/.."

KUBERNETES_VALIDATE_VERSION=1.37.0
TOOLS_VENV=.venv-tools
start=$(date +%s)
missing_apt=()
command -v promtool >/dev/null 2>&1 || missing_apt+=(prometheus)
command -v docker-compose >/dev/null 2>&1 || missing_apt+=(docker-compose)

if [ ${#missing_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-deploy-tools: missing ${missing_apt[*]}; install as root: apt-get install -y --no-install-recommends ${missing_apt[*]}" >&2
    exit 3
  fi
  echo "ensure-deploy-tools: apt-get install ${missing_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Wait for another apt/dpkg run (unattended-upgrades, a parallel CI job) rather than fail on its lock.
  apt_install() { apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 "${missing_apt[@]}"; }
  # A dpkg killed mid-install (a machine restart) leaves "dpkg was interrupted": every later apt-get
  # refuses until `dpkg --configure -a` finishes the half-done packages, so do that first.
  if [ -n "$(ls -A /var/lib/dpkg/updates 2>/dev/null)" ] || ! dpkg --audit >/dev/null 2>&1 || [ -n "$(dpkg --audit 2>/dev/null)" ]; then
    echo "ensure-deploy-tools: dpkg was left half-done; dpkg --configure -a"
    dpkg --configure -a >/dev/null 2>&1 || apt-get -f install -y -qq -o DPkg::Lock::Timeout=300 >/dev/null 2>&1 || true
  fi
  # Update the package lists only when the install cannot find the packages.
  if ! apt_install >/dev/null 2>&1; then
    apt-get update -qq -o DPkg::Lock::Timeout=300 && apt_install >/dev/null || {
      echo "ensure-deploy-tools: apt-get install ${missing_apt[*]} failed" >&2
      exit 1
    }
  fi
fi

if [ ! -x "$TOOLS_VENV/bin/kubernetes-validate" ] || [ "$("$TOOLS_VENV/bin/kubernetes-validate" --version 2>/dev/null)" != "$KUBERNETES_VALIDATE_VERSION" ]; then
  echo "ensure-deploy-tools: kubernetes-validate==$KUBERNETES_VALIDATE_VERSION into $TOOLS_VENV/"
  PY=python3
  [ -x .venv/bin/python ] && PY=.venv/bin/python
  base_py=$("$PY" -c 'import sys; print(getattr(sys, "_base_executable", sys.executable))')
  { [ -x "$TOOLS_VENV/bin/python" ] || "$base_py" -m venv "$TOOLS_VENV"; } &&
    "$TOOLS_VENV/bin/python" -m pip install --quiet --disable-pip-version-check "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" || {
      echo "ensure-deploy-tools: pip install kubernetes-validate==$KUBERNETES_VALIDATE_VERSION failed" >&2
      exit 1
    }
fi

if command -v kubectl >/dev/null 2>&1 && kubectl kustomize --help >/dev/null 2>&1; then
  kustomize="kubectl kustomize"
else
  kustomize="deploy/k8s/render.py (no kubectl)"
fi
echo "ensure-deploy-tools: ready in $(( $(date +%s) - start ))s: $(promtool --version 2>&1 | head -1 | cut -d' ' -f1-3), $(docker-compose version --short 2>/dev/null || echo docker-compose), kubernetes-validate $("$TOOLS_VENV/bin/kubernetes-validate" --version), kustomize: $kustomize"
