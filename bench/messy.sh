#!/usr/bin/env bash
# bench/messy.sh [OUTDIR] — accuracy on messy queries (glued numbers, number after the street,
# no street type, noise, qualified cities, homonyms, five-digit numbers), BAN Sync and addok
# side by side on the same generated base (bench/messy/gen_messy.py), with bench/geocoder.sh's
# machinery (ACCURACY_ONLY=1). Default OUTDIR: /tmp/messy-bench.
#
# Environment: MESSY_DATA [target/bench-messy] the generated dataset (made when missing);
# SEED [7] and PER_CLASS [300] for the generator; anything bench/geocoder.sh reads (SYSTEMS,
# BAN_BUILD, BAN_BIN…). Needs Debian's python3-pyproj (the shared generator) and what
# bench/geocoder.sh needs.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
OUT="${1:-/tmp/messy-bench}"
MESSY_DATA="${MESSY_DATA:-$ROOT/target/bench-messy}"
if [ ! -f "$MESSY_DATA/queries.tsv" ]; then
  python3 -c 'import pyproj' 2>/dev/null || apt-get install -y -q python3-pyproj >/dev/null
  /usr/bin/python3 "$ROOT/bench/messy/gen_messy.py" "$MESSY_DATA" --seed "${SEED:-7}" --per-class "${PER_CLASS:-300}"
fi
# The generated files carry a few positions the spatial checks refuse (far outside their
# commune): those rows are dropped, not their whole commune, so that both hold the same base.
DATA="$MESSY_DATA" ACCURACY_ONLY=1 ACC_LIMIT=100000 BAN_BAL=raw BAN_IMPORT_ARGS=--drop-invalid-rows \
  GEOCODER_WAIT="${GEOCODER_WAIT:-180}" \
  "$ROOT/bench/geocoder.sh" "$OUT" > /dev/null
python3 - "$OUT" <<'PY' | tee "$OUT/messy-table.txt"
import json, os, sys
out = sys.argv[1]
classes = ["glued", "number_after", "no_type", "noise", "qualified", "homonym", "five_digit"]
acc = {}
for system in ("addok", "ban"):
    path = os.path.join(out, system, "accuracy.json")
    if os.path.exists(path):
        acc[system] = json.load(open(path))["forward"]["accuracy"]
systems = [s for s in ("addok", "ban") if s in acc]
names = {"addok": "addok", "ban": "BAN Sync"}
print("| class (queries) | " + " | ".join(names[s] + " top-1 id" for s in systems) + " |")
print("|---|" + "---:|" * len(systems))
def row(key, title):
    n = next((acc[s][key]["n"] for s in systems if key in acc[s]), 0)
    cells = ["{:.1f} %".format(100 * acc[s][key]["top1_id"]) if key in acc[s] else "n/a" for s in systems]
    print("| {} ({}) | {} |".format(title, n, " | ".join(cells)))
for c in classes:
    row("label=" + c, "**{}**".format(c))
    variants = sorted({k for s in systems for k in acc[s] if k.startswith("label={}:".format(c))})
    for key in variants:
        row(key, "&nbsp;&nbsp;" + key.split(":", 1)[1])
row("all", "**all**")
PY
