#!/usr/bin/env python3
"""Build data/cog/communes-2026.csv, the commune reference used by the BAL validator.

Source: data/communes.json of the npm package @etalab/decoupage-administratif 6.0.0
(INSEE Code Officiel Géographique 2026), gzip-compressed.

Output: UTF-8, `;`-separated, LF line endings, header `code;nom;anciens_codes`.
One row per entity of type `commune-actuelle` or `arrondissement-municipal`, except the
three PLM communes (Paris 75056, Lyon 69123, Marseille 13055): a BAL for them must use
arrondissement codes. `anciens_codes` is the entity's `anciensCodes` joined with `|`
(empty when none). Rows are sorted by code. Fields containing `;`, `"`, CR or LF are
quoted per RFC 4180.

Usage (from the project root):
    python3 data/cog/build.py [SOURCE.json.gz] [OUTPUT.csv]

Python 3 standard library only.
"""

import gzip
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT_ROOT = os.path.dirname(os.path.dirname(HERE))

DEFAULT_SOURCE = os.path.join(
    PROJECT_ROOT,
    "..", "shared", "data", "communes", "sources",
    "decoupage-administratif-communes.json.gz",
)
DEFAULT_OUTPUT = os.path.join(HERE, "communes-2026.csv")

KEPT_TYPES = {"commune-actuelle", "arrondissement-municipal"}
PLM_COMMUNES = {"75056", "69123", "13055"}


def field(value):
    """Format one CSV field (RFC 4180 quoting only when needed)."""
    if any(c in value for c in ';"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def load(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return json.load(f)


def build_rows(entities):
    rows = {}
    for e in entities:
        if e.get("type") not in KEPT_TYPES or e["code"] in PLM_COMMUNES:
            continue
        code = e["code"]
        if code in rows:
            raise SystemExit("duplicate code in source: %s" % code)
        rows[code] = (code, e["nom"], "|".join(e.get("anciensCodes") or []))
    return [rows[c] for c in sorted(rows)]


def main(argv):
    if len(argv) > 3:
        raise SystemExit("usage: build.py [SOURCE.json.gz] [OUTPUT.csv]")
    source = argv[1] if len(argv) > 1 else DEFAULT_SOURCE
    output = argv[2] if len(argv) > 2 else DEFAULT_OUTPUT

    rows = build_rows(load(source))

    tmp = output + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write("code;nom;anciens_codes\n")
        for row in rows:
            f.write(";".join(field(v) for v in row) + "\n")
    os.replace(tmp, output)

    with_former = sum(1 for r in rows if r[2])
    print("%s: %d communes, %d with former codes" % (output, len(rows), with_former),
          file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv)
