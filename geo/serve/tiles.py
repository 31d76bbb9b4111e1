"""Mapbox vector tiles (WebMercatorQuad) written by PostGIS, simplified per zoom.

Big layers are rendered once at import time into ``tile_store`` (zooms 0..max_zoom; the zooms where a
typical feature is under two pixels are generalised into land-use cells) and served from there; other
tiles are rendered live.
"""

import gzip
import math
import time
from collections import OrderedDict
from dataclasses import dataclass

import asyncpg
import numpy as np
import shapely
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Connection, text

from geo.errors import InvalidParameter
from geo.serve.catalog import TILE_PROPERTY_CANDIDATES, Collection

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


def _layer_sql(collection: Collection, z: str, x: str, y: str, tolerance: str) -> str:
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
    return _layer_sql(collection, "$1::integer", "$2::integer", "$3::integer", "$4::float8")


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
        """``stored_layers`` read once per data version (every import that stores tiles bumps it)."""
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


# ---------------------------------------------------------------------------------------------
# The tile store: big layers rendered once, at import time (write path, SQLAlchemy connection)


class TileStoreSettings(BaseSettings):
    """Which layers get stored tiles, and up to which zoom (prefix ``PLANVIEW_``)."""

    model_config = SettingsConfigDict(env_prefix="PLANVIEW_", extra="ignore")

    tile_store_min_features: int = 5_000
    tile_store_max_zoom: int = 12


# Zooms where a typical feature is smaller than this many pixels are drawn as land-use cells: a tile
# of such features holds ~100,000 of them (over 1 MB at z11 for 200,000 parcels) and shows no more.
GENERALISE_BELOW_PIXELS = 4.0
# Cells per tile side in generalised tiles (2 screen pixels each).
CELLS_PER_TILE = 128
_CELL_BITS = 7
_CELL_UNITS = EXTENT // CELLS_PER_TILE
_TILE_BOX = f"ST_MakeBox2D(ST_Point(0, 0), ST_Point({EXTENT}, {EXTENT}))"


@dataclass
class StoredTiles:
    """What ``pregenerate_tiles`` stored for one layer."""

    layer_key: str
    max_zoom: int
    generalised_max_zoom: int | None
    tile_count: int
    total_bytes: int
    seconds: float


def _lon_to_x(lon: float, z: int) -> int:
    return min(max(int((lon + 180) / 360 * 2**z), 0), 2**z - 1)


def _lat_to_y(lat: float, z: int) -> int:
    lat = min(max(lat, -85.05112878), 85.05112878)
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * 2**z
    return min(max(int(y), 0), 2**z - 1)


def tile_range(extent: tuple[float, float, float, float], z: int) -> tuple[int, int, int, int]:
    """x0, x1, y0, y1 of the tiles at zoom ``z`` whose buffered area touches ``extent`` (w, s, e, n)."""
    margin = pixel_degrees(z) * 256 * BUFFER / EXTENT
    w, s, e, n = extent
    return (
        _lon_to_x(w - margin, z),
        _lon_to_x(e + margin, z),
        _lat_to_y(n + margin, z),
        _lat_to_y(s - margin, z),
    )


def _layer_collection(conn: Connection, layer_key: str) -> Collection:
    """A Collection for a loaded sheet layer, as the registry would build it (enough to render tiles)."""
    row = conn.execute(
        text("SELECT table_name, geometry_type, title_vi, title_en FROM sheet_layer WHERE layer_key = :key"),
        {"key": layer_key},
    ).one()
    columns = dict(
        conn.execute(
            text(
                "SELECT a.attname, t.typname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
                "WHERE a.attrelid = to_regclass(format('layers.%I', CAST(:table AS text))) "
                "AND a.attnum > 0 AND NOT a.attisdropped"
            ),
            {"table": row.table_name},
        ).all()
    )
    return Collection(
        id=layer_key,
        title_vi=row.title_vi or layer_key,
        title_en=row.title_en or layer_key,
        description="",
        sheet_id=None,
        relation=f'layers."{row.table_name}"',
        id_column="fid",
        id_is_integer=True,
        where="TRUE",
        columns={c: t for c, t in columns.items() if c in TILE_PROPERTY_CANDIDATES},
        geometry_type=row.geometry_type,
    )


