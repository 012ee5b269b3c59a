#!/usr/bin/env bash
# The downloads page /donnees on a base of every commune of the COG (about 35,000, made up:
# counts only, no addresses rows), served by `ban web`: the time of the first view (it reads
# every commune of the base), of the next ones (kept until the feed moves), and of a view
# after a change (read again); the size of the page.
#
#   bench/donnees.sh            # with target/release/ban (built if missing)
#   BAN=path/to/ban bench/donnees.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BAN=${BAN:-target/release/ban}
[ -x "$BAN" ] || cargo build --release -p ban
OUT=$(mktemp -d)
PORT=18093
DB="$OUT/ban.db"
"$BAN" web --listen 127.0.0.1:$PORT --database-url "sqlite://$DB" --export-cache-dir "$OUT/exports" >"$OUT/web.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$OUT"' EXIT
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null || { cat "$OUT/web.log"; echo "ban web never got ready" >&2; exit 1; }

# The store's tables, filled as consolidation would leave them (one commune row in the feed each).
python3 - "$DB" data/cog/communes-2026.csv <<'PY'
import csv, json, random, sqlite3, sys, uuid
from datetime import datetime, timedelta, timezone
db = sqlite3.connect(sys.argv[1])
random.seed(1)
start = datetime(2026, 1, 1, tzinfo=timezone.utc)
with open(sys.argv[2], encoding="utf-8") as f:
    communes = [row["code"] for row in csv.DictReader(f, delimiter=";")]
head = db.execute("SELECT COALESCE(MAX(seq), 0) FROM changes").fetchone()[0]
for seq, code in enumerate(communes, start=head + 1):
    state = {"id": str(uuid.uuid4()), "code": code, "name": f"Commune {code}", "source": "bal",
             "addresses": random.randint(20, 3000), "certifiedAddresses": 0, "toponyms": 30}
    at = (start + timedelta(seconds=seq * 600)).isoformat(timespec="milliseconds")
    db.execute("INSERT INTO changes (seq, kind, id, op, commune, state, at) VALUES (?, 'commune', ?, 'created', ?, ?, ?)",
               (seq, state["id"], code, json.dumps(state), at))
    db.execute("INSERT INTO base_communes (code, id, source, seq) VALUES (?, ?, 'bal', ?)", (code, state["id"], seq))
db.commit()
print(f"{len(communes)} communes in the base")
PY

view() { curl -s -f -o "$OUT/page.html" -w '%{time_total}' "http://127.0.0.1:$PORT/donnees"; }
first=$(view)
next=""
for _ in 1 2 3 4 5; do next="$next $(view)"; done
# The feed moves: one commune changes.
sqlite3 "$DB" "INSERT INTO changes (seq, kind, id, op, commune, state, at)
  SELECT MAX(seq) + 1, 'commune', c.id, 'updated', c.commune, c.state, c.at FROM changes c WHERE c.seq = (SELECT MAX(seq) FROM changes);
  UPDATE base_communes SET seq = (SELECT MAX(seq) FROM changes) WHERE code = (SELECT commune FROM changes WHERE seq = (SELECT MAX(seq) FROM changes));"
moved=$(view)
rows=$(grep -c " data-departement=" "$OUT/page.html")
echo "/donnees: first view ${first} s; next views${next} s; after a change ${moved} s"
echo "  $rows départements, $(wc -c <"$OUT/page.html") bytes of HTML ($(gzip -c "$OUT/page.html" | wc -c) gzipped)"
