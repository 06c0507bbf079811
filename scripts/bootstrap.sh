#!/usr/bin/env bash
# Creates .venv with the pinned dependencies, puts the project's source roots on its path,
# and generates the gRPC code. Idempotent and quick when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

PY=${PYTHON:-}
if [ -z "$PY" ]; then
  for candidate in python3.11 python3.12 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
      PY=$candidate; break
    fi
  done
fi
if [ -z "$PY" ]; then
  echo "bootstrap: Python 3.11 or newer is needed (apt-get install -y python3 python3-venv)" >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv with $($PY --version)"
  if ! "$PY" -m venv .venv; then
    echo "bootstrap: could not create a virtual environment (apt-get install -y python3-venv)" >&2
    exit 1
  fi
fi

stamp=.venv/.requirements.sha256
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "bootstrap: installing pinned dependencies (requirements.txt)"
  # This machine's pip configuration names local mirrors that may be absent; pip warns
  # about each one. Keep the output readable, keep pip's exit status.
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade "pip==25.3" 2> >(grep -v "^WARNING: Location" >&2)
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt 2> >(grep -v "^WARNING: Location" >&2)
  echo "$want" > "$stamp"
fi

site=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
{
  echo "$ROOT/libs"
  for svc in customer policy campaign ticketing gateway; do echo "$ROOT/services/$svc"; done
  echo "$ROOT/gen"
} > "$site/peyvand.pth"

.venv/bin/python -m peyvand_runtime.protogen
