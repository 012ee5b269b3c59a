#!/usr/bin/env bash
# Very large CSV files through the geocoder (issue 19, part 4): rows per second and the
# server's peak memory for ROWS rows (default: 1 million, then 5 million), through
# `POST /search/csv/` (the answer streamed while the file is geocoded) and through a batch job
# (`POST /geocoder/jobs/search`, followed until done, its result downloaded).
#
# The base: a Strasbourg-size commune (67482) and Mont-Bonvillers (54084) made by
# ../shared/bench/gen/gen_bal.py, built with `ban import` into an embedded SQLite store; the
# geocoder alone (`ban geocoder`) serves it. The file: the generator's batch queries
# (addresses with typos, abbreviations, missing postcodes), repeated with a row number, with
# the columns adresse, postcode and city given as the query.
#
# Peak memory: the server's resident set (VmHWM) reset before each run (/proc/PID/clear_refs),
# read after it; beside it, the resident set of the server at rest, index built. Constant
# memory means the peak does not grow with the file.
#
# usage: bench/csv.sh [ROWS...]   (default 1000000 5000000; release build, made if missing)
# needs: Debian's python3-pyproj for the generator (/usr/bin/python3).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[ $# -gt 0 ] || set -- 1000000 5000000
BAN="${BAN:-$ROOT/target/release/ban}"
[ -x "$BAN" ] || (cd "$ROOT" && cargo build --release -q -p ban)
KEEP="$(bench_tmp csv)"
GEN="$KEEP/gen"
[ -d "$GEN/bal" ] || /usr/bin/python3 "$SHARED/bench/gen/gen_bal.py" "$GEN" --communes 67482,54084 --defect-rate 0 >/dev/null
WORK="$(mktemp -d)"
SERVER=
trap '[ -n "$SERVER" ] && kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
export DATABASE_URL="sqlite://$WORK/ban.db" RUST_LOG=warn GEOCODER_FILES_DIR="$WORK/files"
"$BAN" import "$GEN/bal" >"$WORK/import.log" 2>&1

PORT=18$((RANDOM % 900 + 100))
BASE="http://127.0.0.1:$PORT"
"$BAN" geocoder --listen "127.0.0.1:$PORT" 2>"$WORK/log" &
SERVER=$!
for _ in $(seq 600); do curl -sf "$BASE/search/?q=strasbourg" >/dev/null && break; sleep 0.1; done
kib() { awk -v k="$1" '$1 == k ":" {print $2}' "/proc/$SERVER/status"; }
mib() { awk -v k="$1" 'BEGIN {printf "%.0f MiB", k / 1024}'; }
echo "geocoder at rest, index built: resident $(mib "$(kib VmRSS)")"
printf '%-10s %-6s %14s %10s %14s %16s\n' rows route "file" seconds "rows/s" "server peak RSS"

form=(-F columns=adresse -F columns=postcode -F columns=city)
for rows in "$@"; do
  file="$KEEP/rows-$rows.csv"
  [ -f "$file" ] || python3 - "$GEN/batch.csv" "$rows" "$file" <<'PY'
import csv, sys
source, rows, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(source, newline="", encoding="utf-8") as f:
    queries = [(r["adresse"], r["postcode"], r["city"]) for r in csv.DictReader(f)]
with open(out, "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["id", "adresse", "postcode", "city"])
    for i in range(rows):
        w.writerow([i, *queries[i % len(queries)]])
PY
  size=$(du -h "$file" | cut -f1)

  # Streamed: one request, the answer read as it comes.
  echo 5 >"/proc/$SERVER/clear_refs"
  started=$(date +%s.%N)
  curl -sf "${form[@]}" -F "data=@$file" "$BASE/search/csv/" -o "$WORK/out.csv"
  seconds=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
  lines=$(($(wc -l <"$WORK/out.csv") - 1))
  [ "$lines" -eq "$rows" ] || { echo "search/csv: $lines rows out of $rows" >&2; exit 1; }
  printf '%-10s %-6s %14s %10s %14.0f %16s\n' "$rows" stream "$size" "$seconds" \
    "$(awk -v r="$rows" -v s="$seconds" 'BEGIN {print r / s}')" "$(mib "$(kib VmHWM)")"

  # A batch job: sent, followed, downloaded.
  echo 5 >"/proc/$SERVER/clear_refs"
  started=$(date +%s.%N)
  id=$(curl -sf "${form[@]}" -F "data=@$file" "$BASE/geocoder/jobs/search" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  while :; do
    status=$(curl -sf "$BASE/geocoder/jobs/$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
    [ "$status" = done ] && break
    [ "$status" = failed ] && { curl -s "$BASE/geocoder/jobs/$id" >&2; exit 1; }
    sleep 0.5
  done
  curl -sf "$BASE/geocoder/jobs/$id/result" -o "$WORK/out.csv"
  seconds=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
  lines=$(($(wc -l <"$WORK/out.csv") - 1))
  [ "$lines" -eq "$rows" ] || { echo "job: $lines rows out of $rows" >&2; exit 1; }
  printf '%-10s %-6s %14s %10s %14.0f %16s\n' "$rows" job "$size" "$seconds" \
    "$(awk -v r="$rows" -v s="$seconds" 'BEGIN {print r / s}')" "$(mib "$(kib VmHWM)")"
  curl -sf -X DELETE "$BASE/geocoder/jobs/$id"
  rm -f "$WORK/out.csv"
done
