"""Place search across admin units (old and 2025), zones, projects and settlements, diacritics-blind."""

import re

import asyncpg

from geo.errors import InvalidParameter
from geo.serve.here import PROVINCE_CODE
from geo.store.crs import VN2000_SRID
from geo.store.text import check_text
from geo.store.units import REFORM_START

MAX_QUERY_CHARS = 100
MAX_LIMIT = 50
NEW_UNITS_FROM = REFORM_START.isoformat()

# Order of kinds among equally good matches: bigger, more official things first.
KIND_ORDER = ("province", "district", "commune", "commune_2025", "zone", "project", "settlement")

_SPACES = re.compile(r"\s+")
# A pair of coordinates typed or pasted into the search box: two numbers, optionally labelled X/Y/N/E,
# separated by spaces, semicolons or ", ". A number may be written the Vietnamese way (2.478.123,45),
# the English way (2,478,123.45) or plain (2478123.45 / 2478123,45).
_COORDINATE_LABEL = re.compile(r"VN-?2000|WGS\s*-?84|\b[XYNE]\s*[=:]?\s*|°", re.IGNORECASE)
_COORDINATE_SEPARATOR = re.compile(r"[\s;]+|,\s+")
_PLAIN_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_GROUPED_VI = re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?")
_GROUPED_EN = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")

# Each candidate: kind, id, name, full_name, name_ascii, district, valid, keys (codes and ids, matched
# whole), alt_names (matched anywhere, ranked last), source, geometry_quality, geom, and fn / ff: name
# and full_name folded (stored by migration 0010: folding ~500 names per query was 12 of its 15 ms).
_ADMIN_AND_PLAN = f"""
    SELECT u.level AS kind, u.code AS id, u.name, u.full_name, u.name_ascii,
           d.name AS district,
           -- 'old' = ended with the 2025 reform (or before); 'new' = valid on the map from the reform date
           CASE WHEN u.valid_to < DATE '{NEW_UNITS_FROM}' THEN 'old' ELSE 'new' END AS valid,
           ARRAY[u.code] AS keys, NULL::text[] AS alt_names, u.source, u.geometry_quality, u.geom,
           u.name_fold AS fn, u.full_name_fold AS ff
    FROM admin_unit u
    LEFT JOIN admin_unit d
           ON u.level = 'commune' AND d.level = 'district' AND d.code = u.parent_code
          AND (d.valid_from IS NULL OR d.valid_from < DATE '{NEW_UNITS_FROM}')
    WHERE u.level IN ('province', 'district')
       OR (u.level = 'commune' AND (u.valid_from IS NULL OR u.valid_from < DATE '{NEW_UNITS_FROM}'))
    UNION ALL
    SELECT 'commune_2025', u.code, u.name, u.full_name, u.name_ascii,
           (SELECT string_agg(DISTINCT x.old_district, '; ')
              FROM admin_crosswalk x WHERE x.new_code = u.code),
           'new', ARRAY[u.code], NULL, u.source, u.geometry_quality, u.geom, u.name_fold, u.full_name_fold
    FROM admin_unit u
    WHERE u.level = 'commune' AND u.valid_from >= DATE '{NEW_UNITS_FROM}'
    UNION ALL
    -- 2025 units known only from the crosswalk (no admin_unit row): still findable, without geometry
    SELECT DISTINCT ON (x.new_code) 'commune_2025', x.new_code, x.new_name, x.new_name, x.new_name_fold,
           x.old_district, 'new', ARRAY[x.new_code], NULL, x.source, 'none', NULL::geometry,
           x.new_name_fold, x.new_name_fold
    FROM admin_crosswalk x
    WHERE NOT EXISTS (
        SELECT 1 FROM admin_unit u
        WHERE u.code = x.new_code AND u.level = 'commune' AND u.valid_from >= DATE '{NEW_UNITS_FROM}'
    )
    UNION ALL
    SELECT 'zone', z.zone_id, z.name_vi, z.name_vi, z.name_ascii, z.district_name, NULL,
           ARRAY[z.zone_id], NULL, z.source_url, z.geometry_quality, z.geom, z.name_fold, z.name_fold
    FROM zone z
    UNION ALL
    SELECT 'project', p.project_id, p.name_vi, p.name_vi, p.name_ascii, p.districts_text, NULL,
           ARRAY[p.project_id], NULL, p.source_url, p.geometry_quality, p.geom, p.name_fold, p.name_fold
    FROM project p
"""

