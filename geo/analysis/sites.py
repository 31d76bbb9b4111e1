"""Site finder for investors: industrial parks, clusters and tourism areas with free land, ranked."""

import orjson

from geo.analysis.constraints import SCREEN_SRID
from geo.analysis.screening import (
    PROVINCE_CODE,
    zone_blocking_conflicts,
)
from geo.errors import InvalidParameter, NotFound
from geo.serve.catalog import Catalog
from geo.serve.printmap import context_map
from geo.store.units import resolve_district
from geo.store.wording import note_vi

KINDS = ("KCN", "CCN", "tourism")
SEAT_DISTRICT = "058"  # Thành phố Bắc Kạn, the province seat

# Distances are measured in VN-2000 / TM-3 106-30 metres from the zone's footprint. A zone without a
# published place has no distance (NULL), never 0.
SITES_SQL = f"""
WITH seat AS (
    SELECT coalesce(
        (SELECT ST_Transform(geom, {SCREEN_SRID}) FROM layers.settlements
         WHERE properties->>'role' = 'province capital' LIMIT 1),
        (SELECT ST_Transform(ST_PointOnSurface(geom), {SCREEN_SRID}) FROM admin_unit
         WHERE level = 'district' AND code = '{SEAT_DISTRICT}' LIMIT 1)) AS geom
),
roads AS (
    SELECT ST_Transform(geom, {SCREEN_SRID}) AS geom, coalesce(properties->>'ref_source', name) AS ref
    FROM layers.national_roads
)
SELECT z.zone_id, z.kind, z.type_detail, z.name_vi, z.name_ascii, z.status, z.status_vi, z.plan_role,
       z.district_code, z.district_name, z.commune_name, z.commune_new_2025,
       z.area_planned_ha::float8 AS area_planned_ha, z.area_other_ha::float8 AS area_other_ha,
       z.area_occupied_ha::float8 AS area_occupied_ha, z.area_available_ha::float8 AS area_available_ha,
       z.area_notes, z.occupancy_note, z.occupancy_note_vi, z.decisions, z.investor, z.capex_vnd_billion,
       z.plan_horizon,
       z.source_url, z.source_url_2, z.confidence, z.notes,
       z.geometry_quality, z.location_level, z.geometry_note, z.geometry_note_vi,
       round(ST_Distance(zg.geom, (SELECT geom FROM seat))::numeric / 1000, 2)::float8 AS distance_city_km,
       (SELECT round(min(ST_Distance(zg.geom, r.geom))::numeric / 1000, 2)::float8 FROM roads r)
           AS distance_national_road_km,
       (SELECT r.ref FROM roads r WHERE zg.geom IS NOT NULL ORDER BY ST_Distance(zg.geom, r.geom) LIMIT 1)
           AS nearest_national_road,
       CASE WHEN z.geom IS NOT NULL THEN ST_AsGeoJSON(ST_PointOnSurface(z.geom), 6)::text END AS point,
       CASE WHEN z.geom IS NOT NULL THEN ST_AsGeoJSON(z.geom, 6)::text END AS geometry,
       (SELECT coalesce(array_agg(p.project_id ORDER BY p.project_id), '{{}}') FROM project p
        WHERE p.zone_id = z.zone_id) AS projects
FROM zone z
CROSS JOIN LATERAL (SELECT ST_Transform(z.geom, {SCREEN_SRID}) AS geom) zg
WHERE ($1::text[] IS NULL OR z.kind = ANY($1))
  AND ($2::text IS NULL OR z.district_code = $2)
  AND ($3::text IS NULL OR z.zone_id = $3)
ORDER BY z.zone_id
"""


CONFIDENCE_VI = {"high": "cao", "medium": "trung bình", "low": "thấp"}
KIND_VI = {"KCN": "khu công nghiệp", "CCN": "cụm công nghiệp", "tourism": "khu, điểm du lịch"}


def _unknown(value):
    return value if value is not None else "unknown"


