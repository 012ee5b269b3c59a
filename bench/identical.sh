#!/usr/bin/env bash
# bench/identical.sh — proves that a refactor changed no output: captures what a given `ban`
# binary answers on the shared data, normalised so that two runs of one binary give identical
# files, then compares two captures.
#
#   bench/identical.sh capture BAN_BINARY OUTDIR   # run BAN_BINARY (no cargo), write under OUTDIR
#   bench/identical.sh compare DIR_A DIR_B         # exit 0 if identical; else the differing
#                                                   # files, the first lines of each diff, exit 1
#
# A capture (about 2½ minutes on 2 cores, ~270 MB) holds:
#  validate/      `ban validate --format json` of every .csv of ../shared/data/conformance
#                 (recursively, as ../shared/bench/conformance/compare.py walks it), one file per
#                 input (json/REL.json, `timingMs` removed), the human output with --infos
#                 (human/REL.txt), and every exit status (exit-status.tsv).
#  base/          the national base as `ban import` builds it: synthetic/small/bal into a fresh
#                 SQLite store, the change feed (`ban changes --since 0`, every page), then
#                 synthetic/small-rev2/bal into the same store and the feed again; then every
#                 format of `ban export` (FORMATS), for France, --dep $DEP and --commune $COMMUNE
#                 (decompressed); `ban geocode` of synthetic/small/batch.csv (columns adresse,
#                 postcode, city; and all columns, the default) and --reverse of reverse.tsv;
#                 then `ban serve` on a copy of the store: /search/ for queries.tsv (limit 5),
#                 /reverse/ for reverse.tsv, /search/csv/ of batch.csv, /api/communes/CODE of
#                 every commune of the input, /geocoder/status.
#  base-drop-invalid-rows/  the same with `ban import --drop-invalid-rows` (the raw synthetic
#                 files have planted defects: without it most communes are refused, and the
#                 base above has 41 of the 105 communes; with it all are in).
#  base-988/      real-bal-derived/988-nouvelle-caledonie (6 communes, 40 874 addresses, files
#                 linked as CODE.csv) imported, its feed, `ban geocode` of real-addok/988-queries/
#                 batch.csv, and /search/ + /reverse/ of that query set (ids all made up by the
#                 binary: the files have no id_ban_* columns).
#  meta/          binary, date, run time, summary: not compared.
# Normalisation (bench/identical_normalise.py, see its docstring): UUIDs of the input files
# kept, other UUIDs and revision ids numbered in order of first appearance per file, ISO
# timestamps and the capture's dates masked, durations masked in logs, the feed re-ordered by
# (phase, commune, seq) with seq values masked (the order in which communes are consolidated
# varies from run to run), feed positions quoted in /api/communes masked.
#
# Environment: SHARED [../shared]  DEP [62]  COMMUNE [62248]  PORT [18790] (the next free
# one is taken)  FEED_PAGE [20000]  GEOCODER_EMPTY_COMMUNES [false] (for `ban serve`; the
# offline `ban geocode` runs without it)  SHOW [15] lines of each diff shown by compare.
set -euo pipefail
export PYTHONDONTWRITEBYTECODE=1
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NORM=(python3 "$ROOT/bench/identical_normalise.py")
QUERY=(python3 "$ROOT/bench/identical_query.py")

usage() { sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
log() { echo "[identical $(date +%H:%M:%S)] $*" >&2; }

# ---------------------------------------------------------------------------- compare
compare() {
  local a=$1 b=$2 show=${SHOW:-15} n=0 line fa fb
  [ -d "$a" ] && [ -d "$b" ] || { echo "compare: $a and $b must be captures (directories)" >&2; exit 2; }
  while IFS= read -r line; do
    n=$((n + 1))
    case "$line" in
      "Files "*" differ")
        fa=${line#Files }; fa=${fa%% and *}; fb=${line#* and }; fb=${fb% differ}
        echo "DIFFERS: ${fa#"$a"/}"
        diff -u "$fa" "$fb" | head -n $((show + 2)) | sed 's/^/    /' || true ;;
      *) echo "$line" ;;
    esac
  done < <(diff -rq -x meta "$a" "$b" || true)
  if [ "$n" -eq 0 ]; then
    echo "identical: $(find "$a" -path "$a/meta" -prune -o -type f -print | wc -l) files ($a = $b)"
    exit 0
  fi
  echo "NOT identical: $n files differ or exist on one side only ($a vs $b)"
  exit 1
}

