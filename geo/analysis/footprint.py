"""A drawn or uploaded footprint: a GeoJSON Feature/Geometry in WGS 84, checked before any SQL sees it."""

import math
from collections.abc import Iterable
from typing import Any

from geo.errors import PayloadTooLarge, Unprocessable

MAX_FOOTPRINT_VERTICES = 10_000
# --------------------------------------------------------------------------------------------
# Drawn / uploaded footprints: validated, screened, nothing stored
# --------------------------------------------------------------------------------------------
GEOMETRY_TYPES = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"}
WGS84_NAMES = {
    "EPSG:4326",
    "urn:ogc:def:crs:OGC:1.3:CRS84",
    "urn:ogc:def:crs:EPSG::4326",
    "CRS84",
    "OGC:CRS84",
}


def _positions(coords, depth: int) -> Iterable:
    if depth == 0:
        yield coords
        return
    if not isinstance(coords, list):
        raise Unprocessable("coordinates must be nested arrays of [lon, lat] positions")
    for item in coords:
        yield from _positions(item, depth - 1)


def footprint_geometry(payload: Any) -> dict:
    """Check a GeoJSON Feature/Geometry (WGS 84 lon/lat) and return its geometry; typed errors say why."""
    if not isinstance(payload, dict):
        raise Unprocessable("the body must be a GeoJSON Feature or Geometry object")
    crs = payload.get("crs")
    if crs is not None:
        name = (crs.get("properties") or {}).get("name") if isinstance(crs, dict) else None
        if name not in WGS84_NAMES:
            raise Unprocessable(f"the footprint must be in WGS 84 lon/lat (SRID 4326); crs {name!r} is not")
    kind = payload.get("type")
    if kind == "FeatureCollection":
        features = payload.get("features") or []
        if len(features) != 1:
            raise Unprocessable(f"send one footprint: the FeatureCollection has {len(features)} features")
        return footprint_geometry(features[0])
    if kind == "Feature":
        geometry = payload.get("geometry")
        if not isinstance(geometry, dict):
            raise Unprocessable("the Feature has no geometry")
        return footprint_geometry(geometry)
    if kind not in GEOMETRY_TYPES:
        raise Unprocessable(
            f"unsupported GeoJSON type {kind!r}: "
            "send a Feature or a Polygon, MultiPolygon, LineString or Point"
        )
    depth = {
        "Point": 0,
        "MultiPoint": 1,
        "LineString": 1,
        "MultiLineString": 2,
        "Polygon": 2,
        "MultiPolygon": 3,
    }[kind]
    coords = payload.get("coordinates")
    if coords is None:
        raise Unprocessable(f"the {kind} has no coordinates")
    count = 0
    for pos in _positions(coords, depth):
        count += 1
        if count > MAX_FOOTPRINT_VERTICES:
            raise PayloadTooLarge(
                f"the footprint has more than {MAX_FOOTPRINT_VERTICES} vertices; simplify it"
            )
        if not (
            isinstance(pos, list) and len(pos) in (2, 3) and all(isinstance(v, int | float) for v in pos)
        ):
            raise Unprocessable(f"position {pos!r} is not [lon, lat]")
        if not all(math.isfinite(v) for v in pos):
            raise Unprocessable("coordinates must be finite numbers")
        if not (-180 <= pos[0] <= 180 and -90 <= pos[1] <= 90):
            raise Unprocessable(
                f"position {pos[:2]} is not WGS 84 lon/lat (SRID 4326); projected metres are not accepted"
            )
    if count == 0:
        raise Unprocessable(f"the {kind} is empty")
    rings = []
    if kind == "Polygon":
        rings = [(0, i, r) for i, r in enumerate(coords)]
    elif kind == "MultiPolygon":
        rings = [(p, i, r) for p, poly in enumerate(coords) for i, r in enumerate(poly)]
    for poly, index, ring in rings:
        where = f"ring {index}" + (f" of polygon {poly}" if kind == "MultiPolygon" else "")
        if len(ring) < 4:
            raise Unprocessable(f"{where} has {len(ring)} positions; a closed ring needs at least 4")
        if ring[0][:2] != ring[-1][:2]:
            raise Unprocessable(f"{where} is not closed: its first and last positions differ")
    return {"type": kind, "coordinates": coords}
