#!/usr/bin/env bash
# The web UI's end-to-end tests drive Debian's Chromium through its ChromeDriver; install
# both when missing (idempotent: returns at once when they are there).
# Persian glyphs come from the UI's own vendored Vazirmatn woff2, so no font package is needed.
set -euo pipefail
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-browser: installing chromium and chromium-driver with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  # Only refresh the package lists when apt does not know the package yet (a fresh machine).
  if ! apt-cache show chromium-driver >/dev/null 2>&1; then
    apt-get update -qq
  fi
  if ! apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
  fi
  exit 0
fi
echo "ensure-browser: Chromium is not installed. Install it with: sudo apt-get install -y chromium chromium-driver" >&2
exit 1