# ---------------------------------------------------------------------------- capture
capture() {
  BAN="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
  OUT=$2
  [ -x "$BAN" ] || { echo "capture: $1 is not an executable" >&2; exit 2; }
  if [ -e "$OUT" ]; then
    if [ -d "$OUT/meta" ] || [ -z "$(ls -A "$OUT")" ]; then rm -rf "$OUT"
    else echo "capture: $OUT exists and is not a capture: refusing to overwrite it" >&2; exit 2; fi
  fi
  mkdir -p "$OUT/meta"
  OUT="$(cd "$OUT" && pwd)"
  SHARED="$(cd "${SHARED:-$ROOT/../shared}" && pwd)"
  DATA="$SHARED/data"
  DEP=${DEP:-62}; COMMUNE=${COMMUNE:-62248}; FEED_PAGE=${FEED_PAGE:-20000}
  SERVE_EMPTY=${GEOCODER_EMPTY_COMMUNES:-false}
  unset DATABASE_URL GEOCODER_EMPTY_COMMUNES LISTEN_ADDR
  export RATE_LIMIT_PER_IP=0 RATE_LIMIT_PER_TOKEN=0 # queries from one address: throughput, not limits
  WORK="$(mktemp -d /tmp/identical-work.XXXXXX)"
  SERVER_PID=""
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  T0=$(date +%s)
  # Dates the binary may take from the clock (tomorrow too: a capture that crosses midnight).
  DATES="$(date +%F),$(date -d tomorrow +%F)"
  {
    echo "binary: $BAN"; echo "sha256: $(sha256sum "$BAN" | cut -d' ' -f1)"
    echo "version: $("$BAN" --version)"; echo "date: $(date -Is)"; echo "host: $(uname -srm), $(nproc) cpus"
    echo "shared: $SHARED"; echo "dep: $DEP, commune: $COMMUNE, serve GEOCODER_EMPTY_COMMUNES=$SERVE_EMPTY"
  } > "$OUT/meta/env.txt"
  log "capturing $BAN into $OUT (work dir $WORK)"

  "${NORM[@]}" known-ids "$WORK/known-ids.txt" "$DATA/synthetic/small/bal" "$DATA/synthetic/small-rev2/bal" >/dev/null
  capture_validate
  capture_base base "$DATA/synthetic/small" ""
  capture_base base-drop-invalid-rows "$DATA/synthetic/small" "--drop-invalid-rows"
  capture_988
  summary
}

cleanup() {
  set +e
  stop_server
  rm -rf "$WORK"
}

