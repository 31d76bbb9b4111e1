"""The tile store: big layers' tiles rendered once, at import time, into ``tile_store`` (write path).

Zooms 0..max_zoom are stored gzipped; the zooms where a typical feature is under a few pixels are
generalised into land-use cells. ``geo.serve.tiles`` serves them as stored.
"""

import gzip
import math
import time
from dataclasses import dataclass

import numpy as np
import shapely
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Connection, text

from geo.serve.catalog import TILE_PROPERTY_CANDIDATES, Collection
from geo.serve.tiles import BUFFER, EXTENT, layer_sql, pixel_degrees


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


def _layer_collection(conn: Connection, layer_key: str, table: str | None = None) -> Collection:
    """A Collection for a loaded sheet layer, as the registry would build it (enough to render tiles).

    ``table`` reads the features from another table of schema ``layers`` (an import's staging table).
    """
    row = conn.execute(
        text(
            "SELECT coalesce(CAST(:table AS text), table_name) AS table_name, geometry_type, title_vi, "
            "title_en FROM sheet_layer WHERE layer_key = :key"
        ),
        {"key": layer_key, "table": table},
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
    layer = layer_sql(c, str(z), "g.x", "g.y", repr(pixel_degrees(z)))
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


def pregenerate_tiles(
    conn: Connection, layer_key: str, max_zoom: int = 12, table: str | None = None
) -> StoredTiles | None:
    """Render and store every tile of a layer for zooms 0..max_zoom (inside the caller's transaction).

    ``table``: render from this table of schema ``layers`` (an import's staging table, renamed into
    place later: the stored tiles name its oid, which the rename keeps).
    """
    started = time.perf_counter()
    drop_stored_tiles(conn, layer_key)
    c = _layer_collection(conn, layer_key, table)
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
            "SELECT :key, to_regclass(format('layers.%I', coalesce(CAST(:table AS text), table_name)))::oid, "
            ":max_zoom, :base, :version, :count, :size, :seconds FROM sheet_layer WHERE layer_key = :key"
        ),
        {
            "key": layer_key,
            "table": table,
            "max_zoom": max_zoom,
            "base": base,
            "version": version,
            "count": count,
            "size": size,
            "seconds": stored.seconds,
        },
    )
    return stored


def label_stored_tiles(conn: Connection, layer_keys: list[str], version: int) -> None:
    """Stamp layers' stored tiles with the data version their import commits (rendered before its bump)."""
    for table in ("tile_store", "tile_store_layer"):
        conn.execute(
            text(f"UPDATE {table} SET data_version = :v WHERE collection = ANY(:keys)"),
            {"v": version, "keys": layer_keys},
        )


def drop_stored_tiles(conn: Connection, layer_key: str) -> None:
    """Forget a layer's stored tiles (its tiles are then rendered live)."""
    conn.execute(text("DELETE FROM tile_store WHERE collection = :key"), {"key": layer_key})
    conn.execute(text("DELETE FROM tile_store_layer WHERE collection = :key"), {"key": layer_key})


def refresh_stored_tiles(
    conn: Connection, layer_key: str, min_features: int | None = None, table: str | None = None
) -> StoredTiles | None:
    """After a layer was (re)written: store its tiles when it is big, drop stale ones otherwise.

    ``table``: the layer's new table of schema ``layers`` when it is not in place yet (an import renders
    from its staging table before it takes any lock on the live one).
    """
    settings = TileStoreSettings()
    threshold = settings.tile_store_min_features if min_features is None else min_features
    relation = conn.execute(
        text(
            "SELECT format('layers.%I', coalesce(CAST(:table AS text), table_name)) FROM sheet_layer "
            "WHERE layer_key = :key"
        ),
        {"key": layer_key, "table": table},
    ).scalar()
    count = conn.execute(text(f"SELECT count(*) FROM {relation}")).scalar_one() if relation else 0
    if count <= threshold:
        drop_stored_tiles(conn, layer_key)
        return None
    return pregenerate_tiles(conn, layer_key, settings.tile_store_max_zoom, table)
