#!/usr/bin/env bash
# bench/faults.sh [ROUNDS=100] — the fault campaign: `ban serve` on a fresh SQLite store,
# killed (SIGKILL) at random moments while two clients publish the BAL files of COMMUNES [8]
# communes of the shared small set, restarted, and the store's invariants checked after each
# restart (bench/faults.py says which). Prints the recovery time of each round and a summary;
# exits 1 if an invariant broke. BAN [target/release/ban], SEED [1].
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
export BAN="${BAN:-$ROOT/target/release/ban}"
export BAL_DIR="${BAL_DIR:-$SHARED/data/synthetic/small/bal}"
export WORK="$(mktemp -d /tmp/ban-faults.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
[ -x "$BAN" ] || { echo "faults: build first (cargo build --release -p ban)" >&2; exit 2; }
python3 "$ROOT/bench/faults.py" "${1:-100}"
