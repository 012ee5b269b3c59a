#!/usr/bin/env bash
# bench/geocoder.sh [OUTDIR] — BAN Sync's geocoder and addok side by side, in one run, on
# this machine (see bench/README-geocoder.md). Default OUTDIR: /tmp/geocoder-bench.
#
#  1. addok peer (../shared/bench/addok, production config): set up if needed (venv outside
#     shared/), loaded with DATA/addok.ndjson.gz, served by gunicorn with ADDOK_WORKERS (2).
#  2. BAN Sync: `ban import` of DATA's BAL files into a fresh temporary SQLite store, then
#     `ban serve`; waits for /readyz and for /search/ to answer the dataset's first query.
#  3. The measurements of ../shared/bench/load/bench_addok.sh, each step run for addok then
#     BAN Sync before the next: wrk warm-up, wrk on search and reverse paths (wrk_paths.lua,
#     WRK_THREADS threads, CONNECTIONS, DURATION s, with the CPU share taken by other work),
#     accuracy.py (forward per query class, reverse, one /search/csv/ call), geopy_check.py
#     (a real client), then peak RSS (VmHWM).
#  4. A side-by-side table on stdout and in OUTDIR/table.txt; every raw output in OUTDIR.
# A route that does not answer 200 on a probe (e.g. 404: the geocoder is not there yet) is
# reported "n/a" and its measurements are skipped. Everything started here is stopped on exit.
#
# Environment (defaults in brackets):
#   DATA [../shared/data/synthetic/small]   DURATION [30] WARMUP [10] (s, as bench_addok.sh)
#   CONNECTIONS ["8"] (space-separated list)  WRK_THREADS [2]  ACC_LIMIT [5000] CSV_ROWS [3000]
#   CSV_LARGE_COPIES [30]: BAN Sync's /search/csv/ also timed on batch.csv that many times over
#   SYSTEMS ["addok ban"]   ADDOK_PORT [7878] REDIS_PORT [6380] BAN_PORT [7879] ADDOK_WORKERS [2]
#   ADDOK_VENV [target/bench-venv/addok]   BAN_BUILD [1]: cargo build --release -p ban first
#   BAN_BAL [clean]: import DATA's BAL files minus the addresses of DATA/defects.csv (what the
#     generator left out of addok.ndjson.gz, so both servers hold the same addresses);
#     raw: the files as they are (most are then rejected as invalid, as the validator would;
#     BAN_IMPORT_ARGS=--drop-invalid-rows publishes them without their error-level rows)
#   GEOCODER_EMPTY_COMMUNES [false]: BAN Sync indexes only the sample's communes, like addok's
#   GEOCODER_WAIT [60] s to wait for BAN Sync's /search/ to answer   KEEP_WORK [0]: keep the
#   temporary stores (addok redis/SQLite, ban.db) and print where they are
#   WAIT_QUIET [0] s to wait for other work to use under 25 % of the CPU before measuring
#   ACCURACY_ONLY [0]: 1 measures the forward (and reverse, if reverse.tsv has rows) accuracy
#     only, no wrk, CSV or geopy runs (bench/messy.sh)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PEER="$SHARED/bench/addok"
LOAD="$SHARED/bench/load"
OUT="${1:-/tmp/geocoder-bench}"
DATA="$(cd "${DATA:-$SHARED/data/synthetic/small}" && pwd)"
DURATION="${DURATION:-30}"; WARMUP="${WARMUP:-10}"; CONNECTIONS="${CONNECTIONS:-8}"
WRK_THREADS="${WRK_THREADS:-2}"; ACC_LIMIT="${ACC_LIMIT:-5000}"; CSV_ROWS="${CSV_ROWS:-3000}"
CSV_LARGE_COPIES="${CSV_LARGE_COPIES:-30}"
SYSTEMS="${SYSTEMS:-addok ban}"
export ADDOK_PORT="${ADDOK_PORT:-7878}" REDIS_PORT="${REDIS_PORT:-6380}" ADDOK_HOST=127.0.0.1
BAN_PORT="${BAN_PORT:-7879}"; ADDOK_WORKERS="${ADDOK_WORKERS:-2}"
export ADDOK_VENV="${ADDOK_VENV:-$ROOT/target/bench-venv/addok}"
ACCURACY_ONLY="${ACCURACY_ONLY:-0}"
BAN_BUILD="${BAN_BUILD:-1}"; BAN_BAL="${BAN_BAL:-clean}"; GEOCODER_WAIT="${GEOCODER_WAIT:-60}"
BAN="${BAN_BIN:-$ROOT/target/release/ban}"
ADDOK_URL="http://127.0.0.1:$ADDOK_PORT"; BAN_URL="http://127.0.0.1:$BAN_PORT"

