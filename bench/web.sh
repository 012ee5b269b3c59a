#!/usr/bin/env bash
# Every web page, the commune page and the map's vector tiles under load (issue 17): `ban serve`
# (the pages with their depot and geocoder in one process) on an embedded SQLite store holding
# a Strasbourg-size commune (67482, ~44,000 addresses made by ../shared/bench/gen/gen_bal.py)
# and Mont-Bonvillers (54084), built with `ban import`; a revision of 54084 left computed and
# unpublished (the publication's step 2) and one published (its follow-up), through the depot
# API with an internal client. For each request: the first answer's time (cold), then `wrk`
# for DURATION seconds with CONNECTIONS connections on 2 threads (requests/s, p50, p99).
# `POST /api/validate` sends the sample file of 54084 (the validations at once raised to
# CONNECTIONS, so that none is refused busy). Tiles on a base of millions: bench/tiles.sh.
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

TOKEN="$("$BAN" client create --name bench --internal 2>/dev/null | tail -1)"

PORT=18$((RANDOM % 900 + 100))
BASE="http://127.0.0.1:$PORT"
WEB_MAX_CONCURRENT_VALIDATIONS="$CONNECTIONS" "$BAN" serve --listen "127.0.0.1:$PORT" 2>>"$WORK/log" &
SERVER=$!
for _ in $(seq 300); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.1; done

# A revision of 54084 published through the depot (then consolidated), and one uploaded through
# the publication form (step 1), whose step 2 is then asked (a draft is its client's only).
SAMPLE="$ROOT/data/samples/54084_mont-bonvillers.csv"
read -r PUBLISHED < <(PYTHONPATH="$ROOT/bench" python3 - "$BASE" "$TOKEN" "$SAMPLE" <<'PY'
import sys, time
from depot_client import call, publish
base, token, sample = sys.argv[1:4]
content = open(sample, "rb").read()
print(publish(base, token, "54084", content))
PY
)
OPEN=$(curl -s -o /dev/null -w '%{redirect_url}' -F commune=54084 -F "file=@$SAMPLE;type=text/csv" "$BASE/publier" \
  | sed 's|.*/publier/||; s|[?].*||')
for _ in $(seq 100); do curl -s "$BASE/publier/$PUBLISHED/suivi.json" | grep -q '"final":true' && break; sleep 0.1; done

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

# measure NAME PATH [HEADER…]: the first answer (cold), then wrk; with SCRIPT set, wrk runs
# that Lua script (a POST) and the first answer is its request made with curl (BODY, TYPE).
measure() {
  local name="$1" path="$2"; shift 2
  local curl_headers=() wrk_headers=()
  for h in "$@"; do curl_headers+=(-H "$h"); wrk_headers+=(-H "$h"); done
  local first
  if [ -n "${SCRIPT:-}" ]; then
    first=$(curl -s -o "$WORK/body" -w '%{http_code} %{size_download} B %{time_total} s' -H "Content-Type: $TYPE" \
      --data-binary "@$BODY" "$BASE$path")
    wrk_headers+=(-s "$SCRIPT")
  else
    first=$(curl -s -o "$WORK/body" -w '%{http_code} %{size_download} B %{time_total} s' "${curl_headers[@]}" "$BASE$path")
  fi
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
measure "home /" /
measure "validator page /outils/validateur" /outils/validateur
measure "downloads page /donnees" /donnees
measure "publication, step 1 /publier" /publier
measure "publication, communes ?q=mont" "/publier/communes?q=mont"
measure "publication, step 2 /publier/{revision}" "/publier/$OPEN"
measure "publication, follow-up …/suivi" "/publier/$PUBLISHED/suivi"
measure "publication, follow-up …/suivi.json" "/publier/$PUBLISHED/suivi.json"
cat >"$WORK/validate.lua" <<LUA
local f = io.open("$SAMPLE", "rb")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "text/csv"
LUA
SCRIPT="$WORK/validate.lua" BODY="$SAMPLE" TYPE=text/csv \
  measure "POST /api/validate (54084, $(wc -c <"$SAMPLE") B)" /api/validate
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
