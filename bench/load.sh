#!/usr/bin/env bash
# A memory-bounded load test (issue 15): one `ban serve` on an embedded SQLite store holding the
# shared small set, under a mixed load for SECONDS: publishers of a real commune's file,
# uploaders of a hostile file (an 8 MB BAL of 347,826 empty rows, the one that used to cost
# 2.8 GB per compute), searchers and Server-Sent Events readers of the change feed, plus a
# /healthz probe. Prints the answers per kind and status (503 `validation_busy` is the depot
# refusing a compute beyond its cap; 429 needs RATE_LIMIT_PER_IP/PER_TOKEN set, off by default
# in the bench scripts), the server's peak resident memory and the slowest /healthz.
#
# usage: bench/load.sh [BAN_BINARY] [SECONDS] [PUBLISHERS HOSTILE SEARCHERS READERS]
#        (defaults: target/release/ban, 60 s, 2 4 4 8)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
BAN="${1:-$ROOT/target/release/ban}"
SECONDS_="${2:-60}"
USERS=("${3:-2}" "${4:-4}" "${5:-4}" "${6:-8}")
WORK="$(mktemp -d)"
SERVER=
trap '[ -n "$SERVER" ] && kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
export DATABASE_URL="sqlite://$WORK/ban.db" RUST_LOG=warn

# The hostile file: the real header of a BAL, then rows of empty fields, to 8 MB.
HOSTILE="$WORK/hostile.csv"
python3 - "$SHARED/data/real-bal/71346_perrecy-les-forges.csv" "$HOSTILE" <<'PY'
import sys
header = open(sys.argv[1], "rb").readline().rstrip(b"\r\n")
with open(sys.argv[2], "wb") as out:
    out.write(header + b"\r\n")
    out.write((b";" * header.count(b";") + b"\r\n") * 347_826)
PY

echo "load: importing the shared small set" >&2
"$BAN" import "$SHARED/data/synthetic/small/bal" >/dev/null 2>"$WORK/import.log"
TOKEN="$("$BAN" client create --name charge --internal 2>/dev/null)"
PORT=18$((RANDOM % 900 + 100))
"$BAN" serve --listen "127.0.0.1:$PORT" 2>>"$WORK/log" &
SERVER=$!
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
echo "load: ${SECONDS_} s of publishers, hostile uploaders, searchers, feed readers: ${USERS[*]}" >&2
cd "$ROOT/bench"
python3 load.py "http://127.0.0.1:$PORT" "$TOKEN" "$SERVER" "$SECONDS_" \
  "$ROOT/data/samples/54084_mont-bonvillers.csv" "$HOSTILE" "$SHARED/data/synthetic/small/queries.tsv" "${USERS[@]}"
# The server still answers, and stops within its grace period.
curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && echo "load: the server answers after the load" >&2
kill -TERM "$SERVER"; t0=$(date +%s.%N); wait "$SERVER" 2>/dev/null || true; SERVER=
echo "load: stopped in $(python3 -c "print(round($(date +%s.%N) - $t0, 2))") s after SIGTERM" >&2
