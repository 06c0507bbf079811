#!/usr/bin/env bash
# Re-copies the web UI's vendored libraries and font from the npm registry (a maintainer's
# tool, never run at build or run time). Bump the versions here and in static/vendor/VERSIONS.md.
set -euo pipefail
PREACT=10.29.8 HTM=3.1.1 JALAALI=2.0.1 VAZIRMATN=33.0.3
HERE=$(cd "$(dirname "$0")" && pwd)
VENDOR=$HERE/static/vendor FONTS=$HERE/static/fonts
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
npm pack --silent "preact@$PREACT" "htm@$HTM" "jalaali-js@$JALAALI" "vazirmatn@$VAZIRMATN" >/dev/null
for f in *.tgz; do mkdir "${f%.tgz}"; tar xzf "$f" -C "${f%.tgz}"; done
cp "preact-$PREACT/package/dist/preact.module.js" "$VENDOR/preact.module.js"
sed 's#from"preact"#from"./preact.module.js"#' "preact-$PREACT/package/hooks/dist/hooks.module.js" > "$VENDOR/preact-hooks.module.js"
cp "preact-$PREACT/package/LICENSE" "$VENDOR/LICENSE.preact"
cp "htm-$HTM/package/dist/htm.module.js" "$VENDOR/htm.module.js"
cp "htm-$HTM/package/LICENSE" "$VENDOR/LICENSE.htm"
cp "jalaali-js-$JALAALI/package/dist/index.js" "$VENDOR/jalaali.module.js"
cp "jalaali-js-$JALAALI/package/LICENSE" "$VENDOR/LICENSE.jalaali-js"
cp "vazirmatn-$VAZIRMATN"/package/fonts/webfonts/Vazirmatn-{Regular,Bold}.woff2 "$FONTS/"
cp "vazirmatn-$VAZIRMATN/package/OFL.txt" "$FONTS/OFL.txt"
sed -i '/sourceMappingURL/d' "$VENDOR"/*.js
if grep -q 'from"preact"' "$VENDOR/preact-hooks.module.js"; then
  echo "update-vendor: preact/hooks still imports the bare name 'preact'; fix the rewrite" >&2
  exit 1
fi
echo "update-vendor: done; check the UI and the e2e tests"