# an imported layer has no stored folds: its names (a few hundred settlements) are folded per query
_SETTLEMENTS = """
    UNION ALL
    SELECT 'settlement', s.fid::text, s.name, s.name, coalesce(s.properties->>'name_ascii', n.fold),
           s.properties->>'district_name', NULL, ARRAY[s.feature_id],
           ARRAY(SELECT jsonb_array_elements_text(
                   CASE WHEN jsonb_typeof(s.properties->'alt_names') = 'array'
                        THEN s.properties->'alt_names' ELSE '[]'::jsonb END)),
           s.source, s.geometry_quality, s.geom, n.fold, n.fold
    FROM layers.{table} s CROSS JOIN LATERAL (SELECT fold_vi(s.name) AS fold) n
"""

_RANKED = """
    WITH needle AS MATERIALIZED (SELECT fold_vi($1::text) AS q),
    candidate AS ({candidates}),
    matched AS (
        SELECT f.*,
               CASE
                   -- keys are codes and ids (ASCII): lower() is their fold
                   WHEN f.fn = n.q OR f.ff = n.q
                        OR EXISTS (SELECT 1 FROM unnest(f.keys) k WHERE lower(k) = n.q)
                        OR EXISTS (SELECT 1 FROM unnest(f.alt_names) a WHERE fold_vi(a) = n.q) THEN 0
                   WHEN starts_with(f.fn, n.q) OR starts_with(f.ff, n.q) THEN 1
                   WHEN strpos(f.fn, n.q) > 0 OR strpos(f.ff, n.q) > 0 THEN 2
                   WHEN EXISTS (SELECT 1 FROM unnest(f.alt_names) a WHERE strpos(fold_vi(a), n.q) > 0) THEN 3
               END AS match_rank
        FROM candidate f, needle n
    )
    SELECT m.kind, m.id, m.name, m.full_name, m.name_ascii, m.district, m.valid, m.match_rank,
           m.source, m.geometry_quality,
           CASE WHEN m.geom IS NULL THEN NULL ELSE ARRAY[
               round(ST_XMin(m.geom)::numeric, 6)::float8, round(ST_YMin(m.geom)::numeric, 6)::float8,
               round(ST_XMax(m.geom)::numeric, 6)::float8, round(ST_YMax(m.geom)::numeric, 6)::float8]
           END AS bbox,
           CASE WHEN m.geom IS NULL THEN NULL ELSE ARRAY[
               round(ST_X(ST_Centroid(m.geom))::numeric, 6)::float8,
               round(ST_Y(ST_Centroid(m.geom))::numeric, 6)::float8]
           END AS centroid
    FROM matched m
    WHERE m.match_rank IS NOT NULL
    ORDER BY m.match_rank, array_position($2::text[], m.kind), m.fn, m.id
    LIMIT $3
"""


def _number_readings(token: str) -> set[float]:
    """Every value ``token`` can mean: "503.678" is 503.678 or, grouped the Vietnamese way, 503678."""
    readings = set()
    if _PLAIN_NUMBER.fullmatch(token):
        readings.add(float(token.replace(",", ".")))
    if _GROUPED_VI.fullmatch(token):
        readings.add(float(token.replace(".", "").replace(",", ".")))
    if _GROUPED_EN.fullmatch(token):
        readings.add(float(token.replace(",", "")))
    return readings


def parse_coordinates(text: str) -> tuple[int, float, float] | None:
    """(srid, x, y) when ``text`` is a coordinate pair: WGS 84 degrees or VN-2000 TM-3 metres, either order.

    VN-2000 is written as Vietnamese surveyors do, X (north, ~2,400,000 m here) then Y (east, ~500,000 m),
    but the two are told apart by size, so the order does not matter; so are latitude and longitude. The
    sizes also decide what an ambiguous number means (a decimal point or a thousands separator).
    """
    cleaned = _COORDINATE_LABEL.sub(" ", text)
    tokens = [t for t in _COORDINATE_SEPARATOR.split(cleaned) if t]
    if len(tokens) == 1 and tokens[0].count(",") == 1:  # "22.41,105.62"
        tokens = tokens[0].split(",")
    if len(tokens) != 2:
        return None
    for a in _number_readings(tokens[0]):
        for b in _number_readings(tokens[1]):
            for first, second in ((a, b), (b, a)):
                if 2_000_000 <= first <= 2_800_000 and 200_000 <= second <= 800_000:
                    return VN2000_SRID, second, first  # x = easting, y = northing
                if 100 <= first <= 112 and 6 <= second <= 25:
                    return 4326, first, second  # lon, lat
    return None


