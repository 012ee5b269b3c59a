# What the bench scripts share, sourced first (`. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"`):
# strict mode, no Python bytecode written beside the peers, ROOT (this project) and SHARED
# (the shared specs, data and peers: $SHARED, by default ../shared).
set -euo pipefail
export PYTHONDONTWRITEBYTECODE=1
# Load generators measure throughput from one address: the servers' rate limits are off.
export RATE_LIMIT_PER_IP="${RATE_LIMIT_PER_IP:-0}" RATE_LIMIT_PER_TOKEN="${RATE_LIMIT_PER_TOKEN:-0}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED="${SHARED:-$(cd "$ROOT/../shared" && pwd)}"

# bench_tmp NAME: prints $TMPDIR/ban-bench-NAME (/tmp without TMPDIR), created if needed; kept
# between runs, so that generated inputs are made once.
bench_tmp() {
  local dir="${TMPDIR:-/tmp}/ban-bench-$1"
  mkdir -p "$dir"
  echo "$dir"
}
