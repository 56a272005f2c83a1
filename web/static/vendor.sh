#!/usr/bin/env bash
# Re-vendors the UI's third-party assets from the npm registry into
# web/static/vendor: htmx 2.x, Chart.js 4.x and the Vazirmatn webfont (OFL),
# each with its licence. They are committed and embedded in the binary
# (go:embed), so running Gomato needs no build step and no network.
# Usage: bash web/static/vendor.sh   (needs npm; pins below)
set -euo pipefail

HTMX=2.0.11
CHARTJS=4.5.1
VAZIRMATN=33.0.3

here=$(cd "$(dirname "$0")" && pwd)
out=$here/vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cd "$work"
npm pack --silent "htmx.org@$HTMX" "chart.js@$CHARTJS" "vazirmatn@$VAZIRMATN" >/dev/null
for f in *.tgz; do mkdir -p "${f%.tgz}"; tar xzf "$f" -C "${f%.tgz}"; done

rm -rf "$out"
mkdir -p "$out/htmx" "$out/chartjs" "$out/vazirmatn"

cp "htmx.org-$HTMX/package/dist/htmx.min.js" "$out/htmx/htmx.min.js"
cp "htmx.org-$HTMX/package/LICENSE" "$out/htmx/LICENSE"

cp "chart.js-$CHARTJS/package/dist/chart.umd.min.js" "$out/chartjs/chart.umd.min.js"
cp "chart.js-$CHARTJS/package/LICENSE.md" "$out/chartjs/LICENSE.md"

# The variable font covers every weight in one file; the brackets of its
# original name are dropped so the URL needs no escaping.
cp "vazirmatn-$VAZIRMATN/package/fonts/webfonts/Vazirmatn[wght].woff2" "$out/vazirmatn/Vazirmatn-Variable.woff2"
cp "vazirmatn-$VAZIRMATN/package/OFL.txt" "$out/vazirmatn/OFL.txt"
cp "vazirmatn-$VAZIRMATN/package/AUTHORS.txt" "$out/vazirmatn/AUTHORS.txt"

cat > "$out/VERSIONS" <<V
htmx.org $HTMX (0BSD) from the npm registry
chart.js $CHARTJS (MIT) from the npm registry
vazirmatn $VAZIRMATN (SIL OFL 1.1) from the npm registry
V
echo "vendored into $out:"
find "$out" -type f | sort | sed "s|$here/||"
