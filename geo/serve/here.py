"""What is here: the plan's features, zones, projects and admin units (old and 2025) at one point."""

import math

import asyncpg
import orjson

from geo.errors import InvalidParameter
from geo.store.crs import VN2000_SRID
from geo.store.units import PRE_REFORM_END, REFORM_START

PROVINCE_CODE = "06"  # Bắc Kạn's GSO code, retired by the 2025 reform
NEW_UNITS_FROM = REFORM_START.isoformat()
LAST_PRE_REFORM_DAY = PRE_REFORM_END.isoformat()
DEFAULT_TOLERANCE_M = 500.0
FEATURES_PER_LAYER = 20

# Point-like and line-like features are "here" when within the tolerance; polygons when they contain
# the point. The bounding-box prefilter (&&) lets each layer's GiST index do the work.
_POINT = """
    SELECT ST_SetSRID(ST_MakePoint($1, $2), 4326) AS g,
           ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography AS gg,
           ST_Expand(ST_SetSRID(ST_MakePoint($1, $2), 4326), $4::float8, $5::float8) AS env
"""

_NEAR = """
    t.geom && p.env AND (
        (ST_Dimension(t.geom) = 2 AND ST_Intersects(t.geom, p.g))
        OR (ST_Dimension(t.geom) < 2 AND ST_DWithin(t.geom::geography, p.gg, $3::float8)))
"""

_DISTANCE = """
    CASE WHEN ST_Dimension(t.geom) = 2 THEN 0::float8
         ELSE round(ST_Distance(t.geom::geography, p.gg)::numeric, 1)::float8 END
"""

_CATALOG = """
SELECT s.sheet_id, s.number, s.title_vi, s.title_en, s.is_group,
       l.layer_key, l.title_vi AS layer_title_vi, l.title_en AS layer_title_en,
       CASE WHEN l.table_name IS NOT NULL
                 AND to_regclass('layers.' || quote_ident(l.table_name)) IS NOT NULL
            THEN quote_ident(l.table_name) END AS relation,
       row_number() OVER (ORDER BY s.number, l.sort_order, l.layer_key) AS ord
FROM map_sheet s
LEFT JOIN sheet_layer l ON l.sheet_id = s.sheet_id
ORDER BY s.number, l.sort_order, l.layer_key
"""

