#!/usr/bin/env bash
# Export and feed throughput on a built base (e.g. the one of `bench/consolidate.sh build`).
#
#   bench/export.sh DB [FORMAT...]   # France in each format (default: csv csv-bal addok): rows/s, peak RSS
#   bench/export.sh mirror DB        # a full mirror of DB through `ban serve`: changes/s
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BAN=target/release/ban
[ -x "$BAN" ] || cargo build --release -p ban
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

if [ "${1:-}" = mirror ]; then
  DB=$2
  PORT=18089
  RATE_LIMIT_PER_IP=0 RATE_LIMIT_PER_TOKEN=0 DATABASE_URL="sqlite://$DB" "$BAN" serve --listen 127.0.0.1:$PORT >"$OUT/serve.log" 2>&1 &
  SERVER=$!
  trap 'kill $SERVER 2>/dev/null; rm -rf "$OUT"' EXIT
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.2; done
  /usr/bin/time -f "mirror: %e s, peak RSS %M KB" \
    "$BAN" mirror "http://127.0.0.1:$PORT" --once --page 10000 --database-url "sqlite://$OUT/mirror.db"
  HEAD=$(DATABASE_URL="sqlite://$OUT/mirror.db" "$BAN" changes --since 0 --limit 1 >/dev/null; curl -sfi "http://127.0.0.1:$PORT/api/changes?since=0&limit=1&current=true" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-ban-feed-head"{print $2}')
  echo "feed head: $HEAD"
  exit 0
fi

DB=$1
shift
FORMATS=${*:-csv csv-bal addok}
for format in $FORMATS; do
  /usr/bin/time -f "$format: %e s wall, peak RSS %M KB" \
    "$BAN" export --format "$format" --database-url "sqlite://$DB" -o "$OUT/france-$format.gz"
  ls -l "$OUT/france-$format.gz" | awk '{print "  " $5 " bytes (gzip)"}'
done
