#!/usr/bin/env bash
# bench/scale.sh [OUTDIR] — BAN Sync as separate services on PostgreSQL, under load: sustained
# geocoding on two geocoder processes while publications go on through the depot.
#
#  1. A fresh schema of the PostgreSQL at PG_URL; DATA's BAL files (minus the rows of
#     DATA/defects.csv, as bench/geocoder.sh) imported with `ban import`; an internal client.
#  2. Six processes: `ban depot`, `ban consolidator` ×2, `ban geocoder` ×2, `ban downloads`,
#     each on its own port, all on that database.
#  3. wrk on both geocoders at once (the search paths of the shared query set; CONNECTIONS
#     split between them; no load balancer: on one machine it would take a core), DURATION s
#     with nothing published ("quiet"), then DURATION s while bench/scale_publisher.py
#     publishes RATE communes per second (a street renamed each time) and follows each new
#     name on both geocoders ("publishing"); the geocoders' feed lag is sampled every second
#     from /metrics.
#  4. At the end: every publication applied, both geocoders at the feed's head, every renamed
#     street found on both (nothing lost). A table on stdout and in OUTDIR/table.txt.
#
# Environment: DATA [../shared/data/synthetic/small]  PG_URL [postgres://postgres@127.0.0.1:5432/test]
#   SCHEMA [bench_scale]  DURATION [60]  RATE [1]  CONNECTIONS [8]  WRK_THREADS [1] (per wrk)
#   BASE_PORT [7900]  BAN_BIN [target/release/ban]  BAN_BUILD [1]: cargo build --release first
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
LOAD="$SHARED/bench/load"
OUT="${1:-/tmp/scale-bench}"
DATA="$(cd "${DATA:-$SHARED/data/synthetic/small}" && pwd)"
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
SCHEMA="${SCHEMA:-bench_scale}"
DURATION="${DURATION:-60}"; RATE="${RATE:-1}"; CONNECTIONS="${CONNECTIONS:-8}"; WRK_THREADS="${WRK_THREADS:-1}"
BASE_PORT="${BASE_PORT:-7900}"
BAN="${BAN_BIN:-$ROOT/target/release/ban}"
log() { echo "[scale-bench $(date +%H:%M:%S)] $*" >&2; }

mkdir -p "$OUT"; OUT="$(cd "$OUT" && pwd)"
WORK="$(mktemp -d /tmp/scale-bench-work.XXXXXX)"
PIDS=()
cleanup() {
  set +e
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
  psql -q "$PG_URL" -c "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "${BAN_BUILD:-1}" = 1 ]; then (cd "$ROOT" && cargo build --release -q -p ban); fi
command -v wrk >/dev/null || { apt-get install -y -q wrk >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null; }; }

# ---- 1. store
psql -q "$PG_URL" -c "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" -c "CREATE SCHEMA $SCHEMA" >/dev/null
URL="$PG_URL?options[search_path]=$SCHEMA"
mkdir -p "$WORK/bal"
python3 - "$DATA" "$WORK/bal" <<'PY'
import csv, glob, os, sys
src, dst = sys.argv[1:3]
bad = set()
if os.path.exists(f"{src}/defects.csv"):
    with open(f"{src}/defects.csv", encoding="utf-8") as f:
        bad = {r["cle_interop"] for r in csv.DictReader(f, delimiter=";")}
for p in sorted(glob.glob(f"{src}/bal/*/*.csv")):
    lines = open(p, encoding="utf-8", newline="").read().splitlines()
    i = next(csv.reader([lines[0]], delimiter=";")).index("cle_interop")
    out = [lines[0]] + [l for l in lines[1:] if l and next(csv.reader([l], delimiter=";"))[i] not in bad]
    open(os.path.join(dst, os.path.basename(p)), "w", encoding="utf-8", newline="").write("\n".join(out) + "\n")
PY
log "ban import into PostgreSQL schema $SCHEMA"
"$BAN" import "$WORK/bal" --database-url "$URL" > "$OUT/import.txt" 2>&1
tail -3 "$OUT/import.txt" >&2
TOKEN="$("$BAN" client create --name bench --internal --database-url "$URL" 2>/dev/null | tail -1)"

# ---- 2. services
start() { # name command port [ENV=VALUE…]
  local name=$1 command=$2 port=$3; shift 3
  env DATABASE_URL="$URL" LISTEN_ADDR="127.0.0.1:$port" RUST_LOG=warn GEOCODER_EMPTY_COMMUNES=false \
    CONSOLIDATOR_LEASE_SECS=30 DATABASE_MAX_CONNECTIONS=8 "$@" "$BAN" "$command" > "$OUT/$name.log" 2>&1 &
  PIDS+=($!)
  echo "$name $! $port" >> "$WORK/services"
}
start depot depot $((BASE_PORT + 1))
start consolidator-a consolidator $((BASE_PORT + 2))
start consolidator-b consolidator $((BASE_PORT + 3))
start geocoder-1 geocoder $((BASE_PORT + 4))
start geocoder-2 geocoder $((BASE_PORT + 5))
start downloads downloads $((BASE_PORT + 6))
while read -r name pid port; do
  for _ in $(seq 300); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || { cat "$OUT/$name.log" >&2; echo "$name died" >&2; exit 1; }; sleep 0.2; done
  curl -fs "http://127.0.0.1:$port/readyz" >/dev/null || { echo "$name not ready" >&2; exit 1; }
