#!/usr/bin/env python3
"""The drivers of bench/reports.sh (standard library only).

    reports_load.py load BASE SECONDS CONCURRENCY BAL.csv
        Sends citizen reports to the depot at BASE (POST /api-depot/signalements) for SECONDS
        from CONCURRENCY threads, each on its own keep-alive connection: numbers asked on the
        streets of the BAL file, at the position of one of its addresses (inside the commune),
        numbers 90000 and up that no publication creates (they stay pending). Prints the
        reports accepted per second and the latencies; any answer but 201 is counted and shown.
    reports_load.py consolidation
        Reads `ban import` outputs on stdin and prints each one's consolidation time (ms).
"""
import csv
import http.client
import json
import re
import statistics
import sys
import threading
import time
import urllib.parse


def streets(path):
    """(commune, [(street, lon, lat)]) from a BAL file: one address per street."""
    seen = {}
    commune = None
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter=";"):
            commune = row["commune_insee"]
            if row["numero"] not in ("", "99999") and row["voie_nom"] not in seen and row["long"]:
                seen[row["voie_nom"]] = (float(row["long"]), float(row["lat"]))
    return commune, [(name, lon, lat) for name, (lon, lat) in seen.items()]


def load(base, seconds, concurrency, bal):
    commune, places = streets(bal)
    url = urllib.parse.urlparse(base)
    deadline = time.monotonic() + seconds
    latencies, failures, lock = [], {}, threading.Lock()
    outside = set()

    def worker(index):
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        sent = 0
        mine, errors = [], {}
        while time.monotonic() < deadline:
            place = (index * 7919 + sent) % len(places)
            if place in outside:
                sent += 1
                continue
            name, lon, lat = places[place]
            body = json.dumps({
                "codeCommune": commune,
                "type": "LOCATION_TO_CREATE",
                "existingLocation": {"type": "VOIE", "nom": name},
                "changesRequested": {
                    "numero": 90000 + (index * 1000 + sent) % 9998,
                    "nomVoie": name,
                    "positions": [{"type": "entrée", "point": {"type": "Point", "coordinates": [lon, lat]}}],
                    "comment": "Maison neuve, sans numéro dans la base",
                },
                "author": {"email": f"habitant{index}@example.org"},
            })
            started = time.monotonic()
            connection.request("POST", f"{url.path}/api-depot/signalements", body,
                               {"Content-Type": "application/json"})
            response = connection.getresponse()
            text = response.read()
            if response.status == 201:
                mine.append(time.monotonic() - started)
            elif response.status == 400 and "hors de la commune" in text.decode("utf-8", "replace"):
                # The synthetic commune has streets drawn beyond its real contour: the API
                # rightly refuses reports there, so the load keeps to the streets inside.
                with lock:
                    outside.add(place)
            else:
                key = f"{response.status} {text[:120]!r}"
                errors[key] = errors.get(key, 0) + 1
            sent += 1
        with lock:
            latencies.extend(mine)
            for key, count in errors.items():
                failures[key] = failures.get(key, 0) + count

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    if not latencies:
        sys.exit(f"no report accepted: {failures}")
    pct = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000
    print(f"reports accepted: {len(latencies)} in {elapsed:.1f} s = {len(latencies) / elapsed:.0f} reports/s "
          f"({concurrency} connections); latency p50 {pct(0.5):.1f} ms, p95 {pct(0.95):.1f} ms, "
          f"p99 {pct(0.99):.1f} ms")
    if outside:
        print(f"  {len(outside)} of {len(places)} streets lie outside the commune's contour: left out")
    for key, count in failures.items():
        print(f"  refused {count}: {key}")


def consolidation():
    # `consolidation: 1.2 s (per commune: median 1234.5 ms, …)`: one commune, its job's time.
    pattern = re.compile(r"per commune: median ([0-9.]+) ms")
    times = [float(m.group(1)) for m in map(pattern.search, sys.stdin) if m]
    print(" ".join(f"{t:.0f}" for t in times), "ms")


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "load":
        load(sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    elif len(sys.argv) == 2 and sys.argv[1] == "consolidation":
        consolidation()
    else:
        sys.exit(__doc__)
