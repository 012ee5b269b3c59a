#!/usr/bin/env bash
# The nom AFNOR of libs/exports against the npm package @etalab/normadresse 1.2.0, name for
# name: the real names of ../shared/data plus names composed from the package's tables
# (names.py), COUNT in all (505,000 by default).
#
#     bench/afnor/check.sh [COUNT] [WORKDIR]
#
# Needs node and npm (the package and lodash are fetched with `npm pack` / `npm install` into
# WORKDIR, default /tmp/afnor-check), python3 and cargo. Prints the number of names, of
# differences (the first ones shown) and of names where the package throws a TypeError
# (`nom_afnor` keeps the string there, see libs/exports/src/afnor.rs); exits 1 on a difference.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
count=${1:-505000}
work=${2:-/tmp/afnor-check}
shared=${SHARED:-$root/../shared}
mkdir -p "$work"
cd "$work"
if [ ! -d node_modules/@etalab/normadresse ]; then
  npm install --no-save --no-audit --no-fund --ignore-scripts @etalab/normadresse@1.2.0 >/dev/null
fi
if [ ! -s "names-$count.txt" ]; then
  python3 "$root/bench/afnor/names.py" "$shared/data" node_modules/@etalab/normadresse/rules.json "$count" \
    > "names-$count.txt"
fi
node "$root/bench/afnor/normadresse.js" < "names-$count.txt" > expected.txt
(cd "$root" && cargo run -q --release -p ban-exports --example nom_afnor) < "names-$count.txt" > got.txt
python3 - "names-$count.txt" expected.txt got.txt <<'PY'
import sys
names, expected, got = (open(p, encoding="utf-8").read().split("\n")[:-1] for p in sys.argv[1:4])
assert len(names) == len(expected) == len(got), (len(names), len(expected), len(got))
throws = sum(e == "!TypeError" for e in expected)
diff = [(n, e, g) for n, e, g in zip(names, expected, got) if e != g and e != "!TypeError"]
print(f"{len(names)} names: {len(diff)} differences, {throws} where the package throws")
for n, e, g in diff[:20]:
    print(f"  {n!r}: package {e!r}, ours {g!r}")
sys.exit(1 if diff else 0)
PY