stop_server() {
  if [ -n "${SERVER_PID:-}" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null
  fi
  SERVER_PID=""
}

# text IN OUT [normaliser options]: ids, timestamps, run dates, work paths.
norm() { local in=$1 out=$2; shift 2
  "${NORM[@]}" text "$in" "$out" --known "$WORK/known-ids.txt" --dates "$DATES" --replace "$WORK=<WORK>" "$@"; }

# 1. The validator on the conformance corpus.
capture_validate() {
  local corpus="$DATA/conformance" rel rc rc2 n=0
  log "validate: $corpus"
  mkdir -p "$OUT/validate/human" "$WORK/validate"
  printf 'file\texit_json\texit_human\n' > "$OUT/validate/exit-status.tsv"
  while IFS= read -r rel; do
    rel=${rel#./}
    mkdir -p "$WORK/validate/$(dirname "$rel")" "$OUT/validate/human/$(dirname "$rel")"
    rc=0; (cd "$corpus" && "$BAN" validate --format json "$rel") \
      > "$WORK/validate/${rel%.csv}.json" 2> "$WORK/validate/${rel%.csv}.err" || rc=$?
    rc2=0; (cd "$corpus" && "$BAN" validate --infos "$rel") > "$WORK/validate/${rel%.csv}.txt" 2>&1 || rc2=$?
    printf '%s\t%s\t%s\n' "$rel" "$rc" "$rc2" >> "$OUT/validate/exit-status.tsv"
    n=$((n + 1))
  done < <(cd "$corpus" && find . -name '*.csv' -type f | LC_ALL=C sort)
  "${NORM[@]}" validate-dir "$WORK/validate" "$OUT/validate"
  log "validate: $n files"
}

# The whole feed of DB (every page) into FILE.
fetch_feed() { local db=$1 file=$2 since=0 page n
  : > "$file"
  while :; do
    page="$WORK/page.jsonl"
    "$BAN" changes --since "$since" --limit "$FEED_PAGE" --database-url "sqlite://$db" > "$page" 2>> "$WORK/changes.err"
    cat "$page" >> "$file"
    n=$(grep -c . "$page" || true)
    [ "$n" -ge "$FEED_PAGE" ] || break
    since=$(tail -n 1 "$page" | python3 -c 'import json, sys; print(json.loads(sys.stdin.read())["seq"])')
  done
}
max_seq() { python3 -c 'import json, sys; print(max([json.loads(l)["seq"] for l in open(sys.argv[1]) if l.strip()] or [0]))' "$1"; }

# ban import DIR into DB, its output normalised into FILE (exit status first).
run_import() { local db=$1 dir=$2 file=$3; shift 3
  local rc=0
  "$BAN" import "$dir" "$@" --database-url "sqlite://$db" > "$WORK/import.txt" 2>&1 || rc=$?
  { echo "exit status: $rc"; cat "$WORK/import.txt"; } > "$WORK/import.log"
  norm "$WORK/import.log" "$file" --timings
  sed -n '1,3p' "$WORK/import.txt" | sed 's/^/  /' >&2
}

# 2-4. A base built from DATA/bal then DATA-rev2/bal, its exports, its geocoder.
capture_base() { local name=$1 data=$2 args=$3
  local dir="$OUT/$name" db="$WORK/$name.db" n1
  mkdir -p "$dir"
  log "$name: ban import ${args:+$args }$data/bal"
  # shellcheck disable=SC2086
  run_import "$db" "$data/bal" "$dir/import-1.txt" $args
  fetch_feed "$db" "$WORK/$name-changes-1.jsonl"
  n1=$(max_seq "$WORK/$name-changes-1.jsonl")
  log "$name: ban import ${args:+$args }$data-rev2/bal"
  # shellcheck disable=SC2086
  run_import "$db" "$data-rev2/bal" "$dir/import-2.txt" $args
  fetch_feed "$db" "$WORK/$name-changes-2.jsonl"
  norm_feed "$WORK/$name-changes-1.jsonl" "$dir/changes-1.jsonl"
  norm_feed "$WORK/$name-changes-2.jsonl" "$dir/changes-2.jsonl" --phases "$n1"

  log "$name: exports"
  local formats fmt scope rc
  # Every format of `ban export` (a fixed list: the help's layout is not an interface).
  formats="${FORMATS:-csv csv-with-ids lieux-dits lieux-dits-with-ids csv-bal csv-bal-1.4 geojson geojson-toponymes geojsonl addok}"
  mkdir -p "$dir/export"
  echo "$formats" | tr ' ' '\n' > "$dir/export/formats.txt"
  : > "$WORK/export.log"
  for scope in france "dep-$DEP" "commune-$COMMUNE"; do
    local sargs=()
    case $scope in dep-*) sargs=(--dep "$DEP");; commune-*) sargs=(--commune "$COMMUNE");; esac
    mkdir -p "$dir/export/$scope"
    for fmt in $formats; do
      rc=0
      "$BAN" export --format "$fmt" "${sargs[@]}" --database-url "sqlite://$db" -o "$WORK/export.gz" \
        > "$WORK/export.out" 2>&1 || rc=$?
      { echo "== $scope $fmt: exit status $rc"; cat "$WORK/export.out"; } >> "$WORK/export.log"
      if [ -f "$WORK/export.gz" ]; then norm "$WORK/export.gz" "$dir/export/$scope/$fmt.txt"; rm -f "$WORK/export.gz"; fi
    done
  done
  norm "$WORK/export.log" "$dir/export/log.txt" --timings

  log "$name: ban geocode"
  geocode "$db" "$dir/geocode" "$data"
  serve_queries "$db" "$dir/serve" "$data" "$data/bal"
}

