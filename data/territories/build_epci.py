#!/usr/bin/env python3
"""Builds data/territories/epci-2026.csv: the member communes of each EPCI, which the depot
reads to decide whether a commune belongs to a chef de file's `epci` perimeter.

    python3 data/territories/build_epci.py [SOURCE] [OUTPUT]

SOURCE is `data/epci.json` of the npm package @etalab/decoupage-administratif 6.0.0, given as
the package itself (the .tgz that `npm pack @etalab/decoupage-administratif@6.0.0` writes), as
the JSON file, or gzip-compressed (.json.gz). It defaults to the copy in the shared reference
data, ../shared/data/fixtures/reference/decoupage-administratif-6.0.0/epci.json.gz.

Output: UTF-8, `;`-separated, LF, header `siren;nom;communes`; one row per EPCI sorted by SIREN,
`communes` its members' INSEE codes sorted and joined by `|` (Paris, Lyon and Marseille appear
as the city, as in the source: the depot maps an arrondissement to its city). Deterministic.
Python 3, standard library only.
"""
import gzip
import json
import sys
import tarfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCE = (HERE.parent.parent.parent / "shared" / "data" / "fixtures" / "reference"
                  / "decoupage-administratif-6.0.0" / "epci.json.gz")
DEFAULT_OUTPUT = HERE / "epci-2026.csv"


def load(path):
    name = str(path)
    if name.endswith((".tgz", ".tar.gz")):
        with tarfile.open(name, "r:gz") as archive:
            member = archive.extractfile("package/data/epci.json")
            if member is None:
                raise SystemExit("%s has no package/data/epci.json" % name)
            return json.load(member)
    opener = gzip.open if name.endswith(".gz") else open
    with opener(name, "rt", encoding="utf-8") as f:
        return json.load(f)


def main(argv):
    if len(argv) > 3:
        raise SystemExit("usage: build_epci.py [SOURCE] [OUTPUT]")
    source = Path(argv[1]) if len(argv) > 1 else DEFAULT_SOURCE
    output = Path(argv[2]) if len(argv) > 2 else DEFAULT_OUTPUT
    rows = []
    for epci in load(source):
        siren, nom = epci["code"], epci["nom"]
        if len(siren) != 9 or not siren.isdigit():
            raise SystemExit("unexpected SIREN %r" % siren)
        if any(c in nom for c in ";\r\n"):
            raise SystemExit("unexpected character in the name of %s" % siren)
        communes = sorted({m["code"] for m in epci["membres"]})
        rows.append((siren, nom, "|".join(communes)))
    rows.sort()
    tmp = output.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write("siren;nom;communes\n")
        for row in rows:
            f.write(";".join(row) + "\n")
    tmp.replace(output)
    members = sum(r[2].count("|") + 1 for r in rows)
    print("%s: %d EPCI, %d member communes" % (output, len(rows), members))


if __name__ == "__main__":
    main(sys.argv)
