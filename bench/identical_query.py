#!/usr/bin/env python3
"""Asks a running BAN Sync the geocoder questions of a query set and saves the raw answers
(used by bench/identical.sh; standard library only).

    identical_query.py URL search QUERIES.tsv OUT.jsonl [--limit 5]   # GET /search/?q=&limit=
    identical_query.py URL reverse REVERSE.tsv OUT.jsonl              # GET /reverse/?lon=&lat=
    identical_query.py URL get OUT.jsonl PATH...                      # GET each PATH

One line per request, in the order of the input: {"request": PATH, "status": HTTP status,
"body": the JSON answer (or its text when it is not JSON)}. Requests go over --jobs
keep-alive connections; the output order does not depend on it. Exit status 1 if any
request failed at the HTTP level (no answer); a non-200 answer is recorded, not an error.
"""
import argparse
import csv
import http.client
import json
import sys
import threading
import urllib.parse
from concurrent.futures import ThreadPoolExecutor


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("url")
    ap.add_argument("kind", choices=("search", "reverse", "get"))
    ap.add_argument("args", nargs="+")
    ap.add_argument("--limit", type=int, default=5)
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    u = urllib.parse.urlsplit(a.url)
    if a.kind == "get":
        out, paths = a.args[0], a.args[1:]
    else:
        src, out = a.args[0], a.args[1]
        with open(src, encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
        if a.kind == "search":
            paths = ["/search/?" + urllib.parse.urlencode({"q": r["query"], "limit": a.limit}) for r in rows]
        else:
            paths = [f"/reverse/?lon={r['lon']}&lat={r['lat']}" for r in rows]

    local = threading.local()

    def ask(path):
        for attempt in range(3):
            conn = getattr(local, "conn", None)
            if conn is None:
                conn = local.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
            try:
                conn.request("GET", path)
                resp = conn.getresponse()
                data = resp.read()
                break
            except (OSError, http.client.HTTPException) as e:
                conn.close()
                local.conn = None
                if attempt == 2:
                    return {"request": path, "status": None, "body": f"no answer: {e}"}
        text = data.decode("utf-8", errors="replace")
        try:
            body = json.loads(text)
        except ValueError:
            body = text
        return {"request": path, "status": resp.status, "body": body}

    with ThreadPoolExecutor(max(1, a.jobs)) as ex:
        results = list(ex.map(ask, paths))
    with open(out, "w", encoding="utf-8") as f:
        for r in results:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    failed = sum(r["status"] is None for r in results)
    statuses = {}
    for r in results:
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    print(f"{len(results)} requests: " + ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items(), key=str)),
          file=sys.stderr)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
