"""Map sheets on paper: the frame, scale and VN-2000 grid of a print, and its layers as SVG paths in mm.

The map is drawn in EPSG:9213 (VN-2000 / TM-3 106°30′), the national grid of Bắc Kạn, so one metre on
the grid is ``1000 / scale`` mm on paper everywhere on the sheet (TM-3's scale factor 0.9999 keeps the
grid within 0.01 % of the ground). PostGIS transforms, clips, simplifies and encodes every geometry
(``ST_AsSVG`` of geometries already moved to paper millimetres); Python only passes the strings on.
"""

import math
from dataclasses import dataclass, field

import asyncpg
import orjson

from geo.errors import InvalidParameter, NotFound
from geo.serve.catalog import Catalog
from geo.store.crs import VN2000_SRID
from geo.store.units import REFORM_START_SQL

PAPERS_MM: dict[str, tuple[int, int]] = {"A4": (210, 297), "A3": (297, 420)}
ORIENTATIONS = ("portrait", "landscape")
SCALES = (10_000, 25_000, 50_000, 100_000, 250_000)
MAX_FIT_SCALE = 2_000_000
# Grid intervals in metres; the print takes the smallest that puts lines at least this far apart.
GRID_INTERVALS_M = (500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000)
GRID_MIN_SPACING_MM = 35
# Scale-bar lengths in metres; the bar takes the longest that fits in a quarter of the frame.
SCALE_BAR_M = (100, 200, 250, 500, 1_000, 2_000, 2_500, 5_000, 10_000, 20_000, 25_000, 50_000)
SIMPLIFY_MM = 0.15  # below what a printer resolves
MAX_FEATURES_PER_LAYER = 20_000
MAX_LAYERS = 20
# Where a print may look (lon/lat): around Viet Nam, where the VN-2000 TM-3 grid means something.
PRINT_AREA = (100.0, 5.0, 112.0, 27.0)

# The base drawn under every print, bottom to top (collection ids of the read path).
BASE_LAYERS = ("provinces", "communes", "districts", "rivers", "national_roads", "settlements")
# Overlays the viewer knows under another name.
LAYER_ALIASES = {"projects": "priority_projects", "zones": "industrial_zones"}
# Extra columns an overlay's symbols depend on (status colours projects, kind colours zones).
CLASS_COLUMNS = ("kind", "status", "landuse_code", "code")


@dataclass(frozen=True)
class PrintRequest:
    """What to print: sheet, paper, orientation, scale (None = fit), where, which layers, language."""

    sheet: str | None = None
    paper: str = "A4"
    orientation: str = "landscape"
    scale: int | None = None
    center: tuple[float, float] | None = None
    bbox: tuple[float, float, float, float] | None = None
    layers: tuple[str, ...] = ()
    lang: str = "vi"

    @classmethod
    def parse(
        cls,
        sheet: str | None = None,
        paper: str | None = None,
        orientation: str | None = None,
        scale: str | None = None,
        center: str | None = None,
        bbox: str | None = None,
        layers: str | None = None,
        lang: str | None = None,
    ) -> "PrintRequest":
        """Check the query parameters of /print and /api/print.pdf; InvalidParameter names what is wrong."""
        paper = (paper or "A4").upper()
        if paper not in PAPERS_MM:
            raise InvalidParameter(f"paper must be one of {', '.join(PAPERS_MM)}; got {paper!r}")
        orientation = (orientation or "landscape").lower()
        if orientation not in ORIENTATIONS:
            raise InvalidParameter(f"orientation must be portrait or landscape; got {orientation!r}")
        value: int | None = None
        if scale and scale.strip().lower() != "fit":
            text = scale.strip().replace("1:", "").replace(",", "").replace(".", "").replace(" ", "")
            if not text.isdigit() or int(text) not in SCALES:
                raise InvalidParameter(
                    f"scale must be fit or one of {', '.join(str(s) for s in SCALES)}; got {scale!r}"
                )
            value = int(text)
        lang = lang or "vi"
        if lang not in ("vi", "en"):
            raise InvalidParameter(f"lang must be vi or en; got {lang!r}")
        point = _numbers(center, 2, "center", "lon,lat") if center else None
        if point and not (-180 <= point[0] <= 180 and -90 <= point[1] <= 90):
            raise InvalidParameter(f"center must be lon,lat in degrees; got {center!r}")
        box = _numbers(bbox, 4, "bbox", "w,s,e,n (lon/lat)") if bbox else None
        if box and not (-180 <= box[0] < box[2] <= 180 and -90 <= box[1] < box[3] <= 90):
            raise InvalidParameter(f"bbox must be w,s,e,n in degrees with w < e and s < n; got {bbox!r}")
        w, s, e, n = PRINT_AREA
        if point and not (w <= point[0] <= e and s <= point[1] <= n):
            raise InvalidParameter(
                f"center must lie within lon {w:g}..{e:g}, lat {s:g}..{n:g} (VN-2000); got {center!r}"
            )
        if box and not (w <= box[0] and box[2] <= e and s <= box[1] and box[3] <= n):
            raise InvalidParameter(
                f"bbox must lie within lon {w:g}..{e:g}, lat {s:g}..{n:g} (VN-2000); got {bbox!r}"
            )
        keys = tuple(dict.fromkeys(k.strip() for k in (layers or "").split(",") if k.strip()))
        if len(keys) > MAX_LAYERS:
            raise InvalidParameter(f"at most {MAX_LAYERS} layers per print; got {len(keys)}")
        sheet = sheet.strip() if sheet and sheet.strip() else None
        return cls(sheet, paper, orientation, value, point, box, keys, lang)


