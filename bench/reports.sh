#!/usr/bin/env bash
# Citizen reports under load, and what closing them costs a publication, on the 52 k-row
# synthetic commune (Nice, 06088) of ../shared/bench/gen/gen_bal.py (and its revision 2), with
# `ban` built in release and the embedded SQLite store in a temporary directory:
#
#   1. reports accepted per second: `ban serve` (per-address limits off), reports sent for
#      SECONDS from CONCURRENCY keep-alive connections (bench/reports_load.py);
#   2. the cost of auto-closing: the commune's two revisions published alternately RUNS times
#      by `ban import` into two copies of one store, one without reports, the other with the
#      reports of step 1 pending (at least 1,000: the consolidator compares the 1,000 newest
#      with the changes it wrote; numbers 90000 and up, that no revision answers, so each is
#      compared with every change); per run the consolidation times (claim → commit) side by
#      side, then their medians and the difference.
#
# usage: [PROFILE=debug] bench/reports.sh [SECONDS] [CONCURRENCY] [RUNS]   (defaults 20, 8, 5)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SECONDS_LOAD="${1:-20}" CONCURRENCY="${2:-8}" RUNS="${3:-5}"
TMP="$(bench_tmp reports)"
GEN="$SHARED/bench/gen/gen_bal.py"
# The generator needs pyproj: a venv of its own here (../shared may be read-only).
[ -x "$TMP/venv/bin/python" ] || { python3 -m venv "$TMP/venv" && "$TMP/venv/bin/pip" install -q pyproj==3.7.2; }
for rev in 1 2; do
  [ -f "$TMP/rev$rev/bal/06/06088.csv" ] ||
    "$TMP/venv/bin/python" "$GEN" "$TMP/rev$rev" --communes 06088 --defects '' --revision "$rev" >/dev/null 2>&1
done
# PROFILE=debug measures a debug build (quicker to build; slower, not the figures to quote).
if [ "${PROFILE:-release}" = debug ]; then
  (cd "$ROOT" && cargo build -q -p ban >&2)
else
  (cd "$ROOT" && cargo build --release -q -p ban >&2)
fi
BAN="${CARGO_TARGET_DIR:-$ROOT/target}/${PROFILE:-release}/ban"

WORK="$(mktemp -d)"
SERVER=
trap '[ -n "$SERVER" ] && kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
export RUST_LOG=warn
mkdir -p "$WORK/1" "$WORK/2"
cp "$TMP/rev1/bal/06/06088.csv" "$WORK/1/"
cp "$TMP/rev2/bal/06/06088.csv" "$WORK/2/"
echo "commune 06088: revision 1 $(($(wc -l < "$WORK/1/06088.csv") - 1)) rows, revision 2 $(($(wc -l < "$WORK/2/06088.csv") - 1)) rows"

# Both stores at revision 1, unmeasured.
"$BAN" import "$WORK/1" --database-url "sqlite://$WORK/plain.db" >/dev/null
sqlite3 "$WORK/plain.db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
cp "$WORK/plain.db" "$WORK/reports.db"

# 1. Reports per second, into the second store.
PORT=18$((RANDOM % 900 + 100))
DATABASE_URL="sqlite://$WORK/reports.db" REPORTS_PER_IP=0 MAX_PENDING_REPORTS_PER_IP=0 \
  "$BAN" serve --listen "127.0.0.1:$PORT" 2>"$WORK/log" &
SERVER=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
python3 "$ROOT/bench/reports_load.py" load "http://127.0.0.1:$PORT" "$SECONDS_LOAD" "$CONCURRENCY" "$WORK/1/06088.csv"
kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=
pending=$(sqlite3 -readonly "$WORK/reports.db" "SELECT COUNT(*) FROM reports WHERE status = 'PENDING'")
echo "pending reports of 06088: $pending"
[ "$pending" -ge 1000 ] || { echo "fewer than 1,000 pending reports: raise SECONDS" >&2; exit 1; }

# 2. Consolidations with and without them, side by side.
plain=() with=()
for run in $(seq "$RUNS"); do
  side=$(( run % 2 == 1 ? 2 : 1 ))
  a=$("$BAN" import "$WORK/$side" --database-url "sqlite://$WORK/plain.db" | python3 "$ROOT/bench/reports_load.py" consolidation)
  b=$("$BAN" import "$WORK/$side" --database-url "sqlite://$WORK/reports.db" | python3 "$ROOT/bench/reports_load.py" consolidation)
  echo "run $run (revision $side): consolidation without reports $a, with $pending pending $b"
  plain+=("${a% ms}") with+=("${b% ms}")
done
closed=$(sqlite3 -readonly "$WORK/reports.db" "SELECT COUNT(*) FROM reports WHERE processed_by = 'consolidation'")
python3 - "${plain[*]}" "${with[*]}" "$closed" <<'PY'
import statistics, sys
plain = [float(t) for t in sys.argv[1].split()]
with_ = [float(t) for t in sys.argv[2].split()]
a, b = statistics.median(plain), statistics.median(with_)
print(f"median consolidation: {a:.0f} ms without reports, {b:.0f} ms with them: "
      f"{b - a:+.0f} ms ({(b - a) / a * 100:+.1f} %); reports closed by the publications: {sys.argv[3]}")
PY
