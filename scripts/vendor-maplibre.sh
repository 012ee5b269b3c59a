#!/usr/bin/env bash
# Vendors MapLibre GL JS (npm maplibre-gl) into services/web/assets/vendor/maplibre-gl: the
# minified UMD build and its stylesheet, with the licence. The files are embedded in the `ban`
# binary, so nothing is fetched at build or run time; run this again to change the version.
#   scripts/vendor-maplibre.sh [VERSION]
set -euo pipefail

VERSION="${1:-5.24.1}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/services/web/assets/vendor/maplibre-gl"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

(cd "$WORK" && npm pack --silent "maplibre-gl@$VERSION" >/dev/null && tar xzf maplibre-gl-*.tgz)
DIST="$WORK/package/dist"

rm -rf "$DEST"
mkdir -p "$DEST"
cp "$DIST/maplibre-gl.js" "$DIST/maplibre-gl.css" "$DEST/"
# The bundle ends with a link to its source map, which is not vendored (6 MB): drop the link
# so that browsers' developer tools do not ask for it.
sed -i '/^\/\/# sourceMappingURL=/d' "$DEST/maplibre-gl.js"
cp "$WORK/package/LICENSE.txt" "$DEST/LICENSE.txt"
cat > "$DEST/README.md" <<README
# MapLibre GL JS $VERSION (vendored)

npm package \`maplibre-gl@$VERSION\`, fetched with \`npm pack\` by
\`scripts/vendor-maplibre.sh $VERSION\`: \`dist/maplibre-gl.js\` (the line pointing at its source
map removed) and \`dist/maplibre-gl.css\`, otherwise unchanged. Licence: BSD-3-Clause (see
LICENSE.txt, which also lists the licences of the code it bundles). Served by \`ban_web\` under
\`/static/{version}/vendor/maplibre-gl/\`.
README
echo "vendored maplibre-gl@$VERSION into $DEST ($(find "$DEST" -type f | wc -l) files, $(du -sh "$DEST" | cut -f1))"