async def coordinate_hit(conn: asyncpg.Connection, text: str) -> dict | None:
    """The search result of a typed coordinate pair (converted in PostGIS), or None if it is not one."""
    parsed = parse_coordinates(text)
    if parsed is None:
        return None
    srid, x, y = parsed
    row = await conn.fetchrow(
        f"""
        WITH p AS (SELECT ST_Transform(ST_SetSRID(ST_MakePoint($2, $3), $1), 4326) AS g)
        SELECT round(ST_X(p.g)::numeric, 7)::float8 AS lon, round(ST_Y(p.g)::numeric, 7)::float8 AS lat,
               EXISTS (SELECT 1 FROM admin_unit u WHERE u.level = 'province' AND u.code = '{PROVINCE_CODE}'
                       AND ST_Intersects(u.geom, p.g)) AS in_province
        FROM p
        """,
        srid,
        x,
        y,
    )
    if srid == VN2000_SRID:
        name = f"VN-2000 X = {y:.2f} m, Y = {x:.2f} m"
    else:
        name = f"WGS 84 {row['lat']:.6f}, {row['lon']:.6f}"
    return {
        "kind": "coordinate",
        "id": f"EPSG:{srid}",
        "name": name,
        "full_name": name,
        "name_ascii": name,
        "district": None,
        "valid": None,
        "match": "coordinate",
        "source": None,
        "geometry_quality": "exact",
        "in_province": row["in_province"],
        "bbox": [row["lon"], row["lat"], row["lon"], row["lat"]],
        "centroid": [row["lon"], row["lat"]],
    }


def normalise_query(q: str | None) -> str:
    """The search text trimmed and with runs of spaces collapsed; 400 when empty or too long."""
    text = _SPACES.sub(" ", check_text("q", q) or "").strip()
    if not text:
        raise InvalidParameter("q: give some text to search for (a place, zone or project name)")
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidParameter(f"q: at most {MAX_QUERY_CHARS} characters, got {len(text)}")
    return text


async def _settlement_table(conn: asyncpg.Connection) -> str | None:
    """The loaded table of the settlements layer, if there is one."""
    return await conn.fetchval(
        """
        SELECT quote_ident(l.table_name) FROM sheet_layer l
        WHERE l.layer_key = 'settlements' AND l.table_name IS NOT NULL
          AND to_regclass('layers.' || quote_ident(l.table_name)) IS NOT NULL
        """
    )


async def search_places(conn: asyncpg.Connection, q: str | None, limit: int = 10) -> list[dict]:
    """Places, zones and projects whose name contains ``q`` (with or without diacritics), best first."""
    text = normalise_query(q)
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidParameter(f"limit: must be between 1 and {MAX_LIMIT}, got {limit}")
    coordinate = await coordinate_hit(conn, text)
    if coordinate is not None:
        return [coordinate]
    candidates = _ADMIN_AND_PLAN
    settlements = await _settlement_table(conn)
    if settlements:
        candidates += _SETTLEMENTS.format(table=settlements)
    rows = await conn.fetch(_RANKED.format(candidates=candidates), text, list(KIND_ORDER), limit)
    return [
        {
            "kind": r["kind"],
            "id": r["id"],
            "name": r["name"],
            "full_name": r["full_name"],
            "name_ascii": r["name_ascii"],
            "district": r["district"],
            "valid": r["valid"],
            "match": ("exact", "prefix", "contains", "alternate name")[r["match_rank"]],
            "source": r["source"],
            "geometry_quality": r["geometry_quality"],
            "bbox": r["bbox"],
            "centroid": r["centroid"],
        }
        for r in rows
    ]
