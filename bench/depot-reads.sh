#!/usr/bin/env bash
# Memory of the depot's read routes under load (issue 15): two requests at once of a client's
# revision list when its revisions carry large validation reports, and four downloads at once
# of a 45 MB file (FILE_MB). Runs `ban depot` on an embedded SQLite store in a temporary directory, seeds
# it (the reports straight into SQLite), and prints for each measure the bytes answered, the
# time and the server's peak resident memory (VmRSS sampled every 10 ms) above its level
# before the requests.
#
# usage: [FILE_MB=45] bench/depot-reads.sh [BAN_BINARY] [REVISIONS]   (default target/release/ban, 150)
# Each revision's report is 2 MB: 150 revisions make a 300 MB database.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
BAN="${1:-$ROOT/target/release/ban}"
REVISIONS="${2:-150}"
FILE_MB="${FILE_MB:-45}"
WORK="$(mktemp -d)"
SERVER=
trap '[ -n "$SERVER" ] && kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
export DATABASE_URL="sqlite://$WORK/ban.db" RUST_LOG=warn
TOKEN="$("$BAN" client create --name bench --internal 2>/dev/null)"
CLIENT="$(sqlite3 "$WORK/ban.db" 'SELECT id FROM clients')"
PORT=18$((RANDOM % 900 + 100))
BASE="http://127.0.0.1:$PORT/api-depot"

start() {
  "$BAN" depot --listen "127.0.0.1:$PORT" 2>>"$WORK/log" &
  SERVER=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
}
stop() { kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=; }
rss() { awk '/VmRSS/ {print $2}' "/proc/$SERVER/status"; }
# measure NAME COUNT CURL_ARGS…: COUNT identical requests at once on a fresh server.
measure() {
  local name="$1" count="$2"; shift 2
  start
  local before; before=$(rss)
  local t0; t0=$(date +%s.%N)
  local pids=()
  for i in $(seq "$count"); do
    curl -s -o "$WORK/out.$i" -w '%{http_code} %{size_download}\n' "$@" >"$WORK/code.$i" &
    pids+=($!)
  done
  # The server's resident memory, sampled every 10 ms while the requests run.
  local peak=$before
  while kill -0 "${pids[@]}" 2>/dev/null; do
    local now; now=$(rss); [ "$now" -gt "$peak" ] && peak=$now; sleep 0.01
  done
  wait "${pids[@]}" || true
  local t1; t1=$(date +%s.%N)
  echo "$name: $count at once, answers $(cat "$WORK"/code.* | sort | uniq -c | tr -s ' ' | tr '\n' ';') \
$(python3 -c "print(round($t1 - $t0, 2))") s, peak RSS +$(( (peak - before) / 1024 )) MiB (before $((before / 1024)) MiB)"
  rm -f "$WORK"/out.* "$WORK"/code.*
  stop
}

# Published revisions of the client, each with a 2 MB report and a submitter's name.
sqlite3 "$WORK/ban.db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $REVISIONS)
  INSERT INTO revisions (id, client_id, code_commune, status, is_ready, is_current, context, validation,
    rows_count, published_at, created_at, updated_at)
  SELECT printf('%024x', i), '$CLIENT', '54084', 'published', 1, 0,
    '{\"nomComplet\":\"Jeanne Martin\",\"organisation\":\"Mairie\"}',
    '{\"valid\":false,\"padding\":\"' || hex(zeroblob(1000000)) || '\"}', 1,
    '2026-12-07T10:00:00Z', '2026-12-07T10:00:00Z', '2026-12-07T10:00:00Z' FROM n"
echo "database: $(du -h "$WORK/ban.db" | cut -f1), $REVISIONS revisions of 2 MB reports"
measure "GET /revisions/client/{id}" 2 "$BASE/revisions/client/$CLIENT"

# A FILE_MB draft file, downloaded by its client.
python3 -c "
import sys
line = b'54084_0001_00001;1;;rue;;;54084;Mont-Bonvillers;;;;;entree;1.0;48.0;source;2026-01-01\n'
sys.stdout.buffer.write(line * ($FILE_MB * 1_000_000 // len(line)))" >"$WORK/big.csv"
start
ID=$(curl -sf -X POST -H "Authorization: Token $TOKEN" -H 'Content-Type: application/json' \
  -d '{"context":{}}' "$BASE/communes/54084/revisions" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
curl -sf -o /dev/null -X PUT -H "Authorization: Token $TOKEN" -H 'Content-Type: text/csv' \
  --data-binary "@$WORK/big.csv" "$BASE/revisions/$ID/files/bal"
stop
measure "GET /revisions/{id}/files/bal/download ($(du -h "$WORK/big.csv" | cut -f1))" 4 \
  -H "Authorization: Token $TOKEN" "$BASE/revisions/$ID/files/bal/download"
