#!/usr/bin/env bash
# The main job on the embedded default: `ban serve` on a SQLite file under ./data/, the
# directory of town halls imported (data/directory/: the DILA format, invented addresses),
# then a municipality's publication of a real BAL file through the submission API with the
# town hall's consent (habilitation: a PIN code sent to the directory's address, given back),
# then create, upload, compute, publish; its consolidation into the national base (change feed
# summed up), and a file with defects refused with its line-numbered report. The server keeps
# running afterwards (Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BAN="${CARGO_TARGET_DIR:-target}/release/ban"
LISTEN="${LISTEN:-127.0.0.1:8080}"
export DATABASE_URL="${DATABASE_URL:-sqlite://data/ban.db}"
BASE="http://$LISTEN/api-depot"

RUST_LOG="${RUST_LOG:-warn}" "$BAN" serve --listen "$LISTEN" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://$LISTEN/healthz" >/dev/null && break; sleep 0.1; done
curl -sf "http://$LISTEN/healthz" >/dev/null || { echo "ban serve did not start on $LISTEN" >&2; exit 1; }

TOKEN="$("$BAN" client create --name "Démo" --mandataire "BAN Sync" --internal)"
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# Where PIN codes may be sent: the town halls' addresses of the State's directory (the demo's
# copy has invented addresses under .invalid; in production, the daily DILA export).
echo "== directory of town halls → the addresses a commune's PIN code may be sent to"
"$BAN" directory import data/directory/api-lannuaire-administration.json

# A client without options publishes with a habilitation: the town hall's consent, given by
# the code sent to one of its addresses (without SMTP_URL the code goes to the log, and
# `ban habilitation pin` reads it, as the town hall's agent would read the e-mail).
habilitate() { # commune → sets TOKEN_HAB and HABILITATION
  local commune="$1" email pin
  echo
  echo "== habilitation of an editor for commune $commune"
  TOKEN_HAB="$("$BAN" client create --name "Éditeur de démo" --mandataire "BAN Sync" 2>/dev/null)"
  HABILITATION=$(curl -sf -X POST -H "Authorization: Token $TOKEN_HAB" "$BASE/communes/$commune/habilitations" | json 'd["id"]')
  email=$(curl -sf "$BASE/communes/$commune/emails" | json 'd[0]')
  echo "GET /communes/$commune/emails → $(curl -sf "$BASE/communes/$commune/emails")"
  curl -s -X POST -H "Authorization: Token $TOKEN_HAB" -H 'Content-Type: application/json' \
    -d '{"email":"someone@example.org"}' "$BASE/habilitations/$HABILITATION/authentication/email/send-pin-code" \
    | json '"a code to another address: refused, HTTP %s: %s" % (d["status"], d["detail"])'
  curl -sf -X POST -H "Authorization: Token $TOKEN_HAB" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$email\"}" "$BASE/habilitations/$HABILITATION/authentication/email/send-pin-code" \
    | json '"code sent to %s (habilitation %s, %s tries)" % (d["emailCommune"], d["id"], d["remainingAttempts"])'
  pin=$("$BAN" habilitation pin "$HABILITATION" | cut -f1)
  curl -sf -X POST -H "Authorization: Token $TOKEN_HAB" -H 'Content-Type: application/json' \
    -d "{\"code\":\"$pin\"}" "$BASE/habilitations/$HABILITATION/authentication/email/validate-pin-code" \
    | json '"code given back: habilitation %s" % d["status"]'
}

PUBLISHED=""
publish() { # commune file [token habilitation]
  local commune="$1" file="$2" id
  local TOKEN="${3:-$TOKEN}" body="{}"
  [ -n "${4:-}" ] && body="{\"habilitationId\":\"$4\"}"
  PUBLISHED=""
  echo
  echo "== $file → commune $commune"
  id=$(curl -sf -X POST -H "Authorization: Token $TOKEN" -H 'Content-Type: application/json' \
    -d '{"context":{"nomComplet":"Démonstration","organisation":"BAN Sync"}}' "$BASE/communes/$commune/revisions" | json 'd["id"]')
  echo "revision $id created"
  curl -sf -X PUT -H "Authorization: Token $TOKEN" -H 'Content-Type: text/csv' --data-binary "@$file" \
    "$BASE/revisions/$id/files/bal" | json '"file stored: %s bytes, sha256 %s" % (d["size"], d["hash"])'
  curl -sf -X POST -H "Authorization: Token $TOKEN" "$BASE/revisions/$id/compute" | json '
"computed: valid=%s, %s rows, errors %s, warnings %s" % (d["validation"]["valid"], d["validation"]["rowsCount"], d["validation"]["errors"], d["validation"]["warnings"])
+ "".join("\n  line %s: %s %s%s" % (i["line"], i["level"], i["code"], " (%s = %r)" % (i["field"], i["value"]) if i["field"] else "") for i in d["validation"]["issues"] if i["level"] == "E")'
  curl -s -X POST -H "Authorization: Token $TOKEN" -H 'Content-Type: application/json' -d "$body" \
    "$BASE/revisions/$id/publish" | json '
"published: current revision of %s since %s" % (d["codeCommune"], d["publishedAt"]) if "status" in d and d["status"] == "published" else "not published: %s (HTTP %s)" % (d["detail"], d["status"])'
  curl -sf "$BASE/communes/$commune/current-revision" 2>/dev/null | grep -q "\"id\":\"$id\"" && PUBLISHED="$id"
  return 0
}

