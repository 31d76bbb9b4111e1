"""Mapbox vector tiles (WebMercatorQuad) written by PostGIS, simplified per zoom.

The read path (asyncpg, read only): big layers' tiles come from ``tile_store`` (written at import by
``geo.ingest.tile_store``), other tiles are rendered live.
"""

import gzip
from collections import OrderedDict
from dataclasses import dataclass

import asyncpg

from geo.errors import InvalidParameter
from geo.serve.catalog import Collection

MAX_ZOOM = 22
EXTENT = 4096
BUFFER = 64
# Below this zoom a point layer keeps one point per pixel; from it on every point is in the tile, so
# each can be clicked.
THIN_POINTS_BELOW_ZOOM = 13
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


def layer_sql(collection: Collection, z: str, x: str, y: str, tolerance: str) -> str:
    """SQL of one MVT layer of tile z/x/y; the arguments are SQL expressions (parameters or columns)."""
    props = ", ".join(f't."{c}"' for c in collection.tile_properties)
    geom = "t.geom"
    size_filter = ""
    distinct = order = ""
    fid = f't."{collection.id_column}"'
    if collection.geometry_type == "point":
        # Below THIN_POINTS_BELOW_ZOOM one point per pixel cell (they would be drawn on top of each
        # other); the lowest id wins, so a tile is the same at every render. From it on, every point.
        cell = f"CASE WHEN {z} < {THIN_POINTS_BELOW_ZOOM} THEN ST_SnapToGrid(t.geom, {tolerance}) END"
        every = f"CASE WHEN {z} >= {THIN_POINTS_BELOW_ZOOM} THEN {fid} END"
        distinct = f"DISTINCT ON ({cell}, {every}) "
        order = f" ORDER BY {cell}, {every}, {fid}"
    else:
        # Below one pixel a polygon or line is invisible: skip it before the costly transform, and
        # simplify by a pixel in degrees so fewer points are transformed and encoded.
        size_filter = (
            f" AND (ST_GeometryType(t.geom) = 'ST_Point' OR "
            f"greatest(ST_XMax(t.geom) - ST_XMin(t.geom), ST_YMax(t.geom) - ST_YMin(t.geom)) >= {tolerance})"
        )
        geom = f"ST_Simplify(t.geom, {tolerance} / 2, true)"
    return (
        f"SELECT ST_AsMVT(q, '{collection.id}', {EXTENT}, 'geom') FROM ("
        f"SELECT {distinct}{fid} AS fid{', ' + props if props else ''}, "
        f"ST_AsMVTGeom(ST_Transform({geom}, 3857), ST_TileEnvelope({z}, {x}, {y}), "
        f"{EXTENT}, {BUFFER}, true) AS geom "
        f"FROM {collection.relation} t "
        f"WHERE ({collection.where}) AND t.geom && ST_Transform(ST_TileEnvelope({z}, {x}, {y}, "
        f"margin => {BUFFER / EXTENT}), 4326){size_filter}{order}"
        f") q WHERE q.geom IS NOT NULL"
    )


def _live_layer_sql(collection: Collection) -> str:
    """The layer SQL with asyncpg parameters $1..$4 = z, x, y, tolerance (ST_TileEnvelope wants integers)."""
    return layer_sql(collection, "$1::integer", "$2::integer", "$3::integer", "$4::float8")


@dataclass(frozen=True)
class TileBody:
    """A tile's bytes; ``gzipped`` when they come gzip-compressed from the tile store."""

    data: bytes
    gzipped: bool = False

    def __len__(self) -> int:
        return len(self.data)

    def mvt(self) -> bytes:
        """The uncompressed MVT bytes."""
        return gzip.decompress(self.data) if self.gzipped else self.data


async def tile(
    conn: asyncpg.Connection,
    collections: list[Collection],
    z: int,
    x: int,
    y: int,
    stored: dict[str, int] | None = None,
) -> TileBody:
    """One tile holding one MVT layer per collection (named by the collection id).

    ``stored`` maps collections with stored tiles to their highest stored zoom: there the stored tile is
    used (no row = empty tile), elsewhere the layer is rendered live, all live layers in one query.
    """
    check_tile(z, x, y)
    stored = stored or {}
    from_store = [c.id for c in collections if z <= stored.get(c.id, -1)]
    live = [c for c in collections if c.id not in from_store]
    kept: dict[str, bytes] = {}
    if from_store:
        rows = await conn.fetch(
            "SELECT collection, tile FROM tile_store WHERE collection = ANY($1::text[]) "
            "AND z = $2 AND x = $3 AND y = $4",
            from_store,
            z,
            x,
            y,
        )
        kept = {r["collection"]: bytes(r["tile"]) for r in rows}
        if not live and len(collections) == 1:
            data = kept.get(collections[0].id)
            return TileBody(data, gzipped=True) if data else TileBody(b"")
    rendered: dict[str, bytes] = {}
    if live:
        sql = "SELECT " + ", ".join(f"coalesce(({_live_layer_sql(c)}), ''::bytea)" for c in live)
        row = await conn.fetchrow(sql, z, x, y, pixel_degrees(z))
        rendered = {c.id: bytes(v) for c, v in zip(live, row, strict=True)}
    # MVT layers are top-level protobuf fields: concatenated tiles are one tile with all their layers
    parts = [
        rendered[c.id] if c.id in rendered else gzip.decompress(kept.get(c.id, b"")) for c in collections
    ]
    return TileBody(b"".join(parts))


_STORED_LAYERS_SQL = """
SELECT s.collection, s.max_zoom FROM tile_store_layer s
JOIN sheet_layer l ON l.layer_key = s.collection
WHERE to_regclass(format('layers.%I', l.table_name))::oid = s.table_oid
"""


async def stored_layers(conn: asyncpg.Connection) -> dict[str, int]:
    """Collections whose tiles are stored for their current table → their highest stored zoom."""
    return {r["collection"]: r["max_zoom"] for r in await conn.fetch(_STORED_LAYERS_SQL)}


class TileCache:
    """Recently served tiles keyed by data version and request, bounded in bytes (least recently used out)."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024):
        self.max_bytes = max_bytes
        self._tiles: OrderedDict[tuple, TileBody] = OrderedDict()
        self._size = 0
        self._stored: tuple[int, dict[str, int]] | None = None

    async def stored_layers(self, conn: asyncpg.Connection, data_version: int) -> dict[str, int]:
        """``stored_layers`` read once per version of the layers (every import that stores tiles bumps it)."""
        if self._stored is None or self._stored[0] != data_version:
            self._stored = (data_version, await stored_layers(conn))
        return self._stored[1]

    def get(self, key: tuple) -> TileBody | None:
        """The cached tile for ``key`` (which must include the data version), or None."""
        data = self._tiles.get(key)
        if data is not None:
            self._tiles.move_to_end(key)
        return data

    def put(self, key: tuple, data: TileBody) -> None:
        """Remember a tile, dropping the least recently used ones beyond the byte budget."""
        if len(data) > self.max_bytes // 4 or key in self._tiles:
            return
        self._tiles[key] = data
        self._size += len(data)
        while self._size > self.max_bytes:
            _, old = self._tiles.popitem(last=False)
            self._size -= len(old)
