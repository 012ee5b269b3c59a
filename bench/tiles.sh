#!/usr/bin/env bash
# The map's vector tiles on a large base (issue 17: a z14 tile < 20 ms and a z8 tile < 200 ms
# at p99 on 5 million addresses; tile bytes per zoom): `ban web` alone on an embedded SQLite
# store of ADDRESSES synthetic addresses (../shared/bench/gen/gen_bal.py --addresses N: whole
# communes sampled over France, with their real contours), built with `ban import` once and
# kept under $TMPDIR/ban-bench-tiles (the generation and the import take minutes).
#
# For each zoom, a set of tiles (z8: every tile of metropolitan France; z10 and z14: the tiles
# of TILES addresses of the base drawn at random, seeded):
#   cold  each tile asked once on a fresh server (the communes read from the store, the tile
#         made and compressed): mean and largest bytes (gzip), p50, p99 and largest time;
#   warm  wrk for DURATION s with CONNECTIONS connections on 2 threads, cycling through the
#         same tiles (bench/tiles.lua): req/s, p50, p99 — served from the caches after one
#         query of the communes' versions, or made again when the caches have let them go.
#
# usage: [ADDRESSES=5000000] [TILES=200] [DURATION=10] [CONNECTIONS=8] bench/tiles.sh [BAN_BINARY]
# needs: wrk (apt-get install wrk), Debian's python3-pyproj for the generator (/usr/bin/python3).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
BAN="${1:-$ROOT/target/release/ban}"
ADDRESSES="${ADDRESSES:-5000000}"
TILES="${TILES:-200}"
DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-8}"
[ -x "$BAN" ] || (cd "$ROOT" && cargo build --release -q -p ban)
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk" >&2; exit 1; }
KEEP="$(bench_tmp tiles)"
GEN="$KEEP/gen-$ADDRESSES"
DB="$KEEP/ban-$ADDRESSES.db"
log() { echo "[tiles-bench $(date +%H:%M:%S)] $*" >&2; }

if [ ! -f "$GEN/manifest.json" ]; then
  log "generating $ADDRESSES addresses into $GEN"
  /usr/bin/python3 "$SHARED/bench/gen/gen_bal.py" "$GEN" --addresses "$ADDRESSES" --defect-rate 0 \
    --query-every 1000 >"$KEEP/gen-$ADDRESSES.log"
fi
if [ ! -f "$DB.done" ]; then
  rm -f "$DB" "$DB-wal" "$DB-shm"
  log "ban import into $DB"
  /usr/bin/time -f "import: %e s, peak %M kB" "$BAN" import "$GEN/bal" --database-url "sqlite://$DB" \
    >"$KEEP/import-$ADDRESSES.log" 2>"$KEEP/import-$ADDRESSES.time" || { tail "$KEEP/import-$ADDRESSES.log" >&2; exit 1; }
  tail -1 "$KEEP/import-$ADDRESSES.time" >&2
  touch "$DB.done"
fi
echo "base: $(sqlite3 -readonly "$DB" 'SELECT COUNT(*) FROM base_communes') communes, \
$(sqlite3 -readonly "$DB" 'SELECT COUNT(*) FROM base_addresses WHERE active') active addresses ($DB)"

WORK="$(mktemp -d)"
SERVER=
trap '[ -n "$SERVER" ] && kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT

# The tiles of each zoom, one path a line: z8 over metropolitan France (-5.2..9.6 E,
# 41.3..51.1 N); z10 and z14 at addresses of the base drawn at random.
python3 - "$GEN/bal" "$TILES" "$WORK" <<'PY'
import csv, glob, math, os, random, sys
bal, count, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def tile(z, lon, lat):
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2 * n)
    return x, y
(x0, y0), (x1, y1) = tile(8, -5.2, 51.1), tile(8, 9.6, 41.3)
with open(f"{out}/z8", "w") as f:
    for x in range(x0, x1 + 1):
        for y in range(y0, y1 + 1):
            f.write(f"/tiles/ban/8/{x}/{y}.pbf\n")
