"""Projects of the plan: list with counts, record, status changes and history, the annual report."""

from typing import Annotated

import asyncpg
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from api.deps import CONNECTION, StoredText, if_match_version, json_or_csv, require_actor, version_etag
from api.errors import error_responses
from api.responses import OrjsonResponse, csv_download
from geo.plan.actor import Actor
from geo.plan.places import MAX_PLACE_AREA_HA, place_project
from geo.plan.projects import (
    MAX_NOTE_CHARS,
    get_project,
    implementation_report,
    list_projects,
    project_history,
    record_status,
)
from geo.store.vocabulary import ProjectStatus

router = APIRouter(prefix="/api", tags=["projects"])

ProjectId = Annotated[str, Path(description="project id, e.g. PRJ-05", examples=["PRJ-05"])]

REPORT_COLUMNS = (
    "project_id",
    "name_vi",
    "sector",
    "districts_text",
    "status_at",
    "progress_pct_at",
    "last_update",
    "last_recorded_by",
    "updated_in_year",
    "updates_in_year",
    "status_now",
)


class StatusChange(BaseModel):
    """A reported change of a project's status."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    status: ProjectStatus = Field(description="the new status (labels: GET /api/vocabularies)")
    progress_pct: float | None = Field(None, ge=0, le=100)
    note: StoredText | None = Field(None, max_length=MAX_NOTE_CHARS)
    # no recorded_by: the event names the logged-in account (a body that sends it is refused, 400)
    version: int | None = Field(
        None,
        description="the version read (the ETag of GET /api/projects/{id}), "
        "if the If-Match header is not sent",
    )


@router.get(
    "/projects",
    summary="Projects with filters and counts by status, sector and district",
)
async def projects(
    district: str | None = Query(None, description="District code (065) or name, with or without diacritics"),
    status: ProjectStatus | None = Query(
        None, description="one of the project statuses (GET /api/vocabularies)"
    ),
    sector: str | None = Query(None, description="Part of the sector name"),
    q: str | None = Query(None, description="Part of the project name or id"),
    conn: asyncpg.Connection = CONNECTION,
) -> OrjsonResponse:
    """Project summaries and counts over the same filtered set."""
    return OrjsonResponse(await list_projects(conn, district, status, sector, q))


@router.get(
    "/projects/{project_id}",
    summary="Full record of a project with its history",
    responses=error_responses(404),
)
async def project(project_id: ProjectId, conn: asyncpg.Connection = CONNECTION) -> OrjsonResponse:
    """Every column, the zone, the districts by name and the status history, newest first.

    The ``ETag`` is the project's version: a status change sends it back in ``If-Match``.
    """
    record = await get_project(conn, project_id)
    return OrjsonResponse(record, headers={"ETag": version_etag(record["version"])})


@router.get(
    "/projects/{project_id}/history",
    summary="Status history of a project, newest first",
    responses=error_responses(404),
)
async def history(project_id: ProjectId, conn: asyncpg.Connection = CONNECTION) -> OrjsonResponse:
    """The recorded status events."""
    return OrjsonResponse({"project_id": project_id, "history": await project_history(conn, project_id)})


@router.post(
    "/projects/{project_id}/status",
    summary="Record a status change (transactional)",
    responses=error_responses(404),
)
async def change_status(
    project_id: ProjectId,
    change: StatusChange,
    request: Request,
    conn: asyncpg.Connection = CONNECTION,
    actor: Actor = Depends(require_actor),
) -> OrjsonResponse:
    """Insert the event, update the project, write the audit row and bump ``projects``, in one transaction.

    Needs a login (401), the project in the account's scope (403 naming it), and the version read:
    ``If-Match: "<version>"`` or ``version`` in the body (428 when missing, 412 with the current record
    when stale; nothing is written then).
    """
    updated = await record_status(
        conn,
        actor,
        project_id,
        change.status,
        change.progress_pct,
        change.note,
        expected_version=if_match_version(request, change.version),
    )
    return OrjsonResponse(updated, headers={"ETag": version_etag(updated["version"])})


class ProjectPlace(BaseModel):
    """A project's new place: a drawn or uploaded GeoJSON in WGS 84 and the version read."""

    model_config = ConfigDict(extra="forbid")

    geometry: dict = Field(
        description="a GeoJSON Point, Polygon or MultiPolygon in WGS 84 (lon, lat), or a Feature or a "
        "FeatureCollection of one feature holding one; at most 10,000 vertices and "
        f"{MAX_PLACE_AREA_HA:,} ha, in or within 5 km of the province",
        examples=[{"type": "Point", "coordinates": [105.83, 22.15]}],
    )
    version: int | None = Field(
        None,
        description="the version read (the ETag of GET /api/projects/{id}), "
        "if the If-Match header is not sent",
    )


@router.put(
    "/projects/{project_id}/geometry",
    summary="Place a project: a drawn or uploaded point or polygon (planners; transactional)",
    responses=error_responses(400, 404, 413),
)
async def place(
    project_id: ProjectId,
    body: ProjectPlace,
    request: Request,
    conn: asyncpg.Connection = CONNECTION,
    actor: Actor = Depends(require_actor),
) -> OrjsonResponse:
    """Set the project's geometry (``geometry_quality`` becomes ``digitised``), re-screen that project
    only, and write the audit row with the geometry before and after, in one transaction.

    Needs a planner or admin (401/403) and the version read (``If-Match`` or ``version``: 428 missing,
    412 with the current record when stale). An invalid polygon is repaired with ST_MakeValid and the
    answer's ``placement.repaired`` says so; a geometry that cannot be a place is 400 naming why.
    """
    updated = await place_project(
        conn, actor, project_id, body.geometry, expected_version=if_match_version(request, body.version)
    )
    return OrjsonResponse(updated, headers={"ETag": version_etag(updated["version"])})


@router.get(
    "/reports/implementation",
    summary="Annual implementation report: status of each project on 20 October",
    responses={200: {"content": {"application/json": {}, "text/csv": {}}}},
)
async def implementation(
    year: int = Query(..., ge=2021, le=2100, description="Report year; the status is taken as of 20 October"),
    district: str | None = Query(None),
    f: str = Depends(json_or_csv),
    conn: asyncpg.Connection = CONNECTION,
) -> Response:
    """JSON or CSV (UTF-8 with BOM so spreadsheet programs read the Vietnamese names)."""
    report = await implementation_report(conn, year, district)
    if f == "json":
        return OrjsonResponse(report)
    name = f"implementation-{year}" + (f"-{report['district']}" if report["district"] else "") + ".csv"
    return csv_download(report["projects"], REPORT_COLUMNS, name)
