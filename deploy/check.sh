#!/usr/bin/env bash
# deploy/check.sh — validates the deployment files with the tools' own validators, offline:
#   * Kubernetes: the manifests rendered by `kubectl kustomize` (when kubectl is here), each
#     checked against the Kubernetes OpenAPI schemas of K8S_VERSION by kubernetes-validate;
#   * docker compose: `docker compose config` when the plugin is here; always, the file
#     (anchors and merges resolved) against the Compose specification's JSON schema, as
#     shipped inside docker-compose's own package;
#   * nginx: `nginx -t` on deploy/nginx.conf (the upstream host names mapped to 127.0.0.1).
# Python tools go to a venv of their own (DEPLOY_VENV, default target/deploy-venv).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEPLOY="$ROOT/deploy"
K8S_VERSION="${K8S_VERSION:-1.31.0}"
VENV="${DEPLOY_VENV:-$ROOT/target/deploy-venv}"
log() { echo "[deploy-check] $*" >&2; }

if [ ! -x "$VENV/bin/python" ]; then
  log "creating $VENV"
  python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import kubernetes_validate, jsonschema, yaml" 2>/dev/null; then
  log "installing kubernetes-validate, jsonschema, PyYAML"
  "$VENV/bin/pip" install -q "kubernetes-validate==1.31.0" "jsonschema>=4,<5" "PyYAML>=6,<7"
fi
SCHEMA="$VENV/compose_spec.json"
if [ ! -s "$SCHEMA" ]; then
  log "fetching the Compose specification schema (docker-compose 1.29.2's package)"
  tmp="$(mktemp -d)"
  "$VENV/bin/pip" download -q --no-deps -d "$tmp" "docker-compose==1.29.2"
  "$VENV/bin/python" - "$tmp" "$SCHEMA" <<'PY'
import glob, sys, zipfile
wheel = glob.glob(sys.argv[1] + "/docker_compose-*.whl")[0]
with zipfile.ZipFile(wheel) as z, open(sys.argv[2], "wb") as out:
    out.write(z.read("compose/config/compose_spec.json"))
PY
  rm -rf "$tmp"
fi

# ---- Kubernetes
manifests="$(mktemp -d)"
trap 'rm -rf "$manifests"' EXIT
if command -v kubectl >/dev/null; then
  kubectl kustomize "$DEPLOY/k8s" > "$manifests/all.yaml"
  log "kubectl kustomize: $(grep -c '^kind:' "$manifests/all.yaml") objects"
else
  for f in "$DEPLOY"/k8s/*.yaml; do
    [ "$(basename "$f")" = kustomization.yaml ] || { cat "$f"; echo "---"; } >> "$manifests/all.yaml"
  done
fi
"$VENV/bin/kubernetes-validate" --strict -k "$K8S_VERSION" "$manifests/all.yaml"

# ---- docker compose
if docker compose version >/dev/null 2>&1; then
  docker compose -f "$DEPLOY/docker-compose.yml" config --quiet
  log "docker compose config: ok"
fi
"$VENV/bin/python" - "$DEPLOY/docker-compose.yml" "$SCHEMA" <<'PY'
import json, sys, yaml, jsonschema
doc = yaml.safe_load(open(sys.argv[1]))
# Extension fields (x-…) are allowed at the top level; the schema of 2021 predates `name`.
doc.pop("name", None)
schema = json.load(open(sys.argv[2]))
errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(doc), key=lambda e: list(e.path))
for e in errors:
    print(f"docker-compose.yml: {'/'.join(map(str, e.path)) or '(top)'}: {e.message}", file=sys.stderr)
if errors:
    sys.exit(1)
services = doc["services"]
for name in ("postgres", "depot", "consolidator", "geocoder", "geocoder-jobs", "downloads", "web", "lb"):
    assert name in services, f"docker-compose.yml: service {name} missing"
assert services["consolidator"]["deploy"]["replicas"] == 2 and services["geocoder"]["deploy"]["replicas"] == 2
assert services["web"]["command"] == ["web"], "docker-compose.yml: the web service runs `ban web`"
assert "exports:/var/lib/ban/exports:ro" in services["web"]["volumes"], "docker-compose.yml: web reads the France files"
assert services["geocoder-jobs"]["deploy"]["replicas"] == 1, "docker-compose.yml: one geocoder holds the batch jobs"
print(f"[deploy-check] docker-compose.yml: valid against the Compose specification ({len(services)} services)", file=sys.stderr)
PY

# ---- nginx
# The pages and the validator's API go to the web service, the rest of /api to the downloads.
grep -A1 -E '^\s*location / \{' "$DEPLOY/nginx.conf" | grep -q 'proxy_pass http://web;' \
  || { log "nginx.conf: / does not go to the web service"; exit 1; }
grep -A1 -E '^\s*location \^~ /api/validate \{' "$DEPLOY/nginx.conf" | grep -q 'proxy_pass http://web;' \
  || { log "nginx.conf: /api/validate does not go to the web service"; exit 1; }
grep -A1 -E '^\s*location \^~ /geocoder/jobs \{' "$DEPLOY/nginx.conf" | grep -q 'proxy_pass http://geocoder_jobs;' \
  || { log "nginx.conf: /geocoder/jobs does not go to the jobs' geocoder"; exit 1; }
if ! command -v nginx >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  log "installing nginx (to run nginx -t)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nginx-light >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nginx-light >/dev/null; }
fi
if command -v nginx >/dev/null; then
  sed -E 's/server (depot|geocoder|geocoder-jobs|downloads|web):8080;/server 127.0.0.1:8080;/' "$DEPLOY/nginx.conf" > "$manifests/nginx.conf"
  nginx -t -q -p "$manifests" -c "$manifests/nginx.conf" -g "pid $manifests/nginx.pid; error_log stderr;"
  log "nginx -t: ok"
else
  log "nginx not available: nginx.conf not checked"
fi
log "deployment files valid"