def _numbers(text: str, count: int, name: str, form: str) -> tuple[float, ...]:
    parts = text.split(",")
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        values = ()
    if len(values) != count or not all(math.isfinite(v) for v in values):
        raise InvalidParameter(f"{name} must be {count} comma-separated numbers {form}; got {text!r}")
    return values


@dataclass(frozen=True)
class Frame:
    """Where the map sits on the page (mm from the page's top left) and the other blocks around it."""

    page_w: float
    page_h: float
    x: float
    y: float
    w: float
    h: float
    panel: tuple[float, float, float, float] = field(default=(0, 0, 0, 0))


def layout_frame(paper: str, orientation: str) -> Frame:
    """The map frame and the legend panel of a paper size: title band on top, panel right or below."""
    short, long = PAPERS_MM[paper]
    page_w, page_h = (long, short) if orientation == "landscape" else (short, long)
    margin, header, band, gap = 10.0, 22.0, 6.0, 4.0  # band: room outside the frame for grid labels
    if orientation == "landscape":
        panel_w = 80.0 if paper == "A3" else 66.0
        w = page_w - 2 * margin - panel_w - 2 * band - gap
        h = page_h - 2 * margin - header - 2 * band
        panel = (page_w - margin - panel_w, margin + header, panel_w, h + 2 * band)
    else:
        panel_h = 70.0 if paper == "A3" else 64.0
        w = page_w - 2 * margin - 2 * band
        h = page_h - 2 * margin - header - panel_h - 2 * band - gap
        panel = (margin, page_h - margin - panel_h, page_w - 2 * margin, panel_h)
    return Frame(page_w, page_h, margin + band, margin + header + band, w, h, panel)


def fit_scale(width_m: float, height_m: float, frame: Frame) -> int:
    """The smallest round scale (two significant digits) at which width × height metres fit the frame."""
    needed = max(width_m / frame.w, height_m / frame.h, 1.0) * 1000 * 1.04  # 4 % breathing room
    digits = 10 ** max(int(math.floor(math.log10(needed))) - 1, 0)
    return int(min(math.ceil(needed / digits) * digits, MAX_FIT_SCALE))


def grid_interval(scale: int) -> int:
    """Metres between VN-2000 grid lines at this scale."""
    for interval in GRID_INTERVALS_M:
        if interval * 1000 / scale >= GRID_MIN_SPACING_MM:
            return interval
    return GRID_INTERVALS_M[-1]


def scale_bar_length(scale: int, frame: Frame) -> int:
    """Metres shown by the scale bar: the longest round length within a quarter of the frame's width."""
    fitting = [m for m in SCALE_BAR_M if m * 1000 / scale <= frame.w / 4]
    return fitting[-1] if fitting else SCALE_BAR_M[0]


