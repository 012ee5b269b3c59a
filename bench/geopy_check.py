#!/usr/bin/env python3
"""Checks that a real client, geopy's BANFrance geocoder, works against a geocoder speaking the
api-adresse protocol (addok, or BAN Sync's `ban serve`).

usage: bench/geopy_check.py [BASE_URL] [--dataset DIR] [--housenumbers 6] [--streets 3]
                            [--municipalities 2] [--reverse 5] [--max-m 50]

BASE_URL defaults to http://127.0.0.1:7878 (the shared addok peer). DIR defaults to
../shared/data/synthetic/small. The script installs geopy (PyPI, pinned) into a venv of its own
the first time (GEOPY_VENV, default target/bench-venv/geopy of this repository) and re-runs
itself with it; the system python is left alone.

What geopy sends (BANFrance, geopy 2.5.0): `GET <base>/search?q=...` (no trailing slash, no
`limit` unless given: the server's default, 5, applies; exactly_one keeps the first feature) and
`GET <base>/reverse?lat=..&lon=..`; it reads `features[i].geometry.coordinates` and
`properties.label`, and turns any non-200 answer into an exception.

Checks, on rows of the dataset's queries.tsv / reverse.tsv spread over the file:
  * geocode(query) of unperturbed queries (kind housenumber+exact, street+exact, municipality):
    a Location, at most --max-m metres from the expected point, and properties.id equal to the
    expected id (or, failing that, the label equal to the query text, case and spaces aside);
  * geocode(query, exactly_one=False, limit=3): a list of 1..3 Locations whose first is the same;
  * reverse((lat, lon)) of reverse.tsv points (0-4 m from an address): a Location at most
    --max-m metres away whose properties.id is the expected address id (or whose label is an
    unperturbed query text of that address).
Prints one line per check; exits 1 listing the failures, 2 when the server cannot be reached.
"""
import argparse
import csv
import math
import os
import subprocess
import sys
import urllib.parse

GEOPY_VERSION = "2.5.0"
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def ensure_geopy():
    try:
        import geopy  # noqa: F401
        return
    except ImportError:
        pass
    if os.environ.get("GEOPY_CHECK_REEXEC"):
        sys.exit("geopy_check: geopy still not importable inside the venv; giving up")
    venv = os.environ.get("GEOPY_VENV") or os.path.join(ROOT, "target", "bench-venv", "geopy")
    py = os.path.join(venv, "bin", "python")
    if not os.path.exists(py):
        print(f"geopy_check: creating venv {venv}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    ok = subprocess.run([py, "-c", f"import geopy, sys; sys.exit(geopy.__version__ != '{GEOPY_VERSION}')"],
                        capture_output=True).returncode == 0
    if not ok:
        print(f"geopy_check: pip install geopy=={GEOPY_VERSION} into {venv}", file=sys.stderr)
        subprocess.run([py, "-m", "pip", "install", "-q", f"geopy=={GEOPY_VERSION}"], check=True)
    env = dict(os.environ, GEOPY_CHECK_REEXEC="1")
    os.execve(py, [py, os.path.abspath(__file__)] + sys.argv[1:], env)


def dist_m(lon1, lat1, lon2, lat2):
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    y = math.radians(lat2 - lat1)
    return 6371000 * math.hypot(x, y)


def norm(s):
    return " ".join((s or "").replace(",", " ").lower().split())


