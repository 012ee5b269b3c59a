"""A minimal client of BAN Sync's HTTP APIs for the benchmark scripts (standard library only)."""
import json
import urllib.request


def call(method, url, token=None, body=None, content_type="application/json"):
    """One request; the JSON answer (None when empty). Raises on a non-2xx answer."""
    data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if token:
        request.add_header("Authorization", f"Token {token}")
    if data is not None:
        request.add_header("Content-Type", content_type)
    with urllib.request.urlopen(request, timeout=60) as response:
        text = response.read()
        return json.loads(text) if text else None


def publish(base, token, code, content):
    """Publishes `content` (a BAL file) for commune `code` through the depot at `base`:
    create, upload, compute, publish. The revision's id, or None when the file is not valid."""
    revision = call("POST", f"{base}/api-depot/communes/{code}/revisions", token,
                    {"context": {"nomComplet": "Bench", "organisation": "Bench"}})
    rid = revision["id"]
    call("PUT", f"{base}/api-depot/revisions/{rid}/files/bal", token, content, "text/csv")
    computed = call("POST", f"{base}/api-depot/revisions/{rid}/compute", token)
    if not computed["validation"]["valid"]:
        return None
    call("POST", f"{base}/api-depot/revisions/{rid}/publish", token, {})
    return rid