def generalised_max_zoom(typical_size_deg: float | None, max_zoom: int) -> int | None:
    """The highest zoom at which a feature of ``typical_size_deg`` is under GENERALISE_BELOW_PIXELS pixels."""
    if not typical_size_deg or typical_size_deg <= 0:
        return None
    z = math.ceil(math.log2(GENERALISE_BELOW_PIXELS * pixel_degrees(0) / typical_size_deg)) - 1
    return min(z, max_zoom) if z >= 0 else None


_SIZE = "greatest(ST_XMax(t.geom) - ST_XMin(t.geom), ST_YMax(t.geom) - ST_YMin(t.geom))"


def _store_generalised(conn: Connection, c: Collection, base_zoom: int, extent: tuple, params: dict) -> None:
    """Zooms 0..base_zoom: features under GENERALISE_BELOW_PIXELS become cells of 2 pixels, each coloured
    by the land use covering most of it; bigger features (a forest among parcels) are drawn as they are."""
    cells = 2 ** (base_zoom + _CELL_BITS)
    small_at_z0 = GENERALISE_BELOW_PIXELS * pixel_degrees(0)
    for table in ("_tile_cells", "_tile_parts", "_tile_big"):
        conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
    # Each feature counts in the cell holding its bbox centre, weighted by its area, at the zooms where
    # it is small (small_to = the last one). Pure arithmetic (Web Mercator by formula) keeps this to a
    # second for 200,000 features.
    conn.execute(
        text(
            f"""
            CREATE TEMP TABLE _tile_cells ON COMMIT DROP AS
            SELECT floor((lon + 180) / 360 * {cells})::integer AS cx,
                   floor((1 - asinh(tan(radians(lat))) / pi()) / 2 * {cells})::integer AS cy,
                   code, small_to, sum(weight) AS weight
            FROM (SELECT (ST_XMin(t.geom) + ST_XMax(t.geom)) / 2 AS lon,
                         greatest(least((ST_YMin(t.geom) + ST_YMax(t.geom)) / 2, 85.0511), -85.0511) AS lat,
                         t.landuse_code AS code, ST_Area(t.geom) AS weight,
                         CASE WHEN {_SIZE} > 0
                              THEN least(ceil(ln({small_at_z0} / {_SIZE}) / ln(2))::integer - 1, {base_zoom})
                              ELSE {base_zoom} END AS small_to
                  FROM {c.relation} t WHERE {c.where}) f
            WHERE small_to >= 0
            GROUP BY 1, 2, 3, 4
            """
        )
    )
    props = c.tile_properties
    conn.execute(
        text(
            f'CREATE TEMP TABLE _tile_big ON COMMIT DROP AS SELECT t."{c.id_column}" AS fid, '
            + "".join(f't."{p}"::text AS "{p}", ' for p in props)
            + f"t.geom, {_SIZE} AS size FROM {c.relation} t "
            f"WHERE ({c.where}) AND {_SIZE} >= {small_at_z0 / 2**base_zoom!r}"
        )
    )
    big = conn.execute(text("SELECT count(*) FROM _tile_big")).scalar_one()
    if big:
        conn.execute(text("CREATE INDEX ON _tile_big USING gist (geom)"))
    conn.execute(
        text(
            "CREATE TEMP TABLE _tile_parts (tx integer, ty integer, code text, geom geometry) ON COMMIT DROP"
        )
    )
    cell_props = "".join(
        "p.code AS landuse_code, " if p == "landuse_code" else f'NULL::text AS "{p}", ' for p in props
    )
    big_props = "".join(f'b."{p}", ' for p in props)
    for z in range(base_zoom + 1):
        shift = base_zoom - z
        groups = conn.execute(
            text(
                f"""
                SELECT cx >> {_CELL_BITS} AS tx, cy >> {_CELL_BITS} AS ty, code,
                       array_agg(cx & {CELLS_PER_TILE - 1}) AS xs, array_agg(cy & {CELLS_PER_TILE - 1}) AS ys
                FROM (SELECT DISTINCT ON (cx, cy) cx, cy, code FROM (
                          SELECT cx >> {shift} AS cx, cy >> {shift} AS cy, code, sum(weight) AS weight
                          FROM _tile_cells WHERE small_to >= {z} GROUP BY 1, 2, 3) s
                      ORDER BY cx, cy, weight DESC, code) d
                GROUP BY 1, 2, 3
                """
            )
        ).all()
        conn.execute(text("TRUNCATE _tile_parts"))
        if groups:
            conn.execute(
                text("INSERT INTO _tile_parts VALUES (:tx, :ty, :code, ST_GeomFromWKB(:wkb))"),
                [
                    {"tx": g.tx, "ty": g.ty, "code": g.code, "wkb": _cells_union_wkb(g.xs, g.ys)}
                    for g in groups
                ],
            )
        tiles = "SELECT DISTINCT tx, ty FROM _tile_parts"
        if big:
            x0, x1, y0, y1 = tile_range(extent, z)
            tiles += f" UNION SELECT x, y FROM generate_series({x0}, {x1}) x, generate_series({y0}, {y1}) y"
        tolerance = pixel_degrees(z)
        simplified = f"ST_Transform(ST_Simplify(b.geom, {tolerance / 2!r}, true), 3857)"
        # the cells are in tile units with y up; ST_AsMVTGeom flips them and fixes the ring order
        conn.execute(
            text(
                f"""
                INSERT INTO _tile_out (z, x, y, tile)
                SELECT {z}, k.tx, k.ty,
                       (SELECT ST_AsMVT(q, :key, {EXTENT}, 'geom') FROM (
                            SELECT NULL::bigint AS fid, {cell_props}true AS generalised,
                                   ST_AsMVTGeom(p.geom, {_TILE_BOX}, {EXTENT}, 0, false) AS geom
                            FROM _tile_parts p WHERE p.tx = k.tx AND p.ty = k.ty
                            UNION ALL
                            SELECT b.fid, {big_props}NULL::boolean,
                                   ST_AsMVTGeom({simplified}, ST_TileEnvelope({z}, k.tx, k.ty),
                                                {EXTENT}, {BUFFER}, true)
                            FROM _tile_big b
                            WHERE b.size >= {GENERALISE_BELOW_PIXELS * tolerance!r}
                              AND b.geom && ST_Transform(ST_TileEnvelope({z}, k.tx, k.ty,
                                                                         margin => {BUFFER / EXTENT}), 4326)
                        ) q WHERE q.geom IS NOT NULL)
                FROM ({tiles}) k(tx, ty)
                """
            ),
            params,
        )