def spread(rows, n):
    """n rows spread evenly over the list (deterministic)."""
    if n <= 0 or not rows:
        return []
    if n >= len(rows):
        return rows
    step = len(rows) / n
    return [rows[int(i * step)] for i in range(n)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("url", nargs="?", default="http://127.0.0.1:7878")
    ap.add_argument("--dataset", default=os.path.normpath(os.path.join(ROOT, "..", "shared", "data", "synthetic", "small")))
    ap.add_argument("--housenumbers", type=int, default=6)
    ap.add_argument("--streets", type=int, default=3)
    ap.add_argument("--municipalities", type=int, default=2)
    ap.add_argument("--reverse", type=int, default=5)
    ap.add_argument("--max-m", type=float, default=50.0)
    ap.add_argument("--timeout", type=float, default=10.0)
    args = ap.parse_args()

    ensure_geopy()
    import geopy
    from geopy.exc import GeopyError
    from geopy.geocoders import BANFrance

    u = urllib.parse.urlsplit(args.url if "://" in args.url else "http://" + args.url)
    domain = (u.netloc + u.path).rstrip("/")
    geocoder = BANFrance(domain=domain, scheme=u.scheme or "http", timeout=args.timeout)
    print(f"geopy {geopy.__version__} BANFrance(domain={domain!r}, scheme={u.scheme!r}) "
          f"-> {geocoder.geocode_api}, {geocoder.reverse_api}; dataset {args.dataset}")

    with open(os.path.join(args.dataset, "queries.tsv"), encoding="utf-8") as f:
        queries = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    with open(os.path.join(args.dataset, "reverse.tsv"), encoding="utf-8") as f:
        reverse_rows = list(csv.DictReader(f, delimiter="\t"))
    exact_labels = {}
    for r in queries:
        if r["kind"] in ("housenumber+exact", "street+exact", "municipality"):
            exact_labels.setdefault(r["expected_id"], set()).add(norm(r["query"]))

    picked = (spread([r for r in queries if r["kind"] == "housenumber+exact"], args.housenumbers)
              + spread([r for r in queries if r["kind"] == "street+exact"], args.streets)
              + spread([r for r in queries if r["kind"] == "municipality"], args.municipalities))
    failures, checks = [], 0

    def fail(msg):
        failures.append(msg)
        print("FAIL " + msg)

    def call(fn, what):
        try:
            return True, fn()
        except GeopyError as e:
            return False, f"{what}: geopy raised {type(e).__name__}: {e}"
        except OSError as e:  # connection refused and the like
            print(f"geopy_check: cannot reach {args.url}: {e}", file=sys.stderr)
            sys.exit(2)

    def verdict(loc, exp_id, exp_lon, exp_lat, what):
        props = (loc.raw or {}).get("properties", {})
        got_id = props.get("id")
        d = dist_m(loc.longitude, loc.latitude, exp_lon, exp_lat)
        id_ok = got_id == exp_id
        label_ok = norm(loc.address) in exact_labels.get(exp_id, ())
        line = (f"{what} -> id={got_id} type={props.get('type')} label={loc.address!r} "
                f"{d:.1f} m from expected (expected id {exp_id})")
        if d > args.max_m:
            fail(f"{line}: more than {args.max_m:g} m away")
        elif not (id_ok or label_ok):
            fail(f"{line}: neither the expected id nor an expected label")
        else:
            print(f"OK   {line}{'' if id_ok else ' [matched on label]'}")

    def located(request, what, exp_id, exp_lon, exp_lat):
        """One geocode/reverse call that must give a Location close to the expected one."""
        ok, loc = call(request, what)
        if not ok:
            fail(loc)
        elif loc is None:
            fail(f"{what} -> None (no feature)")
        else:
            verdict(loc, exp_id, exp_lon, exp_lat, what)

    for r in picked:
        checks += 1
        what = f"geocode({r['query']!r}) [{r['kind']}]"
        located(lambda: geocoder.geocode(r["query"]), what,
                r["expected_id"], float(r["expected_lon"]), float(r["expected_lat"]))

    if picked:
        r = picked[0]
        checks += 1
        what = f"geocode({r['query']!r}, exactly_one=False, limit=3)"
        ok, locs = call(lambda: geocoder.geocode(r["query"], exactly_one=False, limit=3), what)
        if not ok:
            fail(locs)
        elif not locs or not (1 <= len(locs) <= 3):
            fail(f"{what} -> {0 if not locs else len(locs)} locations, expected 1..3")
        elif (locs[0].raw or {}).get("properties", {}).get("id") != r["expected_id"]:
            fail(f"{what} -> first id {(locs[0].raw or {}).get('properties', {}).get('id')}, expected {r['expected_id']}")
        else:
            print(f"OK   {what} -> {len(locs)} locations, first id {r['expected_id']}")

    for r in spread(reverse_rows, args.reverse):
        checks += 1
        lat, lon = float(r["lat"]), float(r["lon"])
        what = f"reverse(({lat}, {lon})) [{r['offset_m']} m from the address]"
        located(lambda: geocoder.reverse((lat, lon)), what, r["expected_id"], lon, lat)

    if failures:
        print(f"geopy_check: {len(failures)} of {checks} checks FAILED against {args.url}:", file=sys.stderr)
        for m in failures:
            print("  - " + m, file=sys.stderr)
        sys.exit(1)
    print(f"geopy_check: all {checks} checks passed against {args.url}")


if __name__ == "__main__":
    main()
