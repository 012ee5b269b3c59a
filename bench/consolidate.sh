#!/usr/bin/env bash
# Consolidation at scale, on data made by ../shared/bench/gen/gen_bal.py:
#
#   bench/consolidate.sh build DIR DB
#       `ban import DIR` into a fresh SQLite store DB: time, addresses/s, peak memory.
#   bench/consolidate.sh publish DB REV1.csv REV2.csv [RUNS]
#       publishes a commune's two revisions alternately (RUNS times, 5 by default) into the
#       store DB, as `ban import` of one file: per run, validation + publication time and the
#       consolidation time (claim → commit), which must not depend on the size of the base.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BAN=target/release/ban
cargo build --release -q -p ban

case "${1:-}" in
  build)
    dir="$2" db="$3"
    rm -f "$db" "$db-wal" "$db-shm"
    log=$(mktemp)
    /usr/bin/time -v "$BAN" import "$dir" --database-url "sqlite://$db" 2>"$log" | grep -v '^  '
    wall=$(grep 'Elapsed (wall clock)' "$log" | awk '{print $NF}')
    peak=$(grep 'Maximum resident' "$log" | awk '{print $NF}')
    addresses=$(sqlite3 -readonly "$db" "SELECT COUNT(*) FROM base_addresses WHERE active")
    python3 - "$wall" "$peak" "$addresses" "$(du -b "$db" | cut -f1)" <<'PY'
import sys
wall, peak_kb, addresses, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
parts = [float(p) for p in wall.split(":")]
seconds = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
print(f"national build: {addresses:,} addresses in {seconds:.0f} s = {addresses / seconds:,.0f} addresses/s; "
      f"peak memory {peak_kb / 1024:.0f} MB; store {size / 2**30:.1f} GiB")
PY
    ;;
  publish)
    db="$2" rev1="$3" rev2="$4" runs="${5:-5}"
    code=$(basename "$rev1" .csv)
    work=$(mktemp -d)
    mkdir -p "$work/1" "$work/2"
    cp "$rev1" "$work/1/$code.csv"
    cp "$rev2" "$work/2/$code.csv"
    before=$(sqlite3 -readonly "$db" "SELECT COUNT(*) FROM base_addresses WHERE active")
    echo "base: $before addresses; commune $code"
    # The commune at its first revision, unmeasured.
    "$BAN" import "$work/1" --database-url "sqlite://$db" >/dev/null
    for run in $(seq "$runs"); do
      side=$(( run % 2 == 1 ? 2 : 1 ))
      "$BAN" import "$work/$side" --database-url "sqlite://$db" | grep -E '^validation' | sed "s/^/run $run (revision $side): /"
    done
    rm -rf "$work"
    ;;
  *)
    sed -n '2,12p' "$0"
    exit 2
    ;;
esac
