#!/usr/bin/env python3
"""Publications at a steady rate through the depot, each followed on every geocoder.

    bench/scale_publisher.py DEPOT TOKEN DIR --geocoders URL[,URL…] --duration S [--rate 1]
                             [--json OUT]

DEPOT: the depot's base URL; TOKEN: an internal client's token; DIR: BAL files named
<INSEE>.csv (their communes are published in turn). Every 1/rate s a commune's current file
is taken from the depot, one street renamed to a name never seen, and the file published
(create, upload, compute, publish). A thread per geocoder polls `/search/` for each new name
until found: publication → searchable on that geocoder. At the end every publication is
checked on every geocoder (its street is found under its last name: nothing lost) and the
figures are printed (and written as JSON). Standard library only.
"""
import argparse
import json
import os
import queue
import statistics
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from depot_client import call, publish


def found(geocoder, code, name):
    query = urllib.parse.urlencode({"q": name, "limit": 1, "citycode": code})
    try:
        answer = call("GET", f"{geocoder}/search/?{query}")
    except (urllib.error.URLError, OSError):
        return False
    features = answer["features"]
    return bool(features) and features[0]["properties"].get("name", "").endswith(name)


def follower(geocoder, jobs, delays, stop):
    """Polls `geocoder` for each published name (in order) until it answers it."""
    while not stop.is_set() or not jobs.empty():
        try:
            code, name, published = jobs.get(timeout=0.2)
        except queue.Empty:
            continue
        while time.perf_counter() - published < 60:
            if found(geocoder, code, name):
                delays.append(time.perf_counter() - published)
                break
            time.sleep(0.01)


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))] if values else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("depot")
    ap.add_argument("token")
    ap.add_argument("dir")
    ap.add_argument("--geocoders", required=True)
    ap.add_argument("--duration", type=float, default=60)
    ap.add_argument("--rate", type=float, default=1.0)
    ap.add_argument("--json")
    args = ap.parse_args()
    depot = args.depot.rstrip("/")
    geocoders = [g.rstrip("/") for g in args.geocoders.split(",")]
    files = sorted(f[:-4] for f in os.listdir(args.dir) if f.endswith(".csv"))
    stop = threading.Event()
    queues = {g: queue.Queue() for g in geocoders}
    delays = {g: [] for g in geocoders}
    threads = [threading.Thread(target=follower, args=(g, queues[g], delays[g], stop), daemon=True) for g in geocoders]
    for t in threads:
        t.start()
    last_name = {}  # commune → (street name it must be found under, revision)
    published, refused, failures = 0, 0, []
    started = time.perf_counter()
    i = 0
    while time.perf_counter() - started < args.duration:
        due = started + i / args.rate
        time.sleep(max(0.0, due - time.perf_counter()))
        code = files[i % len(files)]
        i += 1
        try:
            url = f"{depot}/api-depot/communes/{code}/current-revision/files/bal/download"
            with urllib.request.urlopen(url, timeout=60) as response:
                text = response.read().decode("utf-8-sig")
            header, *rows = text.splitlines()
            voie = header.split(";").index("voie_nom")
            old = last_name.get(code, (rows[0].split(";")[voie], None))[0]
            new = f"Rue Publiee {i} {time.time_ns() % 10**9}"
            content = "\n".join([header] + [r.replace(f";{old};", f";{new};") for r in rows]) + "\n"
            rid = publish(depot, args.token, code, content.encode())
        except (urllib.error.URLError, OSError, ValueError, KeyError) as e:
            failures.append(f"{code}: {e}")
            continue
        if rid is None:
            refused += 1
            continue
        at = time.perf_counter()
        published += 1
        last_name[code] = (new, rid)
        for g in geocoders:
            queues[g].put((code, new, at))
    elapsed = time.perf_counter() - started
    stop.set()
    for t in threads:
        t.join()
    # Nothing lost: every commune published is found under its last name on every geocoder.
    lost = [(g, code) for g in geocoders for code, (name, _) in last_name.items() if not found(g, code, name)]
    result = {
        "publications": published, "refused": refused, "errors": failures, "seconds": round(elapsed, 1),
        "rate_per_s": round(published / elapsed, 2), "lost": lost,
        "visible_ms": {g: {"n": len(d), "median": round(statistics.median(d) * 1000) if d else None,
                           "p90": round(pct(d, 0.9) * 1000) if d else None,
                           "p99": round(pct(d, 0.99) * 1000) if d else None,
                           "max": round(max(d) * 1000) if d else None} for g, d in delays.items()},
    }
    print(json.dumps(result, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    if lost or failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