files = sorted(glob.glob(f"{bal}/*/*.csv"))
rng = random.Random(2026)
sizes = [os.path.getsize(p) for p in files]
read = {}
for z in (10, 14):
    seen = []
    while len(seen) < count:
        path = rng.choices(files, weights=sizes)[0]
        if path not in read:
            with open(path, encoding="utf-8") as f:
                read[path] = [(r["long"], r["lat"]) for r in csv.DictReader(f, delimiter=";")]
        lon, lat = rng.choice(read[path])
        x, y = tile(z, float(lon), float(lat))
        p = f"/tiles/ban/{z}/{x}/{y}.pbf"
        if p not in seen:
            seen.append(p)
    with open(f"{out}/z{z}", "w") as f:
        f.write("\n".join(seen) + "\n")
PY

PORT=18$((RANDOM % 900 + 100))
BASE="http://127.0.0.1:$PORT"
start() {
  DATABASE_URL="sqlite://$DB" RUST_LOG=warn "$BAN" web --listen "127.0.0.1:$PORT" 2>>"$WORK/log" &
  SERVER=$!
  for _ in $(seq 300); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.1; done
}
stop() { kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=; }

# quantiles FILE: mean, p50, p99 and max of the numbers of a file, one a line.
quantiles() {
  sort -g "$1" | awk '{v[NR] = $1; s += $1} END {
    p50 = v[int((NR - 1) * 0.50) + 1]; p99 = v[int((NR - 1) * 0.99) + 1]
    printf "%.0f %s %s %s\n", s / NR, p50, p99, v[NR] }'
}

echo "wrk: ${DURATION}s, $CONNECTIONS connections, 2 threads, on $(nproc) cores (server and wrk share them)"
printf '%-5s %6s  %-40s  %-44s  %s\n' zoom tiles "bytes gzip: mean / largest (empty)" \
  "cold ms: p50 / p99 / largest" "warm (wrk): req/s, p50, p99"
for z in 8 10 14; do
  start # a fresh server per zoom: cold means cold
  : >"$WORK/times"; : >"$WORK/bytes"; empty=0
  while read -r path; do
    read -r code size seconds < <(curl -s -o /dev/null -H 'Accept-Encoding: gzip' \
      -w '%{http_code} %{size_download} %{time_total}\n' "$BASE$path")
    [ "$code" = 200 ] || { echo "$path: HTTP $code" >&2; exit 1; }
    awk -v s="$seconds" 'BEGIN {printf "%.1f\n", s * 1000}' >>"$WORK/times"
    # An empty tile (sea, or no commune of the base) is a gzip of nothing: 20 bytes.
    if [ "$size" -le 30 ]; then empty=$((empty + 1)); else echo "$size" >>"$WORK/bytes"; fi
  done <"$WORK/z$z"
  read -r bmean _ _ bmax < <(quantiles "$WORK/bytes")
  read -r _ t50 t99 tmax < <(quantiles "$WORK/times")
  PATHS="$WORK/z$z" wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$ROOT/bench/tiles.lua" "$BASE" >"$WORK/wrk" 2>&1
  rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk")
  p50=$(awk '$1 == "50%" {print $2}' "$WORK/wrk")
  p99=$(awk '$1 == "99%" {print $2}' "$WORK/wrk")
  non2xx=$(awk '/Non-2xx/ {print $NF}' "$WORK/wrk")
  printf 'z%-4s %6s  %-40s  %-44s  %s\n' "$z" "$(wc -l <"$WORK/z$z")" \
    "$bmean / $bmax B ($empty empty)" "$t50 / $t99 / $tmax" "$rps req/s, p50 $p50, p99 $p99${non2xx:+ (non-2xx: $non2xx)}"
  echo "  server peak RSS: $(awk '/VmHWM/ {print $2 / 1024 " MiB"}' "/proc/$SERVER/status")" >&2
  stop
done
