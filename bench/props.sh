#!/usr/bin/env bash
# bench/props.sh [CASES=20000] — the property tests of what reads hostile input, run for a
# fixed budget of CASES generated inputs each (CI runs them with proptest's default 256):
# the BAL reader and validator on arbitrary bytes (libs/bal/tests/reader_props.rs), the
# geocoder's query-string parser (services/geocoder/src/params.rs) and the search engine on
# messy address texts (libs/search/tests/search.rs). cargo-fuzz needs a nightly toolchain,
# which these machines do not have; proptest runs on stable. A failure prints the input,
# shrunk, and is kept in proptest-regressions/ to be replayed.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
export PROPTEST_CASES="${1:-20000}"
cd "$ROOT"
time cargo test --release -p ban-bal --test reader_props
time cargo test --release -p ban-geocoder --lib params::
time cargo test --release -p ban-search --test search any_accepted_text