has() { case " $SYSTEMS " in *" $1 "*) return 0;; *) return 1;; esac; }
log() { echo "[geocoder-bench $(date +%H:%M:%S)] $*" >&2; }
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
WORK="$(mktemp -d /tmp/geocoder-bench-work.XXXXXX)"
export ADDOK_PEER_VAR="$WORK/addok-var"   # redis dir, addok.db, logs: never under shared/
ADDOK_STARTED=0; BAN_PID=""

cleanup() {
  set +e
  if [ -n "$BAN_PID" ] && kill -0 "$BAN_PID" 2>/dev/null; then
    kill "$BAN_PID"; wait "$BAN_PID" 2>/dev/null; log "ban serve (pid $BAN_PID) stopped"
  fi
  if [ "$ADDOK_STARTED" = 1 ]; then
    "$PEER/stop.sh" >&2
    cp "$ADDOK_PEER_VAR/log/gunicorn.log" "$OUT/addok/gunicorn.log" 2>/dev/null
    cp "$ADDOK_PEER_VAR/log/redis.log" "$OUT/addok/redis.log" 2>/dev/null
  fi
  if [ "${KEEP_WORK:-0}" = 1 ]; then log "temporary stores kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for p in $(has addok && echo "$ADDOK_PORT $REDIS_PORT") $(has ban && echo "$BAN_PORT"); do
  if port_busy "$p"; then
    echo "port 127.0.0.1:$p is already in use (another addok/redis/ban?): stop it or set ADDOK_PORT / REDIS_PORT / BAN_PORT" >&2
    exit 2
  fi
done

# ---------------------------------------------------------------------------- environment
{
  echo "date: $(date -Is)"; echo "host: $(uname -srm), $(nproc) cpus"; echo "uptime before: $(uptime)"
  echo "data: $DATA"; echo "duration: ${DURATION}s, warmup: ${WARMUP}s, connections: $CONNECTIONS, wrk threads: $WRK_THREADS"
  echo "acc_limit: $ACC_LIMIT, csv_rows: $CSV_ROWS, addok workers: $ADDOK_WORKERS, ban bal: $BAN_BAL"
  echo "ban sync commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null) $(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo '(dirty tree)')"
} > "$OUT/env.txt"
python3 "$LOAD/make_paths.py" "$DATA" "$OUT"   # paths-search.txt (limit=5), paths-reverse.txt

# Probe values: the dataset's first forward query and first reverse point.
read -r PROBE_Q PROBE_ID < <(python3 - "$DATA" <<'PY'
import csv, sys, urllib.parse
r = next(csv.DictReader(open(sys.argv[1] + "/queries.tsv", encoding="utf-8"), delimiter="\t", quoting=csv.QUOTE_NONE))
print(urllib.parse.quote_plus(r["query"]), r["expected_id"])
PY
)
PROBE_REV="$(awk -F'\t' 'NR==2{print "lon=" $1 "&lat=" $2}' "$DATA/reverse.tsv")"
head -3 "$DATA/batch.csv" > "$WORK/probe.csv"

http_code() { curl -s -o "$WORK/probe.out" -w '%{http_code}' --max-time 30 "$@" || echo 000; }
probe_routes() { # dir url -> dir/routes.txt: "search 200" ...
  {
    echo "search $(http_code "$2/search/?q=$PROBE_Q&limit=1")"
    echo "reverse $(http_code "$2/reverse/?$PROBE_REV")"
    echo "csv $(http_code -F data=@"$WORK/probe.csv" -F columns=adresse -F columns=postcode -F columns=city "$2/search/csv/")"
  } > "$1/routes.txt"
  cat "$1/routes.txt" | tr '\n' ' ' | sed 's/^/routes: /' >&2; echo >&2
}
route_ok() { grep -qx "$2 200" "$1/routes.txt"; }

kb() { awk -v k="$2" '$1==k":"{print $2}' "/proc/$1/status" 2>/dev/null || true; }
rss_report() { # dir label pid... -> dir/rss-<label>.txt: pid name VmHWM VmRSS (kB) and a total
  local dir=$1 label=$2; shift 2
  {
    local th=0 tr=0
    for pid in "$@"; do
      local h r; h=$(kb "$pid" VmHWM); r=$(kb "$pid" VmRSS)
      echo "$pid $(cat /proc/"$pid"/comm 2>/dev/null) VmHWM_kB=${h:-?} VmRSS_kB=${r:-?}"
      th=$((th + ${h:-0})); tr=$((tr + ${r:-0}))
    done
    echo "total VmHWM_kB=$th VmRSS_kB=$tr"
  } > "$dir/rss-$label.txt"
}
addok_pids() {
  local master; master=$(cat "$ADDOK_PEER_VAR/gunicorn.pid")
  echo "$master $(ps -o pid= --ppid "$master" | tr '\n' ' ') $(cat "$ADDOK_PEER_VAR/redis.pid")"
}

# Measurement steps, each run for every server in turn (addok, then BAN Sync) before the next
# step, so that both meet the same machine conditions; arguments: [step args] system url dir.
sys_name() { if [ "$1" = addok ]; then echo addok; else echo "BAN Sync"; fi; }
sys_url() { if [ "$1" = addok ]; then echo "$ADDOK_URL"; else echo "$BAN_URL"; fi; }
each() { local s; for s in $SYSTEMS; do "$@" "$s" "$(sys_url "$s")" "$OUT/$s"; done; }
m_probe() { probe_routes "$3" "$2"; }
m_warmup() {
  route_ok "$3" search || return 0
  log "$(sys_name "$1"): warm-up ${WARMUP}s"
  PATHS="$OUT/paths-search.txt" wrk -t"$WRK_THREADS" -c8 -d"${WARMUP}s" -s "$LOAD/wrk_paths.lua" "$2" > "$3/wrk-warmup.txt"
}
m_wrk() { # kind conns system url dir
  local kind=$1 c=$2 s=$3 url=$4 dir=$5
  route_ok "$dir" "$kind" || { log "$(sys_name "$s"): /$kind/ not available, wrk skipped"; return 0; }
  log "$(sys_name "$s"): wrk $kind c=$c ${DURATION}s"
  local pids; pids=$(server_pids "$s")
  local st0 sv0; st0=$(cpu_ticks); sv0=$(pid_ticks $pids)
  PATHS="$OUT/paths-$kind.txt" /usr/bin/time -f "%U %S" -o "$dir/wrk-$kind-c$c.time" \
    wrk -t"$WRK_THREADS" -c"$c" -d"${DURATION}s" --timeout 10s --latency \
    -s "$LOAD/wrk_paths.lua" "$url" > "$dir/wrk-$kind-c$c.txt"
  local st1 sv1; st1=$(cpu_ticks); sv1=$(pid_ticks $pids)
  # Where the machine's CPU went during the run: the server, wrk, and other work (which
  # makes the figures low: RESULTS.md saw addok's rates halved on a loaded machine).
  # (ticks of /proc/stat and /proc/PID/stat are 1/100 s; % of the whole machine, all cores)
  read -r total proc irq steal <<< "$(echo "$st0 $st1" | awk '{print $5-$1, $6-$2, $7-$3, $8-$4}')"
  read -r wu ws < "$dir/wrk-$kind-c$c.time"
  awk -v t="$total" -v p="$proc" -v i="$irq" -v st="$steal" -v sv=$((sv1 - sv0)) -v wu="$wu" -v ws="$ws" \
    'BEGIN { w = (wu + ws) * 100; o = p - sv - w; if (o < 0) o = 0;
             printf "server_pct %.0f wrk_pct %.0f other_pct %.0f irq_softirq_pct %.0f steal_pct %.0f idle_pct %.0f\n",
                    100*sv/t, 100*w/t, 100*o/t, 100*i/t, 100*st/t, 100*(t-p-i-st)/t }' \
    > "$dir/wrk-$kind-c$c.cpu"
  grep WRK_JSON "$dir/wrk-$kind-c$c.txt" >&2; cat "$dir/wrk-$kind-c$c.cpu" >&2
}
server_pids() { if [ "$1" = addok ]; then addok_pids; else echo "$BAN_PID"; fi; }
cpu_ticks() { # total, user+nice+system (processes), irq+softirq, steal
  awk '/^cpu /{t=0; for(i=2;i<=9;i++) t+=$i; print t, $2+$3+$4, $7+$8, $9}' /proc/stat; }