norm_feed() { local in=$1 out=$2; shift 2
  "${NORM[@]}" feed "$in" "$out" --known "$WORK/known-ids.txt" --dates "$DATES" "$@"; }

# Offline geocoding of DATA's batch.csv (and reverse.tsv when there is one).
geocode() { local db=$1 dir=$2 data=$3 rc
  mkdir -p "$dir"
  : > "$WORK/geocode.log"
  run_geocode() { local label=$1; shift
    rc=0
    "$BAN" geocode "$@" --database-url "sqlite://$db" -o "$WORK/geocode.out" > "$WORK/geocode.err" 2>&1 || rc=$?
    { echo "== $label: exit status $rc"; cat "$WORK/geocode.err"; } >> "$WORK/geocode.log"
    [ ! -f "$WORK/geocode.out" ] || { norm "$WORK/geocode.out" "$dir/$label"; rm -f "$WORK/geocode.out"; }
  }
  run_geocode batch.csv --columns adresse,postcode,city "$data/batch.csv"
  run_geocode batch-all-columns.csv "$data/batch.csv"
  run_geocode reverse.tsv --reverse --lon lon --lat lat "$data/reverse.tsv"
  norm "$WORK/geocode.log" "$dir/log.txt" --timings
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# `ban serve` on a copy of DB; the query set of DATA; /api/communes of the communes of BALDIR.
serve_queries() { local db=$1 dir=$2 data=$3 baldir=$4
  local copy="$WORK/serve.db" port=${PORT:-18790} f url
  rm -f "$copy" "$copy-wal" "$copy-shm"
  for f in "" -wal -shm; do [ ! -f "$db$f" ] || cp "$db$f" "$copy$f"; done
  while port_busy "$port"; do port=$((port + 1)); done
  url="http://127.0.0.1:$port"
  GEOCODER_EMPTY_COMMUNES="$SERVE_EMPTY" "$BAN" serve --listen "127.0.0.1:$port" \
    --database-url "sqlite://$copy" > "$WORK/serve.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 300); do
    curl -fs "$url/readyz" >/dev/null 2>&1 && break
    kill -0 "$SERVER_PID" 2>/dev/null || { tail -20 "$WORK/serve.log" >&2; echo "ban serve died" >&2; exit 1; }
    sleep 0.2
  done
  curl -fsS "$url/readyz" >/dev/null || { tail -20 "$WORK/serve.log" >&2; echo "ban serve not ready after 60 s" >&2; exit 1; }
  log "ban serve ready on $url: /search/, /reverse/, /search/csv/, /api/communes"
  mkdir -p "$dir"
  "${QUERY[@]}" "$url" search "$data/queries.tsv" "$WORK/search.jsonl" --limit 5 2>> "$WORK/query.log"
  "${QUERY[@]}" "$url" reverse "$data/reverse.tsv" "$WORK/reverse.jsonl" 2>> "$WORK/query.log"
  curl -sS -o "$WORK/search-csv.csv" -w '%{http_code}\n' -F data=@"$data/batch.csv" \
    -F columns=adresse -F columns=postcode -F columns=city "$url/search/csv/" > "$WORK/search-csv.status"
  local paths=(/geocoder/status)
  for f in $(find "$baldir" -name '*.csv' -printf '%f\n' | LC_ALL=C sort); do paths+=("/api/communes/${f%%[._]*}"); done
  "${QUERY[@]}" "$url" get "$WORK/api.jsonl" "${paths[@]}" 2>> "$WORK/query.log"
  stop_server
  norm "$WORK/search.jsonl" "$dir/search.jsonl"
  norm "$WORK/reverse.jsonl" "$dir/reverse.jsonl"
  { echo "HTTP $(cat "$WORK/search-csv.status")"; cat "$WORK/search-csv.csv"; } > "$WORK/search-csv.txt"
  norm "$WORK/search-csv.txt" "$dir/search-csv.csv"
  norm "$WORK/api.jsonl" "$dir/api.jsonl" --mask-key seq
}

# New Caledonia: real addresses, no BAN ids in the files.
capture_988() {
  local dir="$OUT/base-988" db="$WORK/988.db" f n
  mkdir -p "$dir" "$WORK/bal-988"
  for f in "$DATA"/real-bal-derived/988-nouvelle-caledonie/*.csv; do
    n=$(basename "$f"); ln -s "$f" "$WORK/bal-988/${n%%_*}.csv"
  done
  log "base-988: ban import $DATA/real-bal-derived/988-nouvelle-caledonie (linked as CODE.csv)"
  run_import "$db" "$WORK/bal-988" "$dir/import.txt"
  fetch_feed "$db" "$WORK/988-changes.jsonl"
  norm_feed "$WORK/988-changes.jsonl" "$dir/changes.jsonl"
  log "base-988: ban geocode"
  geocode "$db" "$dir/geocode" "$DATA/real-addok/988-queries"
  serve_queries "$db" "$dir/serve" "$DATA/real-addok/988-queries" "$WORK/bal-988"
}

summary() {
  local t=$(($(date +%s) - T0)) d
  {
    echo "capture of $BAN in ${t} s"
    echo "validate: $(($(wc -l < "$OUT/validate/exit-status.tsv") - 1)) files (json/ $(find "$OUT/validate/json" -type f | wc -l), human/ $(find "$OUT/validate/human" -type f | wc -l)); exit statuses json: $(tail -n +2 "$OUT/validate/exit-status.tsv" | cut -f2 | sort | uniq -c | awk '{printf "%s×%s ", $1, $2}')"
    for d in base base-drop-invalid-rows base-988; do
      echo "$d: $(find "$OUT/$d" -type f | wc -l) files;" \
        "$(for f in "$OUT/$d"/changes*.jsonl; do echo "$(basename "$f") $(($(wc -l < "$f") - 1)) changes"; done | paste -sd, -);" \
        "exports $(find "$OUT/$d/export" -name '*.txt' ! -name log.txt ! -name formats.txt 2>/dev/null | wc -l) files;" \
        "/search/ $(wc -l < "$OUT/$d/serve/search.jsonl"), /reverse/ $(wc -l < "$OUT/$d/serve/reverse.jsonl") answers"
      { grep -h '^base: ' "$OUT/$d"/import*.txt || true; } | sed 's/^/  after import: /'
    done
    echo "total: $(find "$OUT" -path "$OUT/meta" -prune -o -type f -print | wc -l) files, $(du -sh --exclude=meta "$OUT" | cut -f1)"
  } | tee "$OUT/meta/summary.txt"
}

case "${1:-}" in
  capture) [ $# -eq 3 ] || usage; capture "$2" "$3" ;;
  compare) [ $# -eq 3 ] || usage; compare "$2" "$3" ;;
  *) usage ;;
esac
