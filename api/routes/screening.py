"""Conflict screening, plan-conformity sheets and the site finder (issue 5)."""

from typing import Annotated, Any, Literal

import asyncpg
import orjson
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse

from api.deps import CONNECTION, catalog_cache, json_or_csv
from api.errors import error_responses
from api.responses import csv_download
from geo.analysis import conformity, screening, sites
from geo.errors import InvalidParameter, PayloadTooLarge
from geo.serve.catalog import CatalogCache
from geo.store.text import check_json_text
from maps import reports

router = APIRouter(tags=["screening"])

MAX_BODY_BYTES = 1_000_000
ProjectId = Annotated[str, Path(max_length=40, description="project id, e.g. PRJ-05", examples=["PRJ-05"])]
ZoneId = Annotated[str, Path(max_length=40, description="zone id, e.g. KCN-01", examples=["KCN-01"])]
Lang = Annotated[Literal["vi", "en"], Query(description="language of the sheet")]
Conn = Annotated[asyncpg.Connection, CONNECTION]
Cache = Annotated[CatalogCache, Depends(catalog_cache)]


async def footprint_body(request: Request) -> dict:
    """The request body as a JSON object, refused above 1 MB before it is read whole."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"the footprint is {int(declared)} bytes; the limit is {MAX_BODY_BYTES} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_BODY_BYTES:
            raise PayloadTooLarge(f"the footprint is larger than the limit of {MAX_BODY_BYTES} bytes")
    if not body.strip():
        raise InvalidParameter("send a GeoJSON Feature or Geometry as the request body")
    try:
        payload = orjson.loads(bytes(body))
    except orjson.JSONDecodeError as exc:
        raise InvalidParameter(f"the body is not valid JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise InvalidParameter("the body must be a GeoJSON object")
    check_json_text("body", payload)
    return payload


async def screen_options(
    payload: Annotated[dict, Depends(footprint_body)],
    sector: Annotated[
        str | None, Query(max_length=80, description="project sector, e.g. công nghiệp")
    ] = None,
    district: Annotated[
        str | None, Query(max_length=80, description="assigned district code or name")
    ] = None,
) -> tuple[dict, str | None, str | None]:
    """Footprint plus sector/district from the query, else from the Feature's properties."""
    props = payload.get("properties") if isinstance(payload.get("properties"), dict) else {}
    sector = sector or (str(props["sector"]) if props.get("sector") else None)
    district = district or (str(props["district"]) if props.get("district") else None)
    return payload, sector, district


ScreenOptions = Annotated[tuple[dict, str | None, str | None], Depends(screen_options)]


@router.get("/api/projects/{project_id}/conflicts", responses=error_responses(404))
async def project_conflicts(project_id: ProjectId, conn: Conn) -> dict:
    """A project's conflicts (recomputed first when the data or rules changed)."""
    return await screening.project_conflicts(conn, project_id)


@router.get(
    "/api/conflicts",
    responses={200: {"content": {"application/json": {}, "text/csv": {}}}},
)
async def conflicts(
    conn: Conn,
    f: Annotated[str, Depends(json_or_csv)],
    district: Annotated[str | None, Query(max_length=80, description="district code or name")] = None,
    severity: Annotated[Literal["block", "review", "info"] | None, Query()] = None,
) -> Any:
    """Every stored conflict, filterable by district and severity, with the inactive rules."""
    report = await screening.list_conflicts(conn, district=district, severity=severity)
    if f == "json":
        return report
    scope = "-".join(v for v in (report["filters"]["district"], severity) if v)
    name = f"conflicts-v{report['data_version']}{'-' + scope if scope else ''}.csv"
    return csv_download(screening.conflict_csv_rows(report), screening.CONFLICT_CSV_COLUMNS, name)


@router.get("/api/conflict-rules")
async def conflict_rules(conn: Conn) -> dict:
    """The rules in force, each active or inactive with why."""
    return await screening.rule_catalog(conn)


