"""Mapbox vector tiles (WebMercatorQuad) written by PostGIS, simplified per zoom."""

from collections import OrderedDict

import asyncpg

from geo.catalog import Collection
from geo.errors import InvalidParameter

MAX_ZOOM = 22
EXTENT = 4096
BUFFER = 64
# Degrees of longitude per pixel of a 256-pixel tile at zoom 0.
_DEGREES_PER_PIXEL_Z0 = 360.0 / 256


def check_tile(z: int, x: int, y: int) -> None:
    """Raise InvalidParameter unless z/x/y name a WebMercatorQuad tile."""
    if not 0 <= z <= MAX_ZOOM:
        raise InvalidParameter(f"zoom {z} out of range: WebMercatorQuad zooms are 0..{MAX_ZOOM}")
    last = 2**z - 1
    if not (0 <= x <= last and 0 <= y <= last):
        raise InvalidParameter(f"tile {z}/{x}/{y} out of range: at zoom {z}, x and y are 0..{last}")


def pixel_degrees(z: int) -> float:
    """The size of one screen pixel at zoom ``z`` in degrees (the simplification tolerance)."""
    return _DEGREES_PER_PIXEL_Z0 / 2**z


def _layer_sql(collection: Collection, z: int, first_param: int) -> str:
    """SQL of one MVT layer; parameters are $first..$first+2 = z, x, y and $first+3 = tolerance."""
    z_p, x_p, y_p = (f"${first_param + i}::integer" for i in range(3))
    tol_p = f"${first_param + 3}::float8"
    props = ", ".join(f't."{c}"' for c in collection.tile_properties)
    geom = "t.geom"
    size_filter = ""
    if collection.geometry_type != "point":
        # Below one pixel a polygon or line is invisible: skip it before the costly transform, and
        # simplify by a pixel in degrees so fewer points are transformed and encoded.
        size_filter = (
            f" AND (ST_GeometryType(t.geom) = 'ST_Point' OR "
            f"greatest(ST_XMax(t.geom) - ST_XMin(t.geom), ST_YMax(t.geom) - ST_YMin(t.geom)) >= {tol_p})"
        )
        geom = f"ST_Simplify(t.geom, {tol_p} / 2, true)"
    return (
        f"SELECT ST_AsMVT(q, '{collection.id}', {EXTENT}, 'geom') FROM ("
        f'SELECT t."{collection.id_column}" AS fid{", " + props if props else ""}, '
        f"ST_AsMVTGeom(ST_Transform({geom}, 3857), ST_TileEnvelope({z_p}, {x_p}, {y_p}), "
        f"{EXTENT}, {BUFFER}, true) AS geom "
        f"FROM {collection.relation} t "
        f"WHERE ({collection.where}) AND t.geom && ST_Transform(ST_TileEnvelope({z_p}, {x_p}, {y_p}, "
        f"margin => {BUFFER / EXTENT}), 4326){size_filter}"
        f") q WHERE q.geom IS NOT NULL"
    )


async def tile(conn: asyncpg.Connection, collections: list[Collection], z: int, x: int, y: int) -> bytes:
    """One tile holding one MVT layer per collection (named by the collection id)."""
    check_tile(z, x, y)
    parts = [f"coalesce(({_layer_sql(c, z, 1)}), ''::bytea)" for c in collections]
    sql = "SELECT " + " || ".join(parts)
    # ST_TileEnvelope wants integers; the tolerance is a double
    return bytes(await conn.fetchval(sql, z, x, y, pixel_degrees(z)))


class TileCache:
    """Recently served tiles keyed by data version and request, bounded in bytes (least recently used out)."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024):
        self.max_bytes = max_bytes
        self._tiles: OrderedDict[tuple, bytes] = OrderedDict()
        self._size = 0

    def get(self, key: tuple) -> bytes | None:
        """The cached tile for ``key`` (which must include the data version), or None."""
        data = self._tiles.get(key)
        if data is not None:
            self._tiles.move_to_end(key)
        return data

    def put(self, key: tuple, data: bytes) -> None:
        """Remember a tile, dropping the least recently used ones beyond the byte budget."""
        if len(data) > self.max_bytes // 4 or key in self._tiles:
            return
        self._tiles[key] = data
        self._size += len(data)
        while self._size > self.max_bytes:
            _, old = self._tiles.popitem(last=False)
            self._size -= len(old)
