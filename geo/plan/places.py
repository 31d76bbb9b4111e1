"""Planners place projects: a drawn or uploaded point or polygon becomes the project's digitised place.

One command (``place_project``): role → version → geometry checked → project updated → areas bumped →
that project alone re-screened → audit row with the geometry before and after, in one transaction.
Who placed a project and when live in the audit trail only (action ``project.geometry``): the record
reads them back from there (``placements``), so there is no second copy that could disagree with it.
"""

import asyncpg
import orjson

from geo.analysis.footprint import footprint_geometry
from geo.analysis.screening import PROVINCE_CODE, PROVINCE_MARGIN_M, screen_project_async
from geo.errors import InvalidParameter, NotFound, Unprocessable
from geo.plan.actor import Actor
from geo.plan.audit import record_audit
from geo.plan.projects import PLACE_ACTION, get_project, refuse_stale, require_version
from geo.plan.scope import PLACING_ROLES, require_role
from geo.store.text import check_json_text
from geo.store.versions import Area, bump_async
from geo.store.vocabulary import GeometryQuality

PLACE_TYPES = ("Point", "Polygon", "MultiPolygon")
# a sanity bound, not a legal one: the largest area in the plan's own lists is a 14,000 ha tourism
# area; a drawing larger than this is a slip (a district drawn instead of a site)
MAX_PLACE_AREA_HA = 20_000
NOTE_EN = "digitised in planview by a planner (who and when: the audit trail, 'placements' in the record)"
NOTE_VI = "do cán bộ quy hoạch số hóa trong planview (ai, khi nào: nhật ký kiểm tra)"

_CHECK = f"""
WITH g AS (SELECT ST_Force2D(ST_SetSRID(ST_GeomFromGeoJSON($1::text), 4326)) AS raw),
v AS (SELECT raw, ST_IsValid(raw) AS valid, ST_IsValidReason(raw) AS reason,
             CASE WHEN ST_IsValid(raw) THEN raw
                  WHEN GeometryType(raw) = 'POINT' THEN raw
                  ELSE ST_Multi(ST_CollectionExtract(ST_MakeValid(raw), 3)) END AS geom
      FROM g),
province AS (SELECT geom FROM admin_unit WHERE level = 'province' AND code = '{PROVINCE_CODE}')
SELECT v.valid, v.reason, ST_AsGeoJSON(v.geom, 7) AS geometry, ST_IsEmpty(v.geom) AS empty,
       GeometryType(v.geom) AS kind, ST_NPoints(v.geom) AS points,
       ST_Area(v.geom::geography) / 10000.0 AS area_ha,
       EXISTS (SELECT 1 FROM province p
               WHERE ST_DWithin(p.geom::geography, v.geom::geography, {PROVINCE_MARGIN_M})) AS near_province,
       EXISTS (SELECT 1 FROM province) AS has_province
FROM v
"""


def place_geometry(payload) -> dict:
    """A GeoJSON Feature, one-feature FeatureCollection or bare Point/Polygon/MultiPolygon in WGS 84.

    400 naming what is wrong (text PostgreSQL cannot store, non-finite or out-of-range numbers, another
    geometry type, an open ring, …); 413 beyond the vertex limit of drawn footprints.
    """
    check_json_text("geometry", payload)
    try:
        geometry = footprint_geometry(payload)
    except Unprocessable as exc:
        raise InvalidParameter(f"geometry: {exc}") from exc
    if geometry["type"] not in PLACE_TYPES:
        raise InvalidParameter(
            f"geometry: a project's place is a {', '.join(PLACE_TYPES[:-1])} or {PLACE_TYPES[-1]}; "
            f"got {geometry['type']}"
        )
    return geometry


async def _checked(conn: asyncpg.Connection, geometry: dict) -> dict:
    row = await conn.fetchrow(_CHECK, orjson.dumps(geometry).decode())
    if row["empty"] or row["kind"] not in ("POINT", "POLYGON", "MULTIPOLYGON"):
        raise InvalidParameter(
            f"geometry: not a usable place ({row['reason']}): nothing of its kind is left once repaired"
        )
    if row["kind"] != "POINT" and not row["area_ha"] > 0:
        raise InvalidParameter("geometry: the polygon has no area")
    if row["area_ha"] > MAX_PLACE_AREA_HA:
        raise InvalidParameter(
            f"geometry: the polygon covers {row['area_ha']:,.0f} ha; a project's place is at most "
            f"{MAX_PLACE_AREA_HA:,} ha (the plan's largest listed area is 14,000 ha)"
        )
    if row["has_province"] and not row["near_province"]:
        raise InvalidParameter(
            f"geometry: not in Bắc Kạn province or within {PROVINCE_MARGIN_M / 1000:g} km of it "
            "(coordinates are WGS 84 longitude, latitude)"
        )
    return {
        "geometry": orjson.loads(row["geometry"]),
        "repaired": None if row["valid"] else f"repaired with ST_MakeValid: {row['reason']}",
        "area_ha": round(row["area_ha"], 4),
    }


async def place_project(
    conn: asyncpg.Connection, actor: Actor, project_id: str, payload, expected_version: int | None
) -> dict:
    """Set a project's place from a drawing or an uploaded GeoJSON (planners and admins).

    401 anonymous, 403 other roles, 404 unknown project, 428 without the version read, 412 with the
    current record when stale, 400 naming what is wrong with the geometry; nothing is written then.
    Returns the project record with ``placement`` (repaired?, area, conflicts found).
    """
    require_role(actor, *PLACING_ROLES, what=f"placing project {project_id} on the map")
    geometry = place_geometry(payload)
    require_version(project_id, expected_version)
    async with conn.transaction():
        before = await conn.fetchrow(
            """SELECT version, geometry_quality, location_level, geometry_note, geometry_note_vi,
                      ST_AsGeoJSON(geom, 7)::jsonb AS geometry
               FROM project WHERE project_id = $1 FOR UPDATE""",
            project_id,
        )
        if before is None:
            raise NotFound(f"project {project_id!r} does not exist")
        if expected_version != before["version"]:
            await refuse_stale(conn, project_id, expected_version, before["version"])
        place = await _checked(conn, geometry)
        after = await conn.fetchrow(
            """UPDATE project SET geom = ST_SetSRID(ST_GeomFromGeoJSON($2::text), 4326),
                      geometry_quality = $3, location_level = 'site', geometry_note = $4,
                      geometry_note_vi = $5, updated_at = now(), version = version + 1
               WHERE project_id = $1
               RETURNING version, geometry_quality, location_level, geometry_note, geometry_note_vi""",
            project_id,
            orjson.dumps(place["geometry"]).decode(),
            GeometryQuality.digitised.value,
            NOTE_EN,
            NOTE_VI,
        )
        # the record and its ETag (projects) and the place screening and the map read (project_places);
        # bumped before screening so the stored results carry the new place's version
        data_version = await bump_async(
            conn, (Area.projects, Area.project_places), f"place of {project_id} digitised by {actor.username}"
        )
        conflicts = await screen_project_async(conn, project_id)
        await record_audit(
            conn,
            actor,
            PLACE_ACTION,
            "project",
            project_id,
            {k: before[k] for k in before.keys()},
            {
                **dict(after),
                "geometry": place["geometry"],
                "repaired": place["repaired"],
                "area_ha": place["area_ha"],
                "conflicts": conflicts,
                "data_version": data_version,
            },
        )
    record = await get_project(conn, project_id)
    record["placement"] = {"repaired": place["repaired"], "area_ha": place["area_ha"], "conflicts": conflicts}
    return record
