#!/usr/bin/env python3
"""Publication → searchable: how long after a depot publication its addresses are found.

    bench/freshness.py URL TOKEN DIR [--rounds N]

URL: a running `ban serve`; TOKEN: an internal client's token (`ban client create --internal`);
DIR: BAL files named <INSEE>.csv (e.g. a flat copy of a synthetic set): their communes are
the ones published. Each round takes a commune's current file from the depot (what was last
published, valid), renames one street in it (a new name never seen), publishes it
(create, upload, compute, publish), then polls `/search/` for the new name every 10 ms; the
time from the publish answer to the first answer holding the street is recorded. Prints the
distribution (min, median, p90, p99, max). Standard library only.
"""
import argparse
import os
import random
import statistics
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from depot_client import call, publish


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("url")
    ap.add_argument("token")
    ap.add_argument("dir")
    ap.add_argument("--rounds", type=int, default=30)
    args = ap.parse_args()
    base = args.url.rstrip("/")
    files = sorted(f for f in os.listdir(args.dir) if f.endswith(".csv"))
    rng = random.Random(7)
    delays = []
    for round_ in range(args.rounds):
        name = rng.choice(files)
        code = name[:-4]
        url = f"{base}/api-depot/communes/{code}/current-revision/files/bal/download"
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                text = response.read().decode("utf-8-sig")
        except urllib.error.HTTPError:
            continue
        header, *rows = text.splitlines()
        columns = header.split(";")
        if "voie_nom" not in columns:
            continue
        voie = columns.index("voie_nom")
        old = rows[0].split(";")[voie]
        new = f"Rue Fraichement Publiee {round_} {time.time_ns() % 10**9}"
        content = "\n".join([header] + [r.replace(f";{old};", f";{new};") for r in rows]) + "\n"
        if not publish(base, args.token, code, content.encode()):
            print(f"{code}: not valid, skipped", file=sys.stderr)
            continue
        published = time.perf_counter()
        query = urllib.parse.urlencode({"q": new, "limit": 1, "citycode": code})
        while True:
            answer = call("GET", f"{base}/search/?{query}")
            features = answer["features"]
            if features and features[0]["properties"].get("name", "").endswith(new):
                delays.append(time.perf_counter() - published)
                break
            if time.perf_counter() - published > 30:
                print(f"{code}: not searchable after 30 s", file=sys.stderr)
                break
            time.sleep(0.01)
        print(f"{round_:3} {code}: {delays[-1] * 1000:7.1f} ms" if delays else "", flush=True)
    if not delays:
        sys.exit("no measure")
    delays.sort()
    pct = lambda p: delays[min(len(delays) - 1, int(p * len(delays)))] * 1000
    print(
        f"publication → searchable over {len(delays)} publications: min {delays[0] * 1000:.0f} ms, "
        f"median {statistics.median(delays) * 1000:.0f} ms, p90 {pct(0.9):.0f} ms, p99 {pct(0.99):.0f} ms, "
        f"max {delays[-1] * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
