#!/usr/bin/env bash
# Vendors axe-core (npm axe-core), the accessibility rules engine the browser tests inject into
# every page they visit (tests/web.rs), into tests/vendor/axe-core: its minified script and
# its licence. For the tests only: the pages never load it. Run this again to change the
# version.
#   scripts/vendor-axe.sh [VERSION]
set -euo pipefail

VERSION="${1:-4.14.1}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/tests/vendor/axe-core"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

(cd "$WORK" && npm pack --silent "axe-core@$VERSION" >/dev/null && tar xzf axe-core-*.tgz)
rm -rf "$DEST"
mkdir -p "$DEST"
cp "$WORK/package/axe.min.js" "$WORK/package/LICENSE" "$DEST/"
[ -f "$WORK/package/LICENSE-3RD-PARTY.txt" ] && cp "$WORK/package/LICENSE-3RD-PARTY.txt" "$DEST/"
cat > "$DEST/README.md" <<README
# axe-core $VERSION (vendored, for the tests)

The accessibility rules engine of Deque, npm package \`axe-core@$VERSION\`, fetched with
\`npm pack\` by \`scripts/vendor-axe.sh $VERSION\`: \`axe.min.js\` and its licence, unchanged.
Licence: MPL-2.0 (see LICENSE). The browser tests (\`tests/web.rs\`) inject it into each page
they visit and fail on any \`serious\` or \`critical\` violation; the pages never load it.
README
echo "vendored axe-core@$VERSION into $DEST ($(du -sh "$DEST" | cut -f1))"