# The national base before the commune's BAL: an old BAN export of it (when ../shared is here).
LEGACY=../shared/data/real-ban-legacy/adresses-54084_ban-legacy.csv
if [ -f "$LEGACY" ]; then
  echo "== legacy BAN export → base of 54084 until it publishes its BAL"
  "$BAN" import-legacy "$LEGACY"
fi

habilitate 54084
publish 54084 data/samples/54084_mont-bonvillers.csv "$TOKEN_HAB" "$HABILITATION"
if [ -n "$PUBLISHED" ]; then
  # The consolidator turns the publication into the commune's part of the base.
  for _ in $(seq 100); do
    "$BAN" changes --limit 100000000 | grep -q "\"kind\":\"commune\".*\"revision\":\"$PUBLISHED\"" && break
    sleep 0.1
  done
  "$BAN" changes --limit 100000000 | python3 -c '
import collections, json, sys
revision = sys.argv[1]
changes = [json.loads(line) for line in sys.stdin]
mine = [c for c in changes if c["revision"] == revision]
ops = collections.Counter((c["kind"], c["op"]) for c in mine)
commune = [c for c in mine if c["kind"] == "commune"]
if not commune:
    sys.exit("consolidation not done yet: see the server log")
state = commune[-1]["state"]
print("consolidated: %s (%s) now %d addresses, %d toponyms, from its BAL; feed seq %d..%d"
      % (state["name"], state["code"], state["addresses"], state["toponyms"], mine[0]["seq"], mine[-1]["seq"]))
print("  changes: " + ", ".join("%s %s %d" % (k, o, n) for (k, o), n in sorted(ops.items())))
if ops[("address", "updated")]:
    print("  (an address \"updated\" kept its BAN id from the legacy base: matched by cle_interop or street and number)")
' "$PUBLISHED"
fi
publish 67482 data/samples/67482_strasbourg_with-defects.csv

echo
echo "== downloads"
curl -sf "http://$LISTEN/api/communes/54084" | json '"GET /api/communes/54084 → %s addresses (%s certified), %s toponyms, revision %s, last change seq %s" % (d["addresses"], d["certifiedAddresses"], d["toponyms"], d["revision"], d["lastChange"]["seq"])'
ROWS=$(curl -sf "http://$LISTEN/data/ban/adresses/latest/csv/adresses-54084.csv.gz" | gzip -dc | tail -n +2 | wc -l)
echo "GET /data/ban/adresses/latest/csv/adresses-54084.csv.gz → $ROWS addresses (also csv-with-ids, csv-bal, geojson, addok; per département: adresses-54.csv.gz)"
curl -sf "http://$LISTEN/api/lookup/54084_0020_00001" | json '"GET /api/lookup/54084_0020_00001 → %s %s, %s %s" % (d["type"], d["id"], d["numero"], d["toponymRef"]["name"])'
SEARCH="http://$LISTEN/search/?q=1+allee+des+acacias+mont-bonvillers&limit=1"
for _ in $(seq 50); do curl -sf "$SEARCH" | grep -q '"housenumber"' && break; sleep 0.1; done
curl -sf "$SEARCH" | json '"GET /search/?q=1 allee des acacias mont-bonvillers → %s (%s, score %.2f)" % (d["features"][0]["properties"]["label"], d["features"][0]["properties"]["type"], d["features"][0]["properties"]["score"])' || echo "(geocoder index still building)"
curl -sfi "http://$LISTEN/api/changes?since=0&limit=1" | tr -d '\r' | grep -i '^x-ban-feed-head' | sed 's/^/GET \/api\/changes → /'

echo
curl -sf "$BASE/communes/54084/current-revision" | json '"GET /api-depot/communes/54084/current-revision → %s (%s)" % (d["id"], d["status"])'

echo
echo "== a citizen reports a missing number of 54084 (no account; the author stays private)"
REPORT='{"codeCommune":"54084","type":"LOCATION_TO_CREATE","existingLocation":{"type":"VOIE","nom":"Allée des Acacias"},"changesRequested":{"numero":14,"suffixe":"bis","nomVoie":"Allée des Acacias","positions":[{"type":"entrée","point":{"type":"Point","coordinates":[5.8335,49.3259]}}],"comment":"Maison neuve"},"author":{"firstName":"Jeanne","lastName":"Martin","email":"jeanne.martin@example.org"}}'
curl -sf -X POST -H 'Content-Type: application/json' -d "$REPORT" "$BASE/signalements" \
  | json '"POST /api-depot/signalements → %s %s, %s (author answered: %s)" % (d["id"], d["type"], d["status"], "author" in d)'
echo
echo "BAN Sync is serving on http://$LISTEN (store: $DATABASE_URL)"
echo "  in a browser: http://$LISTEN/ (address search) · http://$LISTEN/outils/validateur (BAL validator)"
echo "    · http://$LISTEN/publier (publish a BAL) · http://$LISTEN/commune/54084 (a commune, its map) · http://$LISTEN/donnees (downloads)"
echo "  citizen reports: GET http://$LISTEN/api-depot/signalements?codeCommune=54084"
echo "  API description: http://$LISTEN/api-depot/docs and /api/openapi.json · health: /healthz · metrics: /metrics"
echo "  client tokens of this demo: $TOKEN (internal), $TOKEN_HAB (habilitation $HABILITATION)"
echo "  audit log: ban audit, or GET /api-depot/admin/audit with ADMIN_TOKEN"
echo "Ctrl-C to stop."
wait $SERVER