async def _sheet(conn: asyncpg.Connection, sheet_id: str | None) -> dict | None:
    if sheet_id is None:
        return None
    row = await conn.fetchrow(
        "SELECT sheet_id, number, title_vi, title_en, scale, theme FROM map_sheet WHERE sheet_id = $1",
        sheet_id,
    )
    if row is None:
        ids = [r["sheet_id"] for r in await conn.fetch("SELECT sheet_id FROM map_sheet ORDER BY number")]
        raise NotFound(f"no sheet {sheet_id!r}; sheets are: {', '.join(ids)}")
    return dict(row)


async def _overlay_meta(conn: asyncpg.Connection, catalog: Catalog, request: PrintRequest) -> list[dict]:
    """The overlays asked for (or the sheet's loaded layers), each with its title, style, legend, source."""
    keys = [LAYER_ALIASES.get(k, k) for k in request.layers]
    if not keys and request.sheet:
        keys = [
            r["layer_key"]
            for r in await conn.fetch(
                "SELECT layer_key FROM sheet_layer WHERE sheet_id = $1 ORDER BY sort_order, layer_key",
                request.sheet,
            )
            if r["layer_key"] in catalog.collections
        ]
    keys = [k for k in dict.fromkeys(keys) if k not in BASE_LAYERS]
    unknown = [k for k in keys if k not in catalog.collections]
    if unknown:
        raise InvalidParameter(
            f"unknown layer(s) {', '.join(unknown)}; layers are: "
            f"{', '.join(sorted(k for k in catalog.collections if k not in BASE_LAYERS))}"
        )
    rows = {
        r["layer_key"]: r
        for r in await conn.fetch(
            "SELECT layer_key, sheet_id, title_vi, title_en, geometry_type, style, legend, source, licence "
            "FROM sheet_layer WHERE layer_key = ANY($1::text[])",
            keys,
        )
    }
    out = []
    for key in keys:
        collection = catalog.collections[key]
        row = rows.get(key)
        out.append(
            {
                "key": key,
                "sheet_id": collection.sheet_id,
                "title_vi": collection.title_vi,
                "title_en": collection.title_en,
                "style": (row["style"] if row else None) or {},
                "legend": (row["legend"] if row else None) or [],
                "source": row["source"] if row else None,
                "licence": row["licence"] if row else None,
            }
        )
    return out


async def _extent_9213(
    conn: asyncpg.Connection, catalog: Catalog, request: PrintRequest, overlays: list[dict]
) -> tuple[float, float, float, float]:
    """What to show, in EPSG:9213 metres: the bbox, else the overlays' features, else the province."""
    if request.bbox:
        w, s, e, n = request.bbox
        envelope = "ST_Segmentize(ST_MakeEnvelope($1, $2, $3, $4, 4326), 0.01)"
        sql = f"SELECT ST_Transform({envelope}, {VN2000_SRID}) AS g"
        args: tuple = (w, s, e, n)
    else:
        parts = [
            f"SELECT t.geom FROM {catalog.collections[o['key']].relation} t WHERE t.geom IS NOT NULL"
            for o in overlays
        ]
        parts.append(
            "SELECT t.geom FROM admin_unit t WHERE t.level = 'province' AND t.code = '06' "
            f"AND (t.valid_from IS NULL OR t.valid_from < {REFORM_START_SQL})"
        )
        # the overlays' own extent when they have features, else the province
        sql = (
            "SELECT COALESCE((SELECT "
            f"ST_Transform(ST_SetSRID(ST_Extent(u.geom)::geometry, 4326), {VN2000_SRID}) "
            f"FROM ({' UNION ALL '.join(parts[:-1]) or 'SELECT NULL::geometry AS geom'}) u "
            f"HAVING count(u.geom) > 0), "
            f"(SELECT ST_Transform(ST_SetSRID(ST_Extent(p.geom)::geometry, 4326), {VN2000_SRID}) "
            f"FROM ({parts[-1]}) p)) AS g"
        )
        args = ()
    row = await conn.fetchrow(
        f"SELECT ST_XMin(x.g) AS w, ST_YMin(x.g) AS s, ST_XMax(x.g) AS e, ST_YMax(x.g) AS n FROM ({sql}) x",
        *args,
    )
    if row is None or row["w"] is None:
        raise NotFound("nothing to print: no geometry in the layers asked for")
    return row["w"], row["s"], row["e"], row["n"]


