#!/usr/bin/env bash
# Upload + compute of the 52 k-row synthetic commune (Nice, 06088) through the depot's HTTP
# API, end to end, on `ban serve` with the embedded SQLite store in a temporary directory.
#
# usage: bench/depot.sh [RUNS]        (from the project root; needs ../shared for the generator)
# Prints per run: upload s, compute s, total s; then the median total.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PEERS="$SHARED/bench"
RUNS="${1:-5}"
TMP="$(bench_tmp depot)"
[ -x "$PEERS/gen/.venv/bin/python" ] || "$PEERS/gen/setup.sh" >&2
FILE="$TMP/clean/bal/06/06088.csv"
[ -f "$FILE" ] || "$PEERS/gen/.venv/bin/python" "$PEERS/gen/gen_bal.py" "$TMP/clean" --communes 06088 --defects '' >/dev/null 2>&1
(cd "$ROOT" && cargo build --release -p ban >&2)
BAN="$ROOT/target/release/ban"

WORK="$(mktemp -d)"
export DATABASE_URL="sqlite://$WORK/ban.db" RUST_LOG=warn
TOKEN="$("$BAN" client create --name bench --internal 2>/dev/null)"
PORT=18$((RANDOM % 900 + 100))
"$BAN" serve --listen "127.0.0.1:$PORT" 2>"$WORK/log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
BASE="http://127.0.0.1:$PORT/api-depot"
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

echo "file: $FILE ($(($(wc -l < "$FILE") - 1)) rows, $(wc -c < "$FILE") bytes)"
totals=()
for i in $(seq "$RUNS"); do
  ID=$(curl -sf -X POST -H "Authorization: Token $TOKEN" -H 'Content-Type: application/json' \
    -d '{"context":{}}' "$BASE/communes/06088/revisions" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  up=$(curl -sf -o /dev/null -w '%{time_total}' -X PUT -H "Authorization: Token $TOKEN" \
    -H 'Content-Type: text/csv' --data-binary "@$FILE" "$BASE/revisions/$ID/files/bal")
  comp=$(curl -sf -o "$WORK/computed.json" -w '%{time_total}' -X POST -H "Authorization: Token $TOKEN" "$BASE/revisions/$ID/compute")
  valid=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["validation"]["valid"], d["validation"]["rowsCount"])' "$WORK/computed.json")
  total=$(python3 -c "print(round($up + $comp, 3))")
  totals+=("$total")
  echo "run $i: upload ${up}s compute ${comp}s total ${total}s (valid rows: $valid)"
done
printf '%s\n' "${totals[@]}" | python3 -c 'import sys, statistics; print("median upload+compute:", statistics.median(float(l) for l in sys.stdin), "s")'