def _rank(site: dict) -> tuple[float, list[str], list[str]]:
    """A score (higher is better) and the reasons that made it, in English and in Vietnamese."""
    score, why_en, why_vi = 0.0, [], []

    def say(en: str, vi: str) -> None:
        why_en.append(en)
        why_vi.append(vi)

    available = site["area_available_ha"]
    if available is None:
        say(
            "available area not published (unknown) — ask the management board",
            "diện tích còn trống chưa công bố — liên hệ ban quản lý",
        )
    else:
        score += min(available, 300) / 10
        say(f"{available:g} ha available", f"còn trống {available:g} ha")
    if site["area_planned_ha"] is not None:
        say(f"{site['area_planned_ha']:g} ha planned", f"quy hoạch {site['area_planned_ha']:g} ha")
    road = site["distance_national_road_km"]
    if road is None:
        say(
            "distance to a national road unknown (no published location)",
            "chưa rõ khoảng cách tới quốc lộ (vị trí chưa công bố)",
        )
    else:
        score += max(0.0, 20 - road)
        ref = site["nearest_national_road"] or "national road"
        say(
            f"{road:g} km from {ref} (only QL3 is mapped: other national roads may be closer)",
            f"cách {ref} {road:g} km (mới có dữ liệu QL3: quốc lộ khác có thể gần hơn)",
        )
    city = site["distance_city_km"]
    if city is None:
        say(
            "distance to Bắc Kạn city unknown (no published location)",
            "chưa rõ khoảng cách tới TP Bắc Kạn (vị trí chưa công bố)",
        )
    else:
        score += max(0.0, 40 - city) / 2
        say(f"{city:g} km from Bắc Kạn city", f"cách TP Bắc Kạn {city:g} km")
    status = (site["status"] or "").lower()
    if "existing" in status or "operat" in status:
        score += 5
        say("already operating (infrastructure in place)", "đang hoạt động (đã có hạ tầng)")
    elif status:
        say(f"status: {site['status']}", f"tình trạng: {site['status_vi'] or site['status']}")
    if site["blocking_conflicts"]:
        score -= 50
        names = ", ".join(
            sorted({c["constraint_name"] or c["rule_code"] for c in site["blocking_conflicts"]})
        )
        say(f"blocking conflict with {names}", f"xung đột chặn với {names}")
    if site["geometry_quality"] == "approximate":
        say(
            "footprint approximate (placed in its commune): distances are indicative",
            "ranh giới gần đúng (đặt trong xã): khoảng cách chỉ mang tính tham khảo",
        )
    return round(score, 2), why_en, why_vi


def _site(row: dict, blocks: dict[str, list[dict]]) -> dict:
    site = dict(row)
    site["projects"] = list(site["projects"] or [])
    site["point"] = orjson.loads(site["point"]) if site["point"] else None
    site["geometry"] = orjson.loads(site["geometry"]) if site["geometry"] else None
    site["blocking_conflicts"] = blocks.get(site["zone_id"], [])
    site["available"] = _unknown(site["area_available_ha"])
    site["occupied"] = _unknown(site["area_occupied_ha"])
    site["score"], site["why"], site["why_vi"] = _rank(site)
    for key in ("area_notes", "plan_horizon", "investor", "commune_name"):
        site[f"{key}_vi"] = note_vi(site.get(key))
    site["confidence_vi"] = CONFIDENCE_VI.get(site.get("confidence"), site.get("confidence"))
    site["kind_vi"] = KIND_VI.get(site["kind"], site["kind"])
    return site


