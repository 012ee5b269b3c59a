#!/usr/bin/env bash
# bench/side_by_side.sh OLD_BAN NEW_BAN [RUNS] — two builds of `ban` measured in one run on the
# same inputs, alternately (old, new, old, new…), so that the machine's drift hits both alike.
# For refactors that must not be slower (see bench/identical.sh for their outputs).
#
# Workloads (SHARED [../shared]):
#   validate  `ban validate --format json` of real-bal-derived Nouméa (22,8 k rows)
#   import    `ban import --drop-invalid-rows` of synthetic/small/bal into a fresh SQLite store
#   export    `ban export --format csv-with-ids` of that base (France, gzip)
#   geocode   `ban geocode` of synthetic/small/batch.csv × COPIES [30] (adresse, postcode, city)
#   search    `ban serve` on that base, wrk (2 threads, 8 connections, DURATION [10] s) on the
#             /search/ queries of synthetic/small/queries.tsv
# Prints, per workload and binary, the median wall time of RUNS [5] runs (or requests/s for
# search) and the peak RSS, then the ratio new/old.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
command -v wrk >/dev/null || { echo "side_by_side: the search workload needs wrk (apt-get install wrk)" >&2; exit 2; }
OLD="$(realpath "$1")"; NEW="$(realpath "$2")"; RUNS="${3:-5}"
COPIES="${COPIES:-30}"; DURATION="${DURATION:-10}"; PORT="${PORT:-18791}"
WORK="$(mktemp -d /tmp/side-by-side.XXXXXX)"
SERVER=""
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
export GEOCODER_EMPTY_COMMUNES=false RUST_LOG=error

DATA="$SHARED/data/synthetic/small"
NOUMEA="$SHARED/data/real-bal-derived/988-nouvelle-caledonie/98818_noumea.csv"
for _ in $(seq "$COPIES"); do tail -n +2 "$DATA/batch.csv"; done | { head -1 "$DATA/batch.csv"; cat; } > "$WORK/batch.csv"

# One timed command: "seconds max_rss_kb" on stdout.
timed() { /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" > /dev/null 2>&1 || true; cat "$WORK/time"; }

median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR + 1) / 2)]}'; }

declare -A WALL RSS
run() { # name bin label command...
  local name="$1" label="$2"; shift 2
  read -r wall rss < <(timed "$@")
  WALL[$name/$label]+="$wall "; RSS[$name/$label]+="$rss "
}

for bin_label in old new; do
  bin=$OLD; [ "$bin_label" = new ] && bin=$NEW
  "$bin" import --drop-invalid-rows "$DATA/bal" --database-url "sqlite://$WORK/$bin_label.db" > /dev/null 2>&1
done

for round in $(seq "$RUNS"); do
  echo "[side-by-side] round $round/$RUNS" >&2
  for label in old new; do
    bin=$OLD; [ "$label" = new ] && bin=$NEW
    run validate "$label" "$bin" validate --format json "$NOUMEA"
    rm -f "$WORK/import-$label.db"*
    run import "$label" "$bin" import --drop-invalid-rows "$DATA/bal" --database-url "sqlite://$WORK/import-$label.db"
    run export "$label" "$bin" export --format csv-with-ids -o "$WORK/export-$label.csv.gz" --database-url "sqlite://$WORK/$label.db"
    run geocode "$label" "$bin" geocode "$WORK/batch.csv" --columns adresse,postcode,city -o "$WORK/geocoded-$label.csv" --database-url "sqlite://$WORK/$label.db"
  done
done

# Search: each server in turn on its own base, the same paths.
python3 - "$DATA/queries.tsv" > "$WORK/paths.txt" <<'EOF'
import sys, urllib.parse
with open(sys.argv[1], encoding="utf-8") as f:
    next(f)
    for line in f:
        q = line.rstrip("\n").split("\t")[0]
        if q:
            print("/search/?q=" + urllib.parse.quote(q) + "&limit=5")
EOF
cat > "$WORK/paths.lua" <<EOF
local paths, i = {}, 0
for line in io.lines("$WORK/paths.txt") do paths[#paths + 1] = line end
request = function() i = i % #paths + 1; return wrk.format("GET", paths[i]) end
EOF
declare -A RPS
for label in old new old new; do
  bin=$OLD; [ "$label" = new ] && bin=$NEW
  "$bin" serve --listen "127.0.0.1:$PORT" --database-url "sqlite://$WORK/$label.db" > "$WORK/serve-$label.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 600); do
    curl -fs "http://127.0.0.1:$PORT/readyz" > /dev/null 2>&1 && break
    sleep 0.1
  done
  rps=$(wrk -t2 -c8 -d"${DURATION}s" -s "$WORK/paths.lua" "http://127.0.0.1:$PORT" | awk '/Requests\/sec/ {print $2}')
  RPS[$label]+="$rps "
  RSS[search/$label]+="$(awk '/VmHWM/ {print $2}' "/proc/$SERVER/status") "
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""
done

printf '%-9s %12s %12s %8s   %10s %10s\n' workload old new new/old "old RSS" "new RSS"
for name in validate import export geocode; do
  o=$(tr ' ' '\n' <<< "${WALL[$name/old]}" | grep . | median); n=$(tr ' ' '\n' <<< "${WALL[$name/new]}" | grep . | median)
  ro=$(tr ' ' '\n' <<< "${RSS[$name/old]}" | grep . | median); rn=$(tr ' ' '\n' <<< "${RSS[$name/new]}" | grep . | median)
  printf '%-9s %11ss %11ss %8.3f   %8s kB %8s kB\n' "$name" "$o" "$n" "$(echo "$n / $o" | bc -l)" "$ro" "$rn"
done
o=$(tr ' ' '\n' <<< "${RPS[old]}" | grep . | median); n=$(tr ' ' '\n' <<< "${RPS[new]}" | grep . | median)
ro=$(tr ' ' '\n' <<< "${RSS[search/old]}" | grep . | median); rn=$(tr ' ' '\n' <<< "${RSS[search/new]}" | grep . | median)
printf '%-9s %10s/s %10s/s %8.3f   %8s kB %8s kB\n' search "$o" "$n" "$(echo "$n / $o" | bc -l)" "$ro" "$rn"