def _class_sql(columns: dict[str, str]) -> str:
    """A feature's class (kind, status, land-use code or unit code) for its symbol, NULL when it has none."""
    has_properties = columns.get("properties") == "jsonb"
    present = [
        f't."{c}"::text' if c in columns else f"(t.properties ->> '{c}')"
        for c in CLASS_COLUMNS
        if c in columns or has_properties
    ]
    return f"COALESCE({', '.join(present)})" if present else "NULL::text"


async def _layer_paths(
    conn: asyncpg.Connection,
    relation: str,
    where: str,
    columns: dict[str, str],
    box: tuple[float, float, float, float],
    scale: int,
) -> tuple[list[dict], bool]:
    """The features of one relation inside the box as SVG in paper mm (origin = frame's top left)."""
    w, s, e, n = box
    k = 1000.0 / scale  # mm on paper per metre on the grid
    name_sql = 't."name"::text' if "name" in columns else "NULL::text"
    quality_sql = 't."geometry_quality"::text' if "geometry_quality" in columns else "NULL::text"
    sql = f"""
    WITH box AS (SELECT ST_MakeEnvelope($1, $2, $3, $4, {VN2000_SRID}) AS b),
    found AS (
      SELECT {name_sql} AS name, {quality_sql} AS quality, {_class_sql(columns)} AS class,
             ST_ClipByBox2D(ST_Transform(t.geom, {VN2000_SRID}), box.b) AS g
      FROM {relation} t, box
      WHERE {where} AND t.geom IS NOT NULL
        AND t.geom && ST_Transform(ST_Segmentize(box.b, ($3 - $1) / 16), 4326)
      LIMIT {MAX_FEATURES_PER_LAYER + 1}
    )
    SELECT name, quality, class, GeometryType(p.g) AS kind,
           ST_AsSVG(ST_Affine(p.g, $5, 0, 0, $5, -$1 * $5, -$4 * $5), 0, 2) AS svg
    FROM (SELECT name, quality, class,
                 ST_SimplifyPreserveTopology(g, {SIMPLIFY_MM} / $5) AS g FROM found) p
    WHERE NOT ST_IsEmpty(p.g)
    """
    rows = await conn.fetch(sql, w, s, e, n, k)
    truncated = len(rows) > MAX_FEATURES_PER_LAYER
    features = []
    for r in rows[:MAX_FEATURES_PER_LAYER]:
        kind = r["kind"].upper()
        features.append(
            {
                "kind": "point" if "POINT" in kind else "line" if "LINE" in kind else "polygon",
                "svg": r["svg"],
                "name": r["name"],
                "approximate": r["quality"] == "approximate",
                "class": r["class"],
            }
        )
    return features, truncated


async def _grid(
    conn: asyncpg.Connection, box: tuple[float, float, float, float], scale: int, frame: Frame
) -> dict:
    """VN-2000 grid lines (paper mm) with their values, and the grid convergence at the centre."""
    w, s, e, n = box
    k = 1000.0 / scale
    interval = grid_interval(scale)
    eastings = [
        {"value": v, "x": round((v - w) * k, 3)}
        for v in range(int(math.ceil(w / interval)) * interval, int(e) + 1, interval)
    ]
    northings = [
        {"value": v, "y": round((n - v) * k, 3)}
        for v in range(int(math.ceil(s / interval)) * interval, int(n) + 1, interval)
    ]
    # grid north vs true north: the azimuth of a short step north along the meridian through the centre
    row = await conn.fetchrow(
        f"""
        WITH c AS (SELECT ST_Transform(ST_SetSRID(ST_MakePoint($1, $2), {VN2000_SRID}), 4326) AS g)
        SELECT ST_X(c.g) AS lon, ST_Y(c.g) AS lat,
               degrees(ST_Azimuth(ST_Transform(c.g, {VN2000_SRID}),
                 ST_Transform(ST_SetSRID(ST_MakePoint(ST_X(c.g), ST_Y(c.g) + 0.01), 4326), {VN2000_SRID})))
                 AS azimuth
        FROM c
        """,
        (w + e) / 2,
        (s + n) / 2,
    )
    azimuth = row["azimuth"] if row["azimuth"] <= 180 else row["azimuth"] - 360
    return {
        "interval_m": interval,
        "eastings": eastings,
        "northings": northings,
        "convergence_deg": round(azimuth, 2),
        "center_lonlat": [round(row["lon"], 5), round(row["lat"], 5)],
        "center_9213": [round((w + e) / 2, 1), round((s + n) / 2, 1)],
    }


