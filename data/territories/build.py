#!/usr/bin/env python3
"""Builds the territories tables the exports and the geocoder embed.

    python3 data/territories/build.py [SHARED_DATA_DIR]

SHARED_DATA_DIR defaults to ../shared/data. Writes, deterministically (gzip without a
timestamp):
  data/territories/communes-2026.csv.gz   one row per COG entity (communes, municipal
      arrondissements, communes déléguées and associées): names, parent, département, region,
      population, centre, and its postcodes with La Poste routing names.
  data/territories/postcodes-voies.csv.gz the postcode of each street (FANTOIR code) of the
      communes that have several postcodes.
Python 3, standard library only.
"""
import csv
import gzip
import io
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent
shared = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent.parent.parent / "shared" / "data"


def load_json_gz(path):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return json.load(f)


def write_gz(path, header, rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    with open(path, "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as f:
            f.write(buffer.getvalue().encode("utf-8"))


postcodes = defaultdict(dict)  # commune -> {postcode: routing name}
for entry in load_json_gz(shared / "fixtures/reference/codes-postaux-4.1.2/codes-postaux.json.gz"):
    postcodes[entry["codeCommune"]].setdefault(entry["codePostal"], entry["libelleAcheminement"])

rows = []
with open(shared / "communes/communes.csv", encoding="utf-8") as f:
    for r in csv.DictReader(f, delimiter=";"):
        code = r["code_insee"]
        known = postcodes.get(code, {})
        listed = [p for p in r["codes_postaux"].split("|") if p]
        # The COG's order first (its first postcode is the commune's main one), then La Poste's others.
        ordered = list(dict.fromkeys(listed + sorted(known)))
        pairs = [(p, known.get(p, "")) for p in ordered]
        rows.append([
            code, r["type"], r["nom"], r["commune_parente"], r["departement"], r["nom_departement"],
            r["region"], r["nom_region"], r["population"], r["lon"], r["lat"],
            "|".join(f"{p}:{name}" for p, name in pairs),
        ])
rows.sort(key=lambda row: (row[0], row[1]))
write_gz(ROOT / "communes-2026.csv.gz",
         ["code", "type", "nom", "parent", "departement", "nom_departement", "region", "nom_region",
          "population", "lon", "lat", "postcodes"], rows)

by_commune = defaultdict(set)
streets = {}
for entry in load_json_gz(shared / "fixtures/reference/codes-postaux-4.1.2/codes-postaux-full.json.gz"):
    by_commune[entry["codeCommune"]].add(entry["codePostal"])
    voie = entry.get("codeVoie", "XXXX")
    if voie != "XXXX":
        # Streets split between postcodes by number range keep their first (lowest) postcode.
        key = (entry["codeCommune"], voie.upper())
        streets[key] = min(streets.get(key, entry["codePostal"]), entry["codePostal"])
voies = sorted([c, v, p] for (c, v), p in streets.items() if len(by_commune[c]) > 1)
write_gz(ROOT / "postcodes-voies.csv.gz", ["commune", "voie", "postcode"], voies)
print(f"{len(rows)} territories, {len(voies)} streets of {sum(1 for c in by_commune if len(by_commune[c]) > 1)} multi-postcode communes")
