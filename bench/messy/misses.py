#!/usr/bin/env python3
"""The messy queries a geocoder misses, by class, with what it answered instead.

    misses.py DATASET [--url http://127.0.0.1:7878] [--class qualified] [--show 20]

Asks every query of DATASET/queries.tsv (bench/messy/gen_messy.py's) as the shared
accuracy.py does (`/search/?q=…&limit=1`, top-1 id compared with the expected one), prints
each class's hits and, for the misses, the query, the expected id and the answer's id and
label: what to look at when a class stays under its target. Standard library only.
"""
import argparse
import collections
import csv
import json
import sys
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dataset")
    ap.add_argument("--url", default="http://127.0.0.1:7878")
    ap.add_argument("--class", dest="only", help="only this class")
    ap.add_argument("--show", type=int, default=20, help="misses shown per class")
    args = ap.parse_args()
    with open(f"{args.dataset}/queries.tsv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    rows = [r for r in rows if not args.only or r["kind"].split("+")[1] == args.only]

    def ask(row):
        url = f"{args.url}/search/?" + urllib.parse.urlencode({"q": row["query"], "limit": 1})
        with urllib.request.urlopen(url, timeout=30) as answer:
            features = json.load(answer).get("features") or [{}]
        return row, features[0].get("properties", {})

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(ask, rows))
    by_class = collections.defaultdict(list)
    for row, got in answers:
        by_class[row["kind"].split("+")[1]].append((row, got))
    for name, results in by_class.items():
        missed = [(row, got) for row, got in results if got.get("id") != row["expected_id"]]
        print(f"## {name}: {len(results) - len(missed)}/{len(results)} "
              f"({100 * (len(results) - len(missed)) / len(results):.1f} %)")
        for row, got in missed[:args.show]:
            variant = row["kind"].split("+")[-1]
            print(f"  {row['query']!r} [{variant}] expected {row['expected_id']}, "
                  f"got {got.get('id')} {got.get('label')!r} ({got.get('type')}, {got.get('score', 0):.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
