#!/usr/bin/env bash
# Side-by-side benchmark of `ban validate` and the reference BAL validator
# (@ban-team/validateur-bal 3.5.2, installed from npm by ../shared/bench), in one run,
# on the same files: a 52 k-row synthetic commune (Nice, with planted defects), its clean
# twin, and the real-derived Nouméa file (22.8 k rows).
#
# usage: bench/validate.sh [RUNS]        (from the project root; needs ../shared)
# Prints one line per file and system: rows/s and peak RSS (median of RUNS), then the ratios.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PEERS="$SHARED/bench"
RUNS="${1:-5}"
TMP="$(bench_tmp validate)"

[ -d "$PEERS/validateur-bal/node_modules/@ban-team/validateur-bal" ] || "$PEERS/validateur-bal/setup.sh" >&2
[ -x "$PEERS/gen/.venv/bin/python" ] || "$PEERS/gen/setup.sh" >&2
PY="$PEERS/gen/.venv/bin/python"
[ -f "$TMP/defects/bal/06/06088.csv" ] || "$PY" "$PEERS/gen/gen_bal.py" "$TMP/defects" --communes 06088 >/dev/null 2>&1
[ -f "$TMP/clean/bal/06/06088.csv" ] || "$PY" "$PEERS/gen/gen_bal.py" "$TMP/clean" --communes 06088 --defects '' >/dev/null 2>&1
[ -x "$ROOT/target/release/ban" ] || (cd "$ROOT" && cargo build --release -p ban >&2)

FILES=("$TMP/defects/bal/06/06088.csv" "$TMP/clean/bal/06/06088.csv"
       "$ROOT/../shared/data/real-bal-derived/988-nouvelle-caledonie/98818_noumea.csv")

measure() { # system file -> "wall_s rss_kb internal_ms valid"
  local system="$1" file="$2"
  if [ "$system" = reference ]; then
    /usr/bin/time -f "%e %M" -o "$TMP/time" node "$PEERS/validateur-bal/validate.mjs" "$file" --compact --rows none > "$TMP/out.json" || true
  else
    /usr/bin/time -f "%e %M" -o "$TMP/time" "$ROOT/target/release/ban" validate --format json "$file" > "$TMP/out.json" || true
  fi
  python3 - "$TMP/time" "$TMP/out.json" <<'PY'
import json, sys
wall, rss = open(sys.argv[1]).read().split()[-2:]
out = json.load(open(sys.argv[2]))
internal = out.get("timingMs", {}).get("validate", "")
print(wall, rss, internal, out["valid"], ",".join(sorted(out.get("errors", []))))
PY
}

printf '%-44s %-9s %8s %7s %10s %12s %9s %s\n' file system rows wall_s validate_s rows_per_s peak_MB verdict
for f in "${FILES[@]}"; do
  rows=$(($(wc -l < "$f") - 1))
  for system in reference ban; do
    results=()
    for _ in $(seq "$RUNS"); do results+=("$(measure "$system" "$f")"); done
    printf '%s\n' "${results[@]}" | python3 -c '
import sys, statistics
system, name, rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
runs = [l.split(" ", 4) for l in sys.stdin.read().splitlines()]
wall = statistics.median(float(r[0]) for r in runs)
rss = statistics.median(int(r[1]) for r in runs) / 1024
internal = [float(r[2]) for r in runs if r[2]]
# rows/s from the own timer of each system around its validation call (process start-up, reading
# the file in node, and printing the JSON excluded), as the reference front end reports it.
seconds = statistics.median(internal) / 1000 if internal else wall
verdict = "valid" if runs[0][3] == "True" else "invalid: " + runs[0][4].strip()
print(f"{name:<44} {system:<9} {rows:>8} {wall:>7.3f} {seconds:>10.3f} {rows / seconds:>12,.0f} {rss:>9.1f} {verdict}")
' "$system" "$(basename "$(dirname "$(dirname "$(dirname "$f")")")")/$(basename "$f")" "$rows"
  done
done | tee "$TMP/results.txt"
python3 - "$TMP/results.txt" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
by = {}
for r in rows:
    by.setdefault(r[0], {})[r[1]] = (float(r[5].replace(",", "")), float(r[6]), float(r[3]))
for name, s in by.items():
    if "reference" in s and "ban" in s:
        speed = s["ban"][0] / s["reference"][0]
        wall = s["reference"][2] / s["ban"][2]
        memory = s["reference"][1] / s["ban"][1]
        print(f"{name}: ban is {speed:.0f}x faster (rows/s, own timers), {wall:.0f}x (wall, start-up and output"
              f" included), uses {memory:.1f}x less memory")
PY