_ADMIN = f"""
WITH p AS ({_POINT}),
province AS (
    SELECT u.code, u.name, u.full_name FROM admin_unit u, p
    WHERE u.level = 'province' AND u.code = '{PROVINCE_CODE}' AND ST_Intersects(u.geom, p.g)
    LIMIT 1
),
district AS (
    SELECT u.code, u.name, u.full_name FROM admin_unit u, p
    WHERE u.level = 'district' AND (u.valid_from IS NULL OR u.valid_from < DATE '{NEW_UNITS_FROM}')
      AND ST_Intersects(u.geom, p.g)
    ORDER BY u.valid_to DESC NULLS FIRST
    LIMIT 1
),
commune AS (
    SELECT u.code, u.name, u.full_name, u.unit_type, u.parent_code, u.status_2025, u.valid_from, u.valid_to,
           u.source, u.geometry_quality, u.geometry_note, u.geometry_note_vi
    FROM admin_unit u, p
    WHERE u.level = 'commune' AND (u.valid_from IS NULL OR u.valid_from < DATE '{NEW_UNITS_FROM}')
      AND ST_Intersects(u.geom, p.g)
    ORDER BY u.valid_to DESC NULLS FIRST, u.valid_from DESC NULLS LAST, u.code
    LIMIT 1
),
-- the 2009 commune here when the 2020 re-arrangement (NQ 855/NQ-UBTVQH14) ended it, e.g. former Cao Trĩ
commune_2009 AS (
    SELECT u.code, u.name, u.full_name, u.status_2025, u.valid_to, u.geometry_note, u.geometry_note_vi
    FROM admin_unit u, p
    WHERE u.level = 'commune' AND u.valid_from IS NULL AND u.valid_to < DATE '{LAST_PRE_REFORM_DAY}'
      AND ST_Intersects(u.geom, p.g)
    ORDER BY u.code
    LIMIT 1
),
unit_2025 AS (
    SELECT x.new_code AS code, x.new_name AS name, x.new_type AS type, x.new_province AS province,
           x.effective_from, x.source, x.confidence
    FROM admin_crosswalk x JOIN commune c ON x.old_code = c.code
     AND x.old_period = CASE WHEN c.valid_to >= DATE '{LAST_PRE_REFORM_DAY}' THEN '2020-2025' ELSE '2009' END
    ORDER BY x.new_code
)
SELECT (SELECT version FROM data_version WHERE id = 1) AS data_version,
       -- the national grid Vietnamese planners read coordinates in (TM-3 zone of Bắc Kạn)
       (SELECT jsonb_build_object('crs', 'EPSG:{VN2000_SRID}', 'x_north_m', round(ST_Y(v.q)::numeric, 2),
                                  'y_east_m', round(ST_X(v.q)::numeric, 2))
          FROM (SELECT ST_Transform(p.g, {VN2000_SRID}) AS q FROM p) v) AS vn2000,
       (SELECT to_jsonb(province) FROM province) AS province,
       (SELECT to_jsonb(district) FROM district) AS district,
       (SELECT to_jsonb(commune) FROM commune) AS commune,
       (SELECT to_jsonb(commune_2009) FROM commune_2009) AS commune_2009,
       (SELECT jsonb_agg(to_jsonb(unit_2025)) FROM unit_2025) AS units_2025,
       (SELECT jsonb_agg(z ORDER BY z.distance_m, z.id) FROM (
            SELECT t.zone_id AS id, t.name_vi AS name, t.kind, t.type_detail, t.status, t.status_vi,
                   t.district_name,
                   t.commune_name, t.area_planned_ha::float8 AS area_planned_ha, t.geometry_quality,
                   t.location_level, t.geometry_note, t.geometry_note_vi, t.source_url AS source,
                   {_DISTANCE} AS distance_m
            FROM zone t, p WHERE {_NEAR}) z) AS zones,
       (SELECT jsonb_agg(j ORDER BY j.distance_m, j.id) FROM (
            SELECT t.project_id AS id, t.name_vi AS name, t.sector, t.status,
                   t.progress_pct::float8 AS progress_pct,
                   t.districts_text, t.geometry_quality, t.location_level,
                   t.geometry_note, t.geometry_note_vi,
                   t.source_url AS source, {_DISTANCE} AS distance_m
            FROM project t, p WHERE {_NEAR}) j) AS projects,
       -- places the sources give only by district: no site to click on, so name them for the district
       (SELECT jsonb_agg(jsonb_build_object('kind', u.kind, 'id', u.id, 'name', u.name,
                                            'location_level', u.location_level, 'status', u.status,
                                            'status_vi', u.status_vi,
                                            'location_note', 'district only, no location published',
                                            'location_note_vi', 'chỉ biết huyện, chưa công bố vị trí')
                         ORDER BY u.kind DESC, u.id)
          -- a zone's status is the source's text; a project's is the status vocabulary (the viewer labels it)
          FROM (SELECT 'zone' AS kind, z.zone_id AS id, z.name_vi AS name, z.location_level, z.status,
                       z.status_vi
                  FROM zone z, district d WHERE z.geom IS NULL AND z.district_code = d.code
                UNION ALL
                SELECT 'project', j.project_id, j.name_vi, j.location_level, j.status, NULL
                  FROM project j, district d
                 WHERE j.geom IS NULL AND NOT j.is_category AND d.code = ANY(j.district_codes)) u
       ) AS unmapped_in_district,
       -- the sheets and their layers, in the same round trip (the layers' query is built from them)
       (SELECT json_agg(c ORDER BY c.ord) FROM ({_CATALOG}) c) AS catalog
"""

_LAYER = """
(SELECT {index}::int AS layer_index, t.fid::text AS fid, t.name,
        jsonb_strip_nulls(t.properties || jsonb_build_object(
            'feature_id', t.feature_id, 'landuse_code', t.landuse_code, 'landuse_name', t.landuse_name,
            'source', t.source, 'geometry_quality', t.geometry_quality)) AS properties,
        {distance} AS distance_m
 FROM layers.{relation} t, p
 WHERE {near}
 ORDER BY distance_m, t.fid::text
 LIMIT {per_layer})
"""


def check_point(lon: float | None, lat: float | None) -> tuple[float, float]:
    """The point as (lon, lat) in WGS 84; 400 when missing, not finite or out of range."""
    if lon is None or lat is None:
        raise InvalidParameter("lon and lat are both required (WGS 84 degrees, e.g. lon=105.62&lat=22.41)")
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise InvalidParameter("lon and lat must be finite numbers")
    if not -180 <= lon <= 180:
        raise InvalidParameter(f"lon must be between -180 and 180, got {lon}")
    if not -90 <= lat <= 90:
        raise InvalidParameter(f"lat must be between -90 and 90, got {lat}")
    return lon, lat


def _search_box(lat: float, tolerance_m: float) -> tuple[float, float]:
    """Half-width and half-height in degrees of a box that surely holds the tolerance circle."""
    dy = tolerance_m / 110_500 * 1.05
    dx = tolerance_m / (111_320 * max(math.cos(math.radians(lat)), 0.01)) * 1.05
    return dx, dy


def _status_2025_vi(status: str | None) -> str | None:
    """The dataset's English words for a 2009 commune's fate in 2025, in Vietnamese."""
    if not status:
        return None
    if status == "unchanged":
        return "không đổi"
    if status == "abolished (merged 2020)":
        return "đã giải thể (sáp nhập năm 2020)"
    if status.startswith("renamed/merged: "):
        return "đổi tên/sáp nhập: " + status.removeprefix("renamed/merged: ")
    if status.startswith("unit of 2020-02-01 – "):
        return "đơn vị từ 01/02/2020 đến 30/06/2025 (NQ 855/NQ-UBTVQH14)"
    return None


