#!/usr/bin/env python3
"""Builds contours-2026.geojson.gz, the commune contours BAN Sync ships, from the shared
communes reference (../shared/data/communes/communes-contours.geojson.gz): current communes
and municipal arrondissements only (communes déléguées and associées publish no BAL of their
own), coordinates rounded to 4 decimals (about 10 m; the source is already simplified to a
few hundred metres), repeated points dropped. Standard library only.

usage: python3 data/communes/build.py ../shared/data/communes/communes-contours.geojson.gz
"""
import gzip
import json
import sys
from pathlib import Path

KEEP = {"commune-actuelle", "arrondissement-municipal"}


def ring(points):
    out = []
    for lon, lat in points:
        p = [round(lon, 4), round(lat, 4)]
        if not out or out[-1] != p:
            out.append(p)
    return out if len(out) >= 4 else None


def main(source):
    data = json.load(gzip.open(source, "rt", encoding="utf-8"))
    features = []
    for f in data["features"]:
        props = f["properties"]
        if props["type"] not in KEEP:
            continue
        polygons = []
        for polygon in f["geometry"]["coordinates"]:
            rings = [r for r in (ring(r) for r in polygon) if r]
            if rings:
                polygons.append(rings)
        if polygons:
            features.append({"type": "Feature", "properties": {"code": props["code"], "nom": props["nom"]},
                             "geometry": {"type": "MultiPolygon", "coordinates": polygons}})
    features.sort(key=lambda f: f["properties"]["code"])
    out = Path(__file__).with_name("contours-2026.geojson.gz")
    with gzip.GzipFile(out, "wb", mtime=0) as gz:
        gz.write(json.dumps({"type": "FeatureCollection", "features": features},
                            ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    print(f"{out}: {len(features)} contours")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/communes/communes-contours.geojson.gz")