@router.post("/api/screen", responses=error_responses(413, 422))
async def screen(options: ScreenOptions, conn: Conn) -> dict:
    """Screen a GeoJSON footprint against every active rule; nothing is stored."""
    payload, sector, district = options
    return await screening.screen_footprint(conn, payload, sector=sector, district=district)


@router.get("/api/projects/{project_id}/conformity", responses=error_responses(404))
async def project_conformity(project_id: ProjectId, conn: Conn) -> dict:
    """The plan-conformity sheet of a project as JSON."""
    return await conformity.project_conformity(conn, project_id)


@router.post("/api/conformity", responses=error_responses(413, 422))
async def footprint_conformity(options: ScreenOptions, conn: Conn) -> dict:
    """The plan-conformity sheet of a footprint as JSON; nothing is stored."""
    payload, sector, district = options
    return await conformity.footprint_conformity(conn, payload, sector=sector, district=district)


@router.get("/projects/{project_id}/conformity", response_class=HTMLResponse, include_in_schema=False)
async def project_conformity_page(
    project_id: ProjectId, conn: Conn, cache: Cache, lang: Lang = "vi"
) -> HTMLResponse:
    """The printable (A4) plan-conformity sheet of a project."""
    sheet = await conformity.project_conformity_sheet(conn, await cache.get(conn), project_id, lang)
    return HTMLResponse(reports.conformity_page(sheet, lang))


@router.post("/conformity", response_class=HTMLResponse, include_in_schema=False)
async def footprint_conformity_page(
    options: ScreenOptions, conn: Conn, cache: Cache, lang: Lang = "vi"
) -> HTMLResponse:
    """The printable (A4) plan-conformity sheet of a posted footprint."""
    payload, sector, district = options
    sheet = await conformity.footprint_conformity_sheet(
        conn, await cache.get(conn), payload, sector=sector, district=district, lang=lang
    )
    return HTMLResponse(reports.conformity_page(sheet, lang))


async def site_filters(
    min_available_ha: Annotated[
        float | None, Query(ge=0, allow_inf_nan=False, description="minimum available area (ha)")
    ] = None,
    district: Annotated[str | None, Query(max_length=80, description="district code or name")] = None,
    kind: Annotated[
        str | None, Query(max_length=40, description="KCN, CCN, tourism (comma-separated)")
    ] = None,
    max_road_km: Annotated[
        float | None, Query(ge=0, allow_inf_nan=False, description="max distance to a national road")
    ] = None,
    max_city_km: Annotated[
        float | None, Query(ge=0, allow_inf_nan=False, description="max distance to Bắc Kạn city")
    ] = None,
    no_blocking_conflict: Annotated[bool, Query(description="hide sites with a blocking conflict")] = False,
) -> dict[str, Any]:
    """Parse the site-finder filters."""
    kinds = [k.strip() for k in kind.split(",") if k.strip()] if kind else None
    return {
        "min_available_ha": min_available_ha,
        "district": district.strip() if district and district.strip() else None,
        "kind": kinds,
        "max_road_km": max_road_km,
        "max_city_km": max_city_km,
        "no_blocking_conflict": no_blocking_conflict,
    }


@router.get("/api/sites")
async def find_sites(filters: Annotated[dict, Depends(site_filters)], conn: Conn) -> dict:
    """Industrial parks, clusters and tourism areas matching the filters, ranked with why."""
    return await sites.find_sites(conn, **filters)


@router.get("/api/sites/{zone_id}", responses=error_responses(404))
async def site(zone_id: ZoneId, conn: Conn) -> dict:
    """One site's facts, distances and blocking conflicts."""
    return await sites.site(conn, zone_id)


@router.get("/sites/{zone_id}", response_class=HTMLResponse, include_in_schema=False)
async def site_page(zone_id: ZoneId, conn: Conn, cache: Cache, lang: Lang = "vi") -> HTMLResponse:
    """The printable (A4) fact sheet of a site."""
    return HTMLResponse(
        reports.site_page(await sites.site_sheet(conn, await cache.get(conn), zone_id, lang), lang)
    )