async def print_map(conn: asyncpg.Connection, catalog: Catalog, request: PrintRequest) -> dict:
    """Everything a print layout draws: frame, scale, grid, base and overlay paths, legend facts, sources."""
    sheet = await _sheet(conn, request.sheet)
    overlays = await _overlay_meta(conn, catalog, request)
    if sheet is None and overlays and overlays[0]["sheet_id"]:
        sheet = await _sheet(conn, overlays[0]["sheet_id"])  # the viewer's print: the first layer's sheet
    frame = layout_frame(request.paper, request.orientation)
    if request.center and request.scale:
        cx, cy = (
            await conn.fetchrow(
                f"SELECT ST_X(g) AS x, ST_Y(g) AS y FROM "
                f"(SELECT ST_Transform(ST_SetSRID(ST_MakePoint($1, $2), 4326), {VN2000_SRID}) AS g) p",
                *request.center,
            )
        ).values()
        scale = request.scale
    else:
        w, s, e, n = await _extent_9213(conn, catalog, request, overlays)
        cx, cy = (w + e) / 2, (s + n) / 2
        if request.center:
            row = await conn.fetchrow(
                f"SELECT ST_X(g) AS x, ST_Y(g) AS y FROM "
                f"(SELECT ST_Transform(ST_SetSRID(ST_MakePoint($1, $2), 4326), {VN2000_SRID}) AS g) p",
                *request.center,
            )
            # fit around the centre: the extent mirrored about it
            half_w, half_h = (
                max(abs(w - row["x"]), abs(e - row["x"])),
                max(abs(s - row["y"]), abs(n - row["y"])),
            )
            cx, cy, w, e, s, n = row["x"], row["y"], 0, 2 * half_w, 0, 2 * half_h
        scale = request.scale or fit_scale(e - w, n - s, frame)
    half_w, half_h = frame.w * scale / 2000, frame.h * scale / 2000
    box = (cx - half_w, cy - half_h, cx + half_w, cy + half_h)

    layers: list[dict] = []
    for key in BASE_LAYERS:
        collection = catalog.collections.get(key)
        if collection is None:
            continue
        features, truncated = await _layer_paths(
            conn, collection.relation, collection.where, collection.columns, box, scale
        )
        layers.append({"key": key, "base": True, "features": features, "truncated": truncated})
    for meta in overlays:
        collection = catalog.collections[meta["key"]]
        columns = dict(collection.columns)
        if collection.flatten_column:
            columns[collection.flatten_column] = "jsonb"
        features, truncated = await _layer_paths(
            conn, collection.relation, collection.where, columns, box, scale
        )
        layers.append({**meta, "base": False, "features": features, "truncated": truncated})

    version = await conn.fetchrow("SELECT version, changed_at FROM data_version WHERE id = 1")
    base_sources = await conn.fetch(
        "SELECT layer_key, source, licence FROM sheet_layer "
        "WHERE layer_key = ANY($1::text[]) ORDER BY sort_order",
        list(BASE_LAYERS),
    )
    boundary_source = await conn.fetchval(
        "SELECT source FROM admin_unit WHERE level = 'district' AND source IS NOT NULL LIMIT 1"
    )
    return {
        "request": {
            "sheet": request.sheet,
            "paper": request.paper,
            "orientation": request.orientation,
            "scale": "fit" if request.scale is None else request.scale,
            "layers": list(request.layers),
            "lang": request.lang,
        },
        "sheet": sheet,
        "paper": request.paper,
        "orientation": request.orientation,
        "lang": request.lang,
        "scale": scale,
        "scale_fitted": request.scale is None,
        "frame": frame,
        "box_9213": [round(v, 1) for v in box],
        "grid": await _grid(conn, box, scale, frame),
        "scale_bar_m": scale_bar_length(scale, frame),
        "layers": layers,
        "sources": [
            {"layer": r["layer_key"], "source": r["source"], "licence": r["licence"]} for r in base_sources
        ]
        + [
            {"layer": o["key"], "source": o["source"], "licence": o["licence"]}
            for o in overlays
            if o["source"]
        ],
        "boundary_source": boundary_source,
        "data_version": version["version"],
        "data_changed_at": version["changed_at"].date().isoformat() if version["changed_at"] else None,
        "any_approximate": any(f["approximate"] for layer in layers for f in layer["features"]),
    }


