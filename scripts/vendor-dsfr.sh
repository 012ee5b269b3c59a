#!/usr/bin/env bash
# Vendors the French State design system (npm @gouvfr/dsfr) into services/web/assets/vendor/dsfr:
# only what the pages use (the minified CSS and JS of dist/, the fonts, the icons the CSS
# references, the favicon) and the licence. The files are embedded in the `ban` binary, so
# nothing is fetched at build or run time; run this again to change the version.
#   scripts/vendor-dsfr.sh [VERSION]
set -euo pipefail

VERSION="${1:-1.14.4}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/services/web/assets/vendor/dsfr"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

(cd "$WORK" && npm pack --silent "@gouvfr/dsfr@$VERSION" >/dev/null && tar xzf gouvfr-dsfr-*.tgz)
DIST="$WORK/package/dist"

rm -rf "$DEST"
mkdir -p "$DEST/fonts" "$DEST/favicon"
cp "$DIST/dsfr.min.css" "$DIST/dsfr.module.min.js" "$DIST/dsfr.nomodule.min.js" "$DEST/"
cp "$DIST"/fonts/*.woff2 "$DIST"/fonts/*.woff "$DEST/fonts/"
cp "$DIST/favicon/favicon.svg" "$DIST/favicon/favicon.ico" "$DIST/favicon/apple-touch-icon.png" "$DEST/favicon/"
# The icons the stylesheet points at (url(icons/…)), and no others.
grep -o 'url(icons/[^)]*)' "$DEST/dsfr.min.css" | sed 's/^url(//; s/)$//' | sort -u | while read -r icon; do
  mkdir -p "$DEST/$(dirname "$icon")"
  cp "$DIST/$icon" "$DEST/$icon"
done
cp "$WORK/package/LICENSE.md" "$DEST/LICENSE.md"
cat > "$DEST/README.md" <<README
# DSFR $VERSION (vendored)

The French State design system, npm package \`@gouvfr/dsfr@$VERSION\`, fetched with
\`npm pack\` by \`scripts/vendor-dsfr.sh $VERSION\`: \`dist/dsfr.min.css\`, \`dist/dsfr.module.min.js\`,
\`dist/dsfr.nomodule.min.js\`, the fonts (Marianne, Spectral), the icons the stylesheet references and
the favicon, unchanged. Licence: MIT, except the Marianne font, whose use is reserved to the
French State's sites (see LICENSE.md). Served by \`ban_web\` under \`/static/dsfr/\`.
README
echo "vendored @gouvfr/dsfr@$VERSION into $DEST ($(find "$DEST" -type f | wc -l) files, $(du -sh "$DEST" | cut -f1))"