async def find_sites(
    conn,
    min_available_ha: float | None = None,
    district: str | None = None,
    kind: list[str] | None = None,
    max_road_km: float | None = None,
    max_city_km: float | None = None,
    no_blocking_conflict: bool = False,
) -> dict:
    """Zones matching the filters, best first, with why; the excluded ones with the reason."""
    for value, name in (
        (min_available_ha, "min_available_ha"),
        (max_road_km, "max_road_km"),
        (max_city_km, "max_city_km"),
    ):
        if value is not None and value < 0:
            raise InvalidParameter(f"{name} must be ≥ 0 (got {value})")
    if kind:
        unknown = [k for k in kind if k not in KINDS]
        if unknown:
            raise InvalidParameter(f"kind must be among {', '.join(KINDS)} (got {', '.join(unknown)})")
    district_code = await resolve_district(conn, district) if district else None
    rows = await conn.fetch(SITES_SQL, kind or None, district_code, None)
    blocks = await zone_blocking_conflicts(conn)
    results, excluded = [], []
    for row in rows:
        site = _site(dict(row), blocks)
        reasons = []
        if min_available_ha is not None:
            if site["area_available_ha"] is None:
                reasons.append(
                    ("available_unknown", "available area not published (unknown), not counted as 0")
                )
            elif site["area_available_ha"] < min_available_ha:
                reasons.append(
                    (
                        "too_small",
                        f"{site['area_available_ha']:g} ha available < {min_available_ha:g} ha asked",
                    )
                )
        for limit, key, label in (
            (max_road_km, "distance_national_road_km", "a national road"),
            (max_city_km, "distance_city_km", "Bắc Kạn city"),
        ):
            if limit is None:
                continue
            if site[key] is None:
                reasons.append(("distance_unknown", f"distance to {label} unknown (no published location)"))
            elif site[key] > limit:
                reasons.append(("too_far", f"{site[key]:g} km to {label} > {limit:g} km"))
        if no_blocking_conflict and site["blocking_conflicts"]:
            reasons.append(("blocking_conflict", "has a blocking conflict"))
        if reasons:
            excluded.append(
                {
                    "zone_id": site["zone_id"],
                    "name_vi": site["name_vi"],
                    "kind": site["kind"],
                    "reasons": [{"code": c, "text": t} for c, t in reasons],
                }
            )
        else:
            results.append(site)
    results.sort(key=lambda s: (-s["score"], s["zone_id"]))
    for rank, site in enumerate(results, start=1):
        site["rank"] = rank
    version = await conn.fetchval("SELECT version FROM data_version WHERE id = 1")
    return {
        "sites": results,
        "excluded": excluded,
        "excluded_counts": {
            code: sum(1 for e in excluded for r in e["reasons"] if r["code"] == code)
            for code in ("available_unknown", "too_small", "distance_unknown", "too_far", "blocking_conflict")
        },
        "filters": {
            "min_available_ha": min_available_ha,
            "district": district_code,
            "kind": kind,
            "max_road_km": max_road_km,
            "max_city_km": max_city_km,
            "no_blocking_conflict": no_blocking_conflict,
        },
        "notes": [
            "distances from approximate footprints are indicative",
            "only QL3 is mapped among the national roads",
            "unknown values are null and said to be unknown, never 0",
        ],
        "province_code": PROVINCE_CODE,
        "data_version": version,
    }


async def site(conn, zone_id: str) -> dict:
    """One zone's fact sheet data: areas, status, decisions, investor, distances, projects, footprint."""
    rows = await conn.fetch(SITES_SQL, None, None, zone_id)
    if not rows:
        raise NotFound(f"zone {zone_id!r} does not exist")
    blocks = await zone_blocking_conflicts(conn, zone_id)
    result = _site(dict(rows[0]), blocks)
    result["data_version"] = await conn.fetchval("SELECT version FROM data_version WHERE id = 1")
    return result


async def site_sheet(conn, catalog: Catalog, zone_id: str, lang: str = "vi") -> dict:
    """The fact sheet's data: the site, and a small map of it among communes, roads, rivers and places."""
    result = await site(conn, zone_id)
    focus = {
        "key": "site",
        "class": result["kind"],
        "name": result["zone_id"],
        "approximate": result["geometry_quality"] == "approximate",
    }
    result["context_map"] = await context_map(conn, catalog, [(result["geometry"], focus)], lang=lang)
    return result