# The printable sheets' small maps: the smallest of these scales at which the place fits with its
# surroundings; a place known only as a point gets the commune and its neighbours (1:100,000).
CONTEXT_SCALES = (25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000)
CONTEXT_MIN_SCALE_POLYGON = 25_000
CONTEXT_MIN_SCALE_POINT = 100_000
CONTEXT_MARGIN = 2.5  # the frame spans this many times the place's extent: room for the context


async def context_map(
    conn: asyncpg.Connection,
    catalog: Catalog,
    focus: list[tuple[dict | None, dict]],
    width_mm: float = 180.0,
    height_mm: float = 95.0,
    lang: str = "vi",
) -> dict | None:
    """A small true-to-scale map of places (GeoJSON + style) in their context; None when none has a place.

    ``focus`` pairs a WGS 84 GeoJSON geometry with its symbol: ``{"key", "style", "name",
    "approximate", "class"}``; the base (boundaries, rivers, roads, settlements) is drawn around it.
    """
    geometries = [(g, meta) for g, meta in focus if g]
    if not geometries:
        return None
    texts = [orjson.dumps(g).decode() for g, _ in geometries]
    row = await conn.fetchrow(
        f"""
        SELECT ST_XMin(e) AS w, ST_YMin(e) AS s, ST_XMax(e) AS e, ST_YMax(e) AS n, bool_and(p) AS points
        FROM (SELECT ST_Extent(g)::geometry AS e, bool_and(GeometryType(g) LIKE '%POINT') AS p
              FROM (SELECT ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON(t), 4326), {VN2000_SRID}) AS g
                    FROM unnest($1::text[]) t) x) y
        GROUP BY e
        """,
        texts,
    )
    frame = Frame(width_mm, height_mm, 0, 0, width_mm, height_mm)
    w, s, e, n = row["w"], row["s"], row["e"], row["n"]
    needed = fit_scale((e - w) * CONTEXT_MARGIN, (n - s) * CONTEXT_MARGIN, frame)
    floor = CONTEXT_MIN_SCALE_POINT if row["points"] else CONTEXT_MIN_SCALE_POLYGON
    scale = next((c for c in CONTEXT_SCALES if c >= max(needed, floor)), needed)
    cx, cy = (w + e) / 2, (s + n) / 2
    half_w, half_h = width_mm * scale / 2000, height_mm * scale / 2000
    box = (cx - half_w, cy - half_h, cx + half_w, cy + half_h)
    layers: list[dict] = []
    for key in BASE_LAYERS:
        collection = catalog.collections.get(key)
        if collection is None:
            continue
        features, truncated = await _layer_paths(
            conn, collection.relation, collection.where, collection.columns, box, scale
        )
        layers.append({"key": key, "base": True, "features": features, "truncated": truncated})
    k = 1000.0 / scale
    rows = await conn.fetch(
        f"""
        SELECT o AS i, GeometryType(g) AS kind,
               ST_AsSVG(ST_Affine(g, $2, 0, 0, $2, -$3 * $2, -$6 * $2), 0, 2) AS svg
        FROM (SELECT o, ST_ClipByBox2D(ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON(t), 4326), {VN2000_SRID}),
                                       ST_MakeEnvelope($3, $4, $5, $6, {VN2000_SRID})) AS g
              FROM unnest($1::text[]) WITH ORDINALITY u(t, o)) x
        WHERE NOT ST_IsEmpty(g)
        ORDER BY o
        """,
        texts,
        k,
        *box,
    )
    for r in rows:
        _, meta = geometries[r["i"] - 1]
        kind = r["kind"].upper()
        layers.append(
            {
                "key": meta.get("key", "focus"),
                "base": False,
                "style": meta.get("style") or {},
                "legend": [],
                "truncated": False,
                "features": [
                    {
                        "kind": "point" if "POINT" in kind else "line" if "LINE" in kind else "polygon",
                        "svg": r["svg"],
                        "name": meta.get("name"),
                        "approximate": bool(meta.get("approximate")),
                        "class": meta.get("class"),
                    }
                ],
            }
        )
    return {
        "lang": lang,
        "scale": scale,
        "frame": frame,
        "grid": await _grid(conn, box, scale, frame),
        "scale_bar_m": scale_bar_length(scale, frame),
        "layers": layers,
    }