pid_ticks() { local t=0 p v; for p in "$@"; do v=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12+$13}'); t=$((t + ${v:-0})); done; echo $t; }
# accuracy.py exactly as bench_addok.sh calls it; forward+reverse and the CSV call in two
# processes so that a failing CSV route does not lose the rest.
m_accuracy() {
  local skip=(--skip-csv)
  route_ok "$3" search || skip+=(--skip-forward)
  route_ok "$3" reverse && [ "$(wc -l < "$DATA/reverse.tsv")" -gt 1 ] || skip+=(--skip-reverse)
  [ ${#skip[@]} -lt 3 ] || return 0
  log "$(sys_name "$1"): accuracy.py (forward, reverse)"
  python3 "$LOAD/accuracy.py" "$DATA" --url "$2" --limit "$ACC_LIMIT" --csv-rows "$CSV_ROWS" \
    "${skip[@]}" --json "$3/accuracy.json" > /dev/null 2> "$3/accuracy.err" \
    || log "$(sys_name "$1"): accuracy.py failed (see $3/accuracy.err)"
}
m_csv() {
  route_ok "$3" csv || return 0
  log "$(sys_name "$1"): accuracy.py (/search/csv/, $CSV_ROWS rows)"
  python3 "$LOAD/accuracy.py" "$DATA" --url "$2" --limit "$ACC_LIMIT" --csv-rows "$CSV_ROWS" \
    --skip-forward --skip-reverse --json "$3/accuracy-csv.json" > /dev/null 2> "$3/accuracy-csv.err" \
    || log "$(sys_name "$1"): /search/csv/ call failed (see $3/accuracy-csv.err)"
}
# A large upload (the dataset's batch.csv CSV_LARGE_COPIES times) timed with curl, BAN Sync
# only: at addok's ~200 rows/s the same file would take the best part of an hour.
m_csv_large() {
  [ "$1" = ban ] && [ "$CSV_LARGE_COPIES" -gt 0 ] && route_ok "$3" csv || return 0
  local file="$WORK/batch-large.csv" i
  { head -1 "$DATA/batch.csv"; for i in $(seq "$CSV_LARGE_COPIES"); do tail -n +2 "$DATA/batch.csv"; done; } > "$file"
  local rows=$(( $(wc -l < "$file") - 1 ))
  log "$(sys_name "$1"): /search/csv/ of $rows rows"
  local t
  t=$(curl -s -o "$3/csv-large.out" -w '%{http_code} %{time_total}' -F data=@"$file" \
      -F columns=adresse -F columns=postcode -F columns=city "$2/search/csv/")
  echo "{\"rows\": $rows, \"status\": ${t% *}, \"seconds\": ${t#* }}" > "$3/csv-large.json"
}
m_geopy() {
  route_ok "$3" search && route_ok "$3" reverse || return 0
  log "$(sys_name "$1"): geopy_check.py"
  if python3 "$ROOT/bench/geopy_check.py" "$2" --dataset "$DATA" > "$3/geopy.txt" 2>&1; then
    echo pass > "$3/geopy.status"; else echo FAIL > "$3/geopy.status"; fi
}
m_rss() { # label system url dir
  rss_report "$4" "$1" $(server_pids "$2")
}
cpu_busy() { # percent of CPU time not idle over $1 s, whole machine
  local a b; a=($(head -1 /proc/stat)); sleep "$1"; b=($(head -1 /proc/stat))
  local tot=0 i; for i in 1 2 3 4 5 6 7 8; do tot=$((tot + b[i] - a[i])); done
  local idle=$((b[4] - a[4] + b[5] - a[5]))
  echo $(( tot > 0 ? 100 * (tot - idle) / tot : 0 ))
}

# ---------------------------------------------------------------------------- addok
if has addok; then
  mkdir -p "$OUT/addok"; rm -f "$OUT"/addok/*
  if [ ! -x "$ADDOK_VENV/bin/addok" ] || [ ! -x "$ADDOK_VENV/bin/gunicorn" ] \
      || ! command -v wrk >/dev/null || ! command -v redis-server >/dev/null; then
    log "setting up the addok peer (venv $ADDOK_VENV)"
    "$PEER/setup.sh" >&2
  fi
  log "addok: loading $DATA/addok.ndjson.gz"
  ADDOK_STARTED=1
  "$PEER/load.sh" "$DATA/addok.ndjson.gz" > "$OUT/addok/load.txt" 2>&1 || { cat "$OUT/addok/load.txt" >&2; exit 1; }
  cat "$OUT/addok/load.txt" >&2
  "$PEER/serve.sh" "$ADDOK_WORKERS" > "$OUT/addok/serve.txt" 2>&1 || { cat "$OUT/addok/serve.txt" >&2; exit 1; }
  cat "$OUT/addok/serve.txt" >&2
  curl -fsS "$ADDOK_URL/search/?q=$PROBE_Q&limit=1" > "$OUT/addok/first-answer.json"
fi

# ---------------------------------------------------------------------------- BAN Sync
if has ban; then
  mkdir -p "$OUT/ban"; rm -f "$OUT"/ban/*
  if [ "$BAN_BUILD" = 1 ]; then
    log "cargo build --release -p ban"
    if ! (cd "$ROOT" && CARGO_TARGET_DIR="$ROOT/target" cargo build --release -p ban) > "$OUT/ban/build.txt" 2>&1; then
      tail -20 "$OUT/ban/build.txt" >&2
      [ -x "$BAN" ] || { echo "build failed and no $BAN" >&2; exit 1; }
      log "WARNING: build failed, measuring the existing $BAN ($(date -r "$BAN" -Is))"
      echo "WARNING: build failed; binary of $(date -r "$BAN" -Is)" >> "$OUT/env.txt"
    fi
  fi
  mkdir -p "$WORK/bal"
  if [ "$BAN_BAL" = clean ]; then
    python3 - "$DATA" "$WORK/bal" > "$OUT/ban/bal-clean.txt" <<'PY'
import csv, glob, os, sys
src, dst = sys.argv[1], sys.argv[2]
bad = set()
if os.path.exists(f"{src}/defects.csv"):
    with open(f"{src}/defects.csv", encoding="utf-8") as f:
        bad = {r["cle_interop"] for r in csv.DictReader(f, delimiter=";")}
kept = dropped = files = 0
for p in sorted(glob.glob(f"{src}/bal/*/*.csv")):
    with open(p, encoding="utf-8", newline="") as f:
        lines = f.read().splitlines()
    i = next(csv.reader([lines[0]], delimiter=";")).index("cle_interop")
    out = [lines[0]]
    for line in lines[1:]:
        if line and next(csv.reader([line], delimiter=";"))[i] in bad:
            dropped += 1
        elif line:
            out.append(line); kept += 1
    with open(os.path.join(dst, os.path.basename(p)), "w", encoding="utf-8", newline="") as f:
        f.write("\n".join(out) + "\n")
    files += 1
print(f"{files} BAL files, {kept} rows kept, {dropped} rows of {len(bad)} defective addresses (defects.csv) dropped")
PY
  else
    ln -s "$DATA"/bal/*/*.csv "$WORK/bal/"
  fi
  echo "ban binary: $BAN ($(date -r "$BAN" -Is), $("$BAN" --version))" >> "$OUT/env.txt"
  log "ban import ($BAN_BAL BAL files${BAN_IMPORT_ARGS:+, $BAN_IMPORT_ARGS}) into $WORK/ban.db"
  /usr/bin/time -f "ban import: %e s wall, peak RSS %M KB" \
    "$BAN" import "$WORK/bal" ${BAN_IMPORT_ARGS:-} --database-url "sqlite://$WORK/ban.db" > "$OUT/ban/import.txt" 2>&1 \
    || log "ban import exited non-zero (some files failed?), see $OUT/ban/import.txt"
  head -3 "$OUT/ban/import.txt" >&2; tail -1 "$OUT/ban/import.txt" >&2
  # Like for like: only the communes of the sample are indexed, as in the addok sample (by
  # default BAN Sync also indexes the other communes of the départements, by name).
  GEOCODER_EMPTY_COMMUNES="${GEOCODER_EMPTY_COMMUNES:-false}" \
    "$BAN" serve --listen "127.0.0.1:$BAN_PORT" --database-url "sqlite://$WORK/ban.db" > "$OUT/ban/serve.log" 2>&1 &
  BAN_PID=$!
  t0=$(date +%s.%N)
  for _ in $(seq 300); do curl -fs "$BAN_URL/readyz" >/dev/null 2>&1 && break
    kill -0 "$BAN_PID" 2>/dev/null || { cat "$OUT/ban/serve.log" >&2; echo "ban serve died" >&2; exit 1; }
    sleep 0.2; done
  curl -fsS "$BAN_URL/readyz" >/dev/null || { echo "ban serve not ready after 60 s" >&2; exit 1; }
  t1=$(date +%s.%N)
  code=000
  for _ in $(seq $((GEOCODER_WAIT * 2))); do
    code=$(http_code "$BAN_URL/search/?q=$PROBE_Q&limit=1")
    if [ "$code" = 200 ] && grep -q '"features": *\[ *{' "$WORK/probe.out"; then break; fi
    sleep 0.5
  done
  t2=$(date +%s.%N)
  cp "$WORK/probe.out" "$OUT/ban/first-answer.json" 2>/dev/null || true
  python3 - "$t0" "$t1" "$t2" "$code" "$PROBE_ID" "$OUT/ban/first-answer.json" > "$OUT/ban/ready.txt" <<'PY'
import json, sys
t0, t1, t2 = map(float, sys.argv[1:4]); code, exp, path = sys.argv[4:7]
try:
    f = json.load(open(path))["features"][0]["properties"].get("id")
except Exception:
    f = None
print(f"readyz after {t1 - t0:.1f}s; /search/ answered HTTP {code} {t2 - t0:.1f}s after start; "
      f"first query top-1 id {f} (expected {exp})")
PY
  cat "$OUT/ban/ready.txt" >&2
fi

# ---------------------------------------------------------------------------- measurements
# Other work on the machine skews everything (RESULTS.md): measure the CPU used while nothing
# of ours runs; WAIT_QUIET=N waits up to N s for it to drop under 25 %.
busy=$(cpu_busy 3); waited=0
while [ "$busy" -ge 25 ] && [ "$waited" -lt "${WAIT_QUIET:-0}" ]; do
  log "machine busy ($busy % CPU used by other work: $(top -bn1 | awk 'NR>7 && NR<=10 {printf "%s %s%%  ", $12, $9}')), waiting"; sleep 10; waited=$((waited + 13)); busy=$(cpu_busy 3)
done
[ "$busy" -lt 25 ] || log "WARNING: $busy % of the CPU is used by other work: figures will be low (WAIT_QUIET=600 to wait)"
echo "background CPU busy before the runs: $busy %" >> "$OUT/env.txt"
each m_rss ready
each m_probe
if [ "$ACCURACY_ONLY" = 1 ]; then
  each m_accuracy
else
  each m_warmup
  for kind in search reverse; do for c in $CONNECTIONS; do each m_wrk "$kind" "$c"; done; done
  each m_accuracy
  each m_csv
  each m_csv_large
  each m_geopy
fi
each m_rss after
echo "background CPU busy after the runs: $(cpu_busy 3) %" >> "$OUT/env.txt"
echo "uptime after: $(uptime)" >> "$OUT/env.txt"

# ---------------------------------------------------------------------------- table
python3 - "$OUT" "$SYSTEMS" "$CONNECTIONS" "$DURATION" <<'PY' | tee "$OUT/table.txt"
import json, os, re, sys
out, systems, conns, duration = sys.argv[1], sys.argv[2].split(), sys.argv[3].split(), sys.argv[4]
cols = [("addok", "addok"), ("ban", "BAN Sync")]
cols = [c for c in cols if c[0] in systems]

def load(d, f):
    try:
        return json.load(open(os.path.join(out, d, f)))
    except Exception:
        return None

def text(d, f):
    try:
        return open(os.path.join(out, d, f)).read()
    except Exception:
        return ""

def wrk(d, kind, c):
    for line in text(d, f"wrk-{kind}-c{c}.txt").splitlines():
        if line.startswith("WRK_JSON "):
            return json.loads(line[9:])

def store(d):
    t = text(d, "load.txt") + text(d, "import.txt")
    m = re.search(r"^(batch [\d.]+s, ngrams [\d.]+s)", t, re.M)
    if m:
        return "addok " + m.group(1)
    m, n = re.search(r"ban import: ([\d.]+) s wall, peak RSS (\d+) KB", t), re.search(r"(\d+) files: (\d+) published", t)
    if m and n:
        return f"ban import {m.group(1)} s, {n.group(2)}/{n.group(1)} files published, peak {int(m.group(2)) // 1024} MB"
    return None

def other(d, kind, c):
    m = re.search(r"other_pct (\d+)", text(d, f"wrk-{kind}-c{c}.cpu"))
    return int(m.group(1)) if m else None

summary, rows = {}, []
for d, _ in cols:
    acc = load(d, "accuracy.json") or {}
    csvr = (load(d, "accuracy-csv.json") or {}).get("csv")
    routes = dict(l.split() for l in text(d, "routes.txt").splitlines() if l.strip())
    rss = {}
    for label in ("ready", "after"):
        m = re.search(r"total VmHWM_kB=(\d+) VmRSS_kB=(\d+)", text(d, f"rss-{label}.txt"))
        if m:
            rss[label] = {"peak_kB": int(m.group(1)), "rss_kB": int(m.group(2))}
    summary[d] = {"routes": routes, "forward": acc.get("forward"), "reverse": acc.get("reverse"), "csv": csvr,
                  "wrk": {f"{k}-c{c}": wrk(d, k, c) for k in ("search", "reverse") for c in conns},
                  "wrk_cpu": {f"{k}-c{c}": text(d, f"wrk-{k}-c{c}.cpu").strip() or None for k in ("search", "reverse") for c in conns},
                  "rss": rss, "geopy": text(d, "geopy.status").strip() or None,
                  "rss_parts": [l.split()[1:3] for l in text(d, "rss-after.txt").splitlines() if not l.startswith("total")],
                  "store": store(d)}
json.dump(summary, open(os.path.join(out, "summary.json"), "w"), indent=2, ensure_ascii=False)

def na(d, route):
    code = summary[d]["routes"].get(route)
    return f"n/a ({code})" if code and code != "200" else "n/a"

def pct(x):
    return f"{100 * x:.1f} %"

keys = []
for d, _ in cols:
    for k in ((summary[d]["forward"] or {}).get("accuracy") or {}):
        if k not in keys:
            keys.append(k)
order = lambda k: (0 if k == "all" else 1 if k.startswith("type=") else 2, k)
for k in sorted(keys, key=order):
    name = "forward top-1 id / within 50 m, " + k
    cells = []
    for d, _ in cols:
        a = ((summary[d]["forward"] or {}).get("accuracy") or {}).get(k)
        cells.append(f"{pct(a['top1_id'])} / {pct(a['top1_within_50m'])} (n={a['n']})" if a else na(d, "search"))
    rows.append((name, cells))
rows.append(("forward errors (excluded from n) / q/s at c=4, limit=1", [
    f"{f['errors']} / {f['qps']}" if (f := summary[d]["forward"]) else na(d, "search") for d, _ in cols]))
rows.append(("forward latency p50 / p99 ms (c=4, limit=1)", [
    f"{f['latency_ms'].get('p50')} / {f['latency_ms'].get('p99')}" if (f := summary[d]["forward"]) and f.get("latency_ms") else na(d, "search") for d, _ in cols]))
rows.append(("reverse top-1 id", [
    f"{pct(r['top1_id'])} (n={r['queries']}, errors {r['errors']})" if (r := summary[d]["reverse"]) else na(d, "reverse") for d, _ in cols]))
for kind in ("search", "reverse"):
    for c in conns:
        rows.append((f"wrk {kind} c={c} {duration}s: req/s / p50 / p99 ms", [
            (f"{w['rps']:.0f} / {w['p50_ms']:.1f} / {w['p99_ms']:.1f}" + (f" ({w['non2xx']} non-2xx)" if w["non2xx"] else "")
             + (f" ({w['errors_timeout']} timeouts)" if w["errors_timeout"] else "")
             + (f" [other work {o} %]" if (o := other(d, kind, c)) is not None and o >= 5 else ""))
            if (w := summary[d]["wrk"].get(f"{kind}-c{c}")) else na(d, kind) for d, _ in cols]))
rows.append(("/search/csv/ rows/s (rows, top-1 id)", [
    f"{c['rows_per_s']:.0f} ({c['rows']} rows in {c['wall_s']} s, {pct(c['top1_id'])})" if (c := summary[d]["csv"]) else na(d, "csv") for d, _ in cols]))
def large(d):
    c = load(d, "csv-large.json")
    if not c:
        return "n/a" if d == "ban" else "not run (hours)"
    if c["status"] != 200:
        return f"HTTP {c['status']}"
    return f"{c['rows'] / c['seconds']:.0f} ({c['rows']} rows in {c['seconds']:.2f} s, upload included)"
rows.append(("/search/csv/ large file rows/s", [large(d) for d, _ in cols]))
def parts(d):
    p = summary[d]["rss_parts"]
    if len(p) < 2:
        return ""
    role = lambda i, n: "redis" if n.startswith("redis") else "gunicorn master" if i == 0 else "worker"
    return " + ".join(f"{role(i, n)} {int(k.split('=')[1]) // 1024}" for i, (n, k) in enumerate(p))
rows.append(("peak RSS after the runs, MB (sum of VmHWM)", [
    (f"{r['after']['peak_kB'] / 1024:.0f}" + (f" = {parts(d)}" if parts(d) else "")) if (r := summary[d]["rss"]).get("after") else "n/a"
    for d, _ in cols]))
rows.append(("RSS when ready / after the runs, MB", [
    f"{r['ready']['rss_kB'] / 1024:.0f} / {r['after']['rss_kB'] / 1024:.0f}" if (r := summary[d]["rss"]).get("after") and r.get("ready") else "n/a" for d, _ in cols]))
rows.append(("geopy BANFrance check", [summary[d]["geopy"] or "n/a" for d, _ in cols]))
rows.append(("load / import", [summary[d]["store"] or "n/a" for d, _ in cols]))

w0 = max(len(r[0]) for r in rows)
ws = [max(len(h), *(len(r[1][i]) for r in rows)) for i, (_, h) in enumerate(cols)]
print((f"{'':{w0}}  " + "  ".join(f"{h:{ws[i]}}" for i, (_, h) in enumerate(cols))).rstrip())
for name, cells in rows:
    print((f"{name:{w0}}  " + "  ".join(f"{c:{ws[i]}}" for i, c in enumerate(cells))).rstrip())
for line in open(os.path.join(out, "env.txt")):
    if line.startswith(("date", "background", "uptime", "ban sync commit", "ban binary", "WARNING")):
        print(line.rstrip())
PY
log "raw outputs in $OUT (table.txt, summary.json, env.txt, addok/, ban/)"