def _unit_2025(commune: dict | None, units: list | None) -> tuple[dict | None, str | None, str | None]:
    """The 2025 unit from the crosswalk, or None; with the reason in English and Vietnamese."""
    if units:
        if len(units) == 1:
            return units[0], None, None
        names = ", ".join(u["name"] for u in units)
        return (
            units[0],
            f"the old commune was split between several 2025 units: {names}",
            f"xã cũ được chia cho nhiều đơn vị năm 2025: {names}",
        )
    if commune is None:
        return (
            None,
            "no pre-2025 commune polygon contains this point, so its 2025 unit is unknown",
            "không có xã (trước 2025) nào chứa điểm này nên chưa biết đơn vị năm 2025",
        )
    status = commune.get("status_2025") or ""
    name = commune.get("full_name") or commune.get("name")
    if "abolished" in status.lower() or (commune.get("valid_to") or "9999") < PRE_REFORM_END.isoformat():
        return (
            None,
            f"{name} was abolished in the 2020 merger ({status or 'no longer a unit in 2025'}); the 2025 "
            "crosswalk starts from the units of 2020–2025 and the sources do not say which one absorbed "
            "this area, so no 2025 unit is given",
            f"{name} đã giải thể khi sáp nhập năm 2020; bảng chuyển đổi 2025 bắt đầu từ các đơn vị "
            "2020–2025 và nguồn không nêu đơn vị nào nhận vùng này, nên không ghi đơn vị năm 2025",
        )
    return (
        None,
        f"{name} ({commune['code']}) has no row in the 2025 crosswalk",
        f"{name} ({commune['code']}) chưa có trong bảng chuyển đổi 2025",
    )


async def what_is_here(
    conn: asyncpg.Connection, lon: float | None, lat: float | None, tolerance_m: float = DEFAULT_TOLERANCE_M
) -> dict:
    """Everything the plan shows at (lon, lat): admin units old and new, zones, projects, sheet features."""
    lon, lat = check_point(lon, lat)
    dx, dy = _search_box(lat, tolerance_m)
    args = (lon, lat, tolerance_m, dx, dy)
    admin = await conn.fetchrow(_ADMIN, *args)
    commune = admin["commune"]
    if commune is not None:
        commune["status_2025_vi"] = _status_2025_vi(commune.get("status_2025"))
    commune_2009 = admin["commune_2009"]
    if commune_2009 is not None:
        commune_2009["status_2025_vi"] = _status_2025_vi(commune_2009.get("status_2025"))
    unit_2025, unit_note, unit_note_vi = _unit_2025(commune, admin["units_2025"])
    result: dict = {
        "point": [lon, lat],
        "vn2000": admin["vn2000"],
        "tolerance_m": tolerance_m,
        "province": admin["province"],
        "district": admin["district"],
        "commune": commune,
        "commune_2009": commune_2009,
        "unit_2025": unit_2025,
        "unit_2025_note": unit_note,
        "unit_2025_note_vi": unit_note_vi,
        "zones": admin["zones"] or [],
        "projects": admin["projects"] or [],
        "unmapped_in_district": admin["unmapped_in_district"] or [],
        "sheets": [],
        "data_version": admin["data_version"],
    }
    if admin["province"] is None:
        result["note"] = "outside Bắc Kạn: the plan covers the province of Bắc Kạn (before 1 July 2025) only"
        result["unit_2025_note"] = result["unit_2025_note_vi"] = None
        return result

    sheets: dict[str, dict] = {}
    layers: list[tuple[dict, str, str, str, str]] = []  # sheet, layer key, titles vi/en, relation
    catalog = admin["catalog"]
    for row in orjson.loads(catalog) if isinstance(catalog, str) else catalog or ():
        sheet = sheets.get(row["sheet_id"])
        if sheet is None:
            sheet = sheets[row["sheet_id"]] = {
                "sheet_id": row["sheet_id"],
                "number": row["number"],
                "title_vi": row["title_vi"],
                "title_en": row["title_en"],
                "is_group": row["is_group"],
                "loaded": False,
                "features": [],
            }
        if row["relation"]:
            sheet["loaded"] = True
            layers.append(
                (sheet, row["layer_key"], row["layer_title_vi"], row["layer_title_en"], row["relation"])
            )

    if layers:
        union = " UNION ALL ".join(
            _LAYER.format(
                index=i, relation=relation, distance=_DISTANCE, near=_NEAR, per_layer=FEATURES_PER_LAYER
            )
            for i, (_, _, _, _, relation) in enumerate(layers)
        )
        rows = await conn.fetch(f"WITH p AS ({_POINT}) {union}", *args)
        for r in rows:
            sheet, layer_key, title_vi, title_en, _ = layers[r["layer_index"]]
            sheet["features"].append(
                {
                    "collection": layer_key,
                    "layer_title_vi": title_vi,
                    "layer_title_en": title_en,
                    "fid": r["fid"],
                    "name": r["name"],
                    "properties": r["properties"],
                    "distance_m": r["distance_m"],
                }
            )
    result["sheets"] = list(sheets.values())
    return result