def _cells_union_wkb(xs: list[int], ys: list[int]) -> bytes:
    """The union of grid cells (column, row from the top) as one geometry in tile units, y up."""
    x0 = np.asarray(xs, dtype=np.float64) * _CELL_UNITS
    top = EXTENT - np.asarray(ys, dtype=np.float64) * _CELL_UNITS
    squares = shapely.box(x0, top - _CELL_UNITS, x0 + _CELL_UNITS, top)
    # the cells never overlap, so a coverage union (edge matching, no overlay) is exact and many times
    # faster than ST_Union, which took 32 s for the 200,000-parcel benchmark layer at z11
    return shapely.to_wkb(shapely.coverage_union_all(squares))


def _store_rendered(conn: Connection, c: Collection, z: int, extent: tuple, params: dict) -> None:
    """Every non-empty tile of zoom ``z`` over the layer's extent, rendered as live tiles are."""
    x0, x1, y0, y1 = tile_range(extent, z)
    layer = _layer_sql(c, str(z), "g.x", "g.y", repr(pixel_degrees(z)))
    conn.execute(
        text(
            f"""
            INSERT INTO _tile_out (z, x, y, tile)
            SELECT {z}, g.x, g.y, r.tile
            FROM generate_series({x0}, {x1}) AS gx(x) CROSS JOIN generate_series({y0}, {y1}) AS gy(y)
            CROSS JOIN LATERAL (SELECT gx.x, gy.y) g
            CROSS JOIN LATERAL ({layer}) r(tile)
            WHERE length(r.tile) > 0
            """
        ),
        params,
    )


