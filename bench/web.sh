#!/usr/bin/env bash
# The commune page and the map's vector tiles under load (issue 17): `ban web` alone on an
# embedded SQLite store holding a Strasbourg-size commune (67482, ~44,000 addresses made by
# ../shared/bench/gen/gen_bal.py) and Mont-Bonvillers (54084), built with `ban import`. For each
# request: the first answer's time (cold: the commune read from the store), then `wrk` for
# DURATION seconds with CONNECTIONS connections on 2 threads (requests/s, p50, p99).
#
# usage: [DURATION=10] [CONNECTIONS=8] bench/web.sh [BAN_BINARY]   (default target/release/ban, built if missing)
# needs: wrk (apt-get install wrk), Debian's python3-pyproj for the generator (/usr/bin/python3).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
BAN="${1:-$ROOT/target/release/ban}"
DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-8}"
[ -x "$BAN" ] || (cd "$ROOT" && cargo build --release -q -p ban)
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk" >&2; exit 1; }
GEN="$(bench_tmp web)/gen"
[ -d "$GEN/bal" ] || /usr/bin/python3 "$SHARED/bench/gen/gen_bal.py" "$GEN" --communes 67482,54084 --defect-rate 0 >/dev/null
WORK="$(mktemp -d)"
SERVER=
trap '[ -n "$SERVER" ] && kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
export DATABASE_URL="sqlite://$WORK/ban.db" RUST_LOG=warn
"$BAN" import "$GEN/bal" >"$WORK/import.log" 2>&1
echo "base: $(sqlite3 -readonly "$WORK/ban.db" 'SELECT code, (SELECT COUNT(*) FROM base_addresses a WHERE a.commune = c.code AND a.active) FROM base_communes c' | tr '\n' ' ')(commune|addresses)"

PORT=18$((RANDOM % 900 + 100))
BASE="http://127.0.0.1:$PORT"
"$BAN" web --listen "127.0.0.1:$PORT" 2>>"$WORK/log" &
SERVER=$!
for _ in $(seq 100); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.1; done

# tile Z LON LAT: the tile of zoom Z holding the point.
tile() {
  python3 -c "
import math, sys
z, lon, lat = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
n = 2 ** z
x = int((lon + 180) / 360 * n)
y = int((1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2 * n)
print(f'/tiles/ban/{z}/{x}/{y}.pbf')" "$@"
}

# measure NAME PATH [HEADER…]: the first answer (cold), then wrk.
measure() {
  local name="$1" path="$2"; shift 2
  local curl_headers=() wrk_headers=()
  for h in "$@"; do curl_headers+=(-H "$h"); wrk_headers+=(-H "$h"); done
  local first
  first=$(curl -s -o "$WORK/body" -w '%{http_code} %{size_download} B %{time_total} s' "${curl_headers[@]}" "$BASE$path")
  wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency "${wrk_headers[@]}" "$BASE$path" >"$WORK/wrk" 2>&1
  local rps p50 p99 non2xx
  rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk")
  p50=$(awk '$1 == "50%" {print $2}' "$WORK/wrk")
  p99=$(awk '$1 == "99%" {print $2}' "$WORK/wrk")
  non2xx=$(awk '/Non-2xx/ {print $NF}' "$WORK/wrk")
  printf '%-44s first: %-28s %9s req/s  p50 %-8s p99 %-8s%s\n' "$name" "$first" "$rps" "$p50" "$p99" \
    "${non2xx:+ (non-2xx: $non2xx)}"
}

echo "wrk: ${DURATION}s, $CONNECTIONS connections, 2 threads, on $(nproc) cores (server and wrk share them)"
measure "commune page 54084 (485 addresses)" /commune/54084
measure "commune page 67482 (44k addresses, page 1)" /commune/67482
measure "commune page 67482 (page 5)" "/commune/67482?page=5"
Z14=$(tile 14 7.7521 48.5734)
Z12=$(tile 12 7.7521 48.5734)
Z10=$(tile 10 7.7521 48.5734)
measure "tile z14 Strasbourg centre $Z14" "$Z14" "Accept-Encoding: gzip"
measure "tile z12 Strasbourg $Z12" "$Z12" "Accept-Encoding: gzip"
measure "tile z10 Strasbourg whole $Z10" "$Z10" "Accept-Encoding: gzip"
ETAG=$(curl -s -D - -o /dev/null -H 'Accept-Encoding: gzip' "$BASE$Z14" | tr -d '\r' | awk -F': ' 'tolower($1) == "etag" {print $2}')
measure "tile z14 revalidated (If-None-Match → 304)" "$Z14" "Accept-Encoding: gzip" "If-None-Match: $ETAG"
echo "server peak RSS: $(awk '/VmHWM/ {print $2 / 1024 " MiB"}' "/proc/$SERVER/status")"