done < "$WORK/services"
log "six processes ready"
G1="http://127.0.0.1:$((BASE_PORT + 4))"; G2="http://127.0.0.1:$((BASE_PORT + 5))"
DEPOT="http://127.0.0.1:$((BASE_PORT + 1))"

# ---- 3. load
python3 "$LOAD/make_paths.py" "$DATA" "$WORK" >/dev/null
per=$(( CONNECTIONS / 2 > 0 ? CONNECTIONS / 2 : 1 ))
wrk_both() { # phase seconds
  PATHS="$WORK/paths-search.txt" wrk -t"$WRK_THREADS" -c"$per" -d"$2s" --timeout 10s --latency -s "$LOAD/wrk_paths.lua" "$G1" > "$OUT/wrk-$1-1.txt" &
  local a=$!
  PATHS="$WORK/paths-search.txt" wrk -t"$WRK_THREADS" -c"$per" -d"$2s" --timeout 10s --latency -s "$LOAD/wrk_paths.lua" "$G2" > "$OUT/wrk-$1-2.txt" &
  local b=$!
  wait "$a" "$b"
}
sample_lag() { # file: the two geocoders' geocoder_feed_lag_seconds, every second
  while :; do
    for g in "$G1" "$G2"; do
      curl -fs "$g/metrics" | awk '/^geocoder_feed_lag_seconds /{print $2}'
    done
    sleep 1
  done > "$1"
}
log "warm-up 5 s"; wrk_both warmup 5
log "quiet: wrk on both geocoders ${DURATION}s, nothing published"; wrk_both quiet "$DURATION"
log "publishing: wrk on both geocoders ${DURATION}s, $RATE publication(s)/s"
sample_lag "$OUT/lag.txt" & LAGGER=$!
python3 "$ROOT/bench/scale_publisher.py" "$DEPOT" "$TOKEN" "$WORK/bal" --geocoders "$G1,$G2" \
  --duration "$DURATION" --rate "$RATE" --json "$OUT/publisher.json" > "$OUT/publisher.txt" 2>&1 &
PUBLISHER=$!
wrk_both publishing "$DURATION"
publisher_ok=1; wait "$PUBLISHER" || publisher_ok=0
kill "$LAGGER" 2>/dev/null; wait "$LAGGER" 2>/dev/null || true

# ---- 4. nothing lost
sleep 2
head_seq=$(psql -tA "$PG_URL" -c "SELECT COALESCE(MAX(seq), 0) FROM $SCHEMA.changes")
jobs=$(psql -tA "$PG_URL" -c "SELECT status || ':' || COALESCE(outcome, '-') || '=' || COUNT(*) FROM $SCHEMA.jobs GROUP BY status, outcome ORDER BY 1" | tr '\n' ' ')
seqs=""
for g in "$G1" "$G2"; do seqs+="$(curl -fs "$g/metrics" | awk '/^geocoder_index_seq /{printf "%d", $2}') "; done

python3 - "$OUT" "$head_seq" "$jobs" "$seqs" "$publisher_ok" "$DURATION" "$RATE" "$CONNECTIONS" <<'PY' | tee "$OUT/table.txt"
import json, re, sys
out, head, jobs, seqs, ok, duration, rate, conns = sys.argv[1:9]
def wrk(phase, i):
    m = re.search(r"WRK_JSON (\{.*\})", open(f"{out}/wrk-{phase}-{i}.txt").read())
    return json.loads(m.group(1)) if m else None
pub = json.load(open(f"{out}/publisher.json")) if ok == "1" or True else {}
lags = [float(x) for x in open(f"{out}/lag.txt").read().split() if x]
print(f"separate services on PostgreSQL: 2 geocoders, 2 consolidators, depot, downloads; wrk {conns} connections in all, {duration} s per phase")
for phase in ("quiet", "publishing"):
    w = [wrk(phase, i) for i in (1, 2)]
    if not all(w):
        print(f"{phase}: wrk output missing"); continue
    rps = sum(x["rps"] for x in w)
    print(f"{phase:11} search req/s {rps:8.0f} (geocoder 1 {w[0]['rps']:.0f}, geocoder 2 {w[1]['rps']:.0f}); "
          f"p99 ms {max(x['p99_ms'] for x in w):.2f}; non-2xx {sum(x['non2xx'] for x in w)}; "
          f"timeouts {sum(x['errors_timeout'] for x in w)}")
print(f"publications: {pub.get('publications')} in {pub.get('seconds')} s ({pub.get('rate_per_s')}/s, asked {rate}/s); "
      f"refused {pub.get('refused')}; errors {len(pub.get('errors', []))}")
for g, v in pub.get("visible_ms", {}).items():
    print(f"publication → searchable on {g}: n={v['n']} median {v['median']} ms, p90 {v['p90']} ms, p99 {v['p99']} ms, max {v['max']} ms")
if lags:
    lags.sort()
    print(f"feed lag sampled every second on both geocoders (geocoder_feed_lag_seconds): n={len(lags)}, "
          f"max {lags[-1] * 1000:.0f} ms, p99 {lags[min(len(lags) - 1, int(0.99 * len(lags)))] * 1000:.0f} ms, "
          f"share at 0 {100 * sum(1 for x in lags if x == 0) / len(lags):.0f} %")
print(f"at the end: feed head seq {head}, geocoders at seq {seqs.strip()}; jobs {jobs.strip()}")
print(f"lost: {pub.get('lost')}")
PY
log "raw outputs in $OUT"