def _store_gzipped(conn: Connection, layer_key: str, version: int) -> tuple[int, int]:
    """Move the rendered tiles into tile_store gzipped (as MBTiles stores vector tiles); (count, bytes)."""
    rows = conn.execute(text("SELECT z, x, y, tile FROM _tile_out WHERE length(tile) > 0")).all()
    stored = [
        {
            "key": layer_key,
            "z": z,
            "x": x,
            "y": y,
            "version": version,
            "tile": gzip.compress(bytes(t), 6, mtime=0),
        }
        for z, x, y, t in rows
    ]
    if stored:
        conn.execute(
            text(
                "INSERT INTO tile_store (collection, z, x, y, data_version, tile) "
                "VALUES (:key, :z, :x, :y, :version, :tile)"
            ),
            stored,
        )
    return len(stored), sum(len(r["tile"]) for r in stored)


def pregenerate_tiles(conn: Connection, layer_key: str, max_zoom: int = 12) -> StoredTiles | None:
    """Render and store every tile of a layer for zooms 0..max_zoom (inside the caller's transaction)."""
    started = time.perf_counter()
    drop_stored_tiles(conn, layer_key)
    c = _layer_collection(conn, layer_key)
    row = conn.execute(
        text(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), typical FROM ("
            "SELECT ST_Extent(t.geom) AS e, percentile_cont(0.5) WITHIN GROUP (ORDER BY "
            "greatest(ST_XMax(t.geom) - ST_XMin(t.geom), ST_YMax(t.geom) - ST_YMin(t.geom))) AS typical "
            f"FROM {c.relation} t WHERE {c.where}) s"
        )
    ).one()
    if row[0] is None:
        return None
    extent, typical = tuple(row[:4]), row[4]
    version = conn.execute(text("SELECT version FROM data_version WHERE id = 1")).scalar_one()
    params = {"key": layer_key}
    # lines keep their shape at every zoom (simplified); polygons small on screen become land-use cells
    base = generalised_max_zoom(typical, max_zoom) if c.geometry_type == "polygon" else None
    conn.execute(text("DROP TABLE IF EXISTS _tile_out"))
    conn.execute(
        text("CREATE TEMP TABLE _tile_out (z integer, x integer, y integer, tile bytea) ON COMMIT DROP")
    )
    if base is not None:
        _store_generalised(conn, c, base, extent, params)
    for z in range((base if base is not None else -1) + 1, max_zoom + 1):
        _store_rendered(conn, c, z, extent, params)
    count, size = _store_gzipped(conn, layer_key, version)
    stored = StoredTiles(layer_key, max_zoom, base, count, size, time.perf_counter() - started)
    conn.execute(
        text(
            "INSERT INTO tile_store_layer (collection, table_oid, max_zoom, generalised_max_zoom, "
            "data_version, tile_count, total_bytes, seconds) "
            "SELECT :key, to_regclass(format('layers.%I', table_name))::oid, :max_zoom, :base, "
            ":version, :count, :size, :seconds FROM sheet_layer WHERE layer_key = :key"
        ),
        {
            "key": layer_key,
            "max_zoom": max_zoom,
            "base": base,
            "version": version,
            "count": count,
            "size": size,
            "seconds": stored.seconds,
        },
    )
    return stored


def drop_stored_tiles(conn: Connection, layer_key: str) -> None:
    """Forget a layer's stored tiles (its tiles are then rendered live)."""
    conn.execute(text("DELETE FROM tile_store WHERE collection = :key"), {"key": layer_key})
    conn.execute(text("DELETE FROM tile_store_layer WHERE collection = :key"), {"key": layer_key})


def refresh_stored_tiles(
    conn: Connection, layer_key: str, min_features: int | None = None
) -> StoredTiles | None:
    """After a layer was (re)written: store its tiles when it is big, drop stale ones otherwise."""
    settings = TileStoreSettings()
    threshold = settings.tile_store_min_features if min_features is None else min_features
    table = conn.execute(
        text("SELECT format('layers.%I', table_name) FROM sheet_layer WHERE layer_key = :key"),
        {"key": layer_key},
    ).scalar()
    count = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() if table else 0
    if count <= threshold:
        drop_stored_tiles(conn, layer_key)
        return None
    return pregenerate_tiles(conn, layer_key, settings.tile_store_max_zoom)
