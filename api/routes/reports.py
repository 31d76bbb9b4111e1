"""The yearly cycle's unit reports, the planners' board and the consolidated documents."""

import asyncpg
from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from api.deps import CONNECTION, current_actor, if_match_version, version_etag
from api.responses import OrjsonResponse
from geo.plan.actor import Actor
from geo.plan.reports import (
    MAX_REASON_CHARS,
    MAX_TEXT_CHARS,
    consolidation,
    decide_report,
    get_unit_report,
    report_board,
    save_draft,
    submit_report,
    unit_document_data,
)
from maps.cycle_documents import consolidated_html, html_to_pdf, report_xlsx

router = APIRouter(prefix="/api/reports", tags=["monitoring"])
# the .xlsx route of a unit comes before the unit's JSON route, whose {unit_id} would take "058.xlsx"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class DraftIn(BaseModel):
    """The draft's free text: difficulties and proposals."""

    model_config = ConfigDict(extra="forbid")

    difficulties: str | None = Field(None, max_length=MAX_TEXT_CHARS)
    proposals: str | None = Field(None, max_length=MAX_TEXT_CHARS)
    version: int | None = Field(None, description="the version read (0 before the first save), or If-Match")


class VersionIn(BaseModel):
    """A state change naming the version read."""

    model_config = ConfigDict(extra="forbid")

    version: int | None = None


class ReturnIn(VersionIn):
    """A return to the unit, with what to correct."""

    reason: str = Field(min_length=1, max_length=MAX_REASON_CHARS)


def _report(body: dict) -> OrjsonResponse:
    return OrjsonResponse(body, headers={"ETag": version_etag(body["version"])})


def _attachment(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@router.get("/{year}", summary="The report board: every unit that must report, state, late or missing")
async def board(year: int, conn=CONNECTION, actor: Actor = Depends(current_actor)) -> OrjsonResponse:
    """For planners."""
    return OrjsonResponse(await report_board(conn, actor, year))


@router.get("/{year}/units/{unit_id}.xlsx", summary="A unit's report as an XLSX workbook")
async def unit_xlsx(
    year: int,
    unit_id: str,
    conn: asyncpg.Connection = CONNECTION,
    actor: Actor = Depends(current_actor),
) -> Response:
    """One sheet per part: tasks, projects, indicators, difficulties and proposals."""
    data = await unit_document_data(conn, actor, year, unit_id)
    return _attachment(await run_in_threadpool(report_xlsx, data), XLSX, f"bao-cao-{year}-{unit_id}.xlsx")


@router.get("/{year}/units/{unit_id}", summary="A unit's report (the live draft, or the frozen submission)")
async def unit_report(
    year: int,
    unit_id: str,
    conn: asyncpg.Connection = CONNECTION,
    actor: Actor = Depends(current_actor),
) -> OrjsonResponse:
    """Tasks with progress, projects as of 20 October, indicators, difficulties and proposals."""
    return _report(await get_unit_report(conn, actor, year, unit_id))


@router.put("/{year}/units/{unit_id}", summary="Save the draft (officer of the unit)")
async def put_unit_report(
    year: int,
    unit_id: str,
    draft: DraftIn,
    request: Request,
    conn: asyncpg.Connection = CONNECTION,
    actor: Actor = Depends(current_actor),
) -> OrjsonResponse:
    """Needs the version read (0 for a new draft): 428 without, 412 when stale; 409 once submitted."""
    version = if_match_version(request, draft.version)
    return _report(await save_draft(conn, actor, year, unit_id, version, draft.difficulties, draft.proposals))


@router.post("/{year}/units/{unit_id}/submit", summary="Submit the report (officer of the unit); it locks")
async def submit(
    year: int,
    unit_id: str,
    body: VersionIn,
    request: Request,
    conn: asyncpg.Connection = CONNECTION,
    actor: Actor = Depends(current_actor),
) -> OrjsonResponse:
    """After 20 October the report is marked late with the days."""
    return _report(await submit_report(conn, actor, year, unit_id, if_match_version(request, body.version)))


@router.post("/{year}/units/{unit_id}/return", summary="Return a submitted report with a reason (planner)")
async def return_report(
    year: int,
    unit_id: str,
    body: ReturnIn,
    request: Request,
    conn: asyncpg.Connection = CONNECTION,
    actor: Actor = Depends(current_actor),
) -> OrjsonResponse:
    """The unit can correct and resubmit it."""
    version = if_match_version(request, body.version)
    return _report(await decide_report(conn, actor, year, unit_id, version, accept=False, reason=body.reason))


@router.post("/{year}/units/{unit_id}/accept", summary="Accept a submitted report (planner)")
async def accept_report(
    year: int,
    unit_id: str,
    body: VersionIn,
    request: Request,
    conn: asyncpg.Connection = CONNECTION,
    actor: Actor = Depends(current_actor),
) -> OrjsonResponse:
    """Accepted reports go into the province's consolidated report."""
    version = if_match_version(request, body.version)
    return _report(await decide_report(conn, actor, year, unit_id, version, accept=True))


@router.get("/{year}/consolidated.xlsx", summary="The province's consolidated report as XLSX (planner)")
async def consolidated_xlsx(
    year: int, conn: asyncpg.Connection = CONNECTION, actor: Actor = Depends(current_actor)
) -> Response:
    """Accepted unit reports, the units not accepted, the targets."""
    data = await consolidation(conn, actor, year)
    return _attachment(await run_in_threadpool(report_xlsx, data), XLSX, f"tong-hop-{year}.xlsx")


@router.get("/{year}/consolidated.html", summary="The consolidated report as an A4 administrative document")
async def consolidated_page(
    year: int, conn: asyncpg.Connection = CONNECTION, actor: Actor = Depends(current_actor)
) -> HTMLResponse:
    """HTML with print CSS (national title block, number/symbol, place and date, Plan 56 sections)."""
    return HTMLResponse(consolidated_html(await consolidation(conn, actor, year)))


@router.get("/{year}/consolidated.pdf", summary="The consolidated report as PDF (WeasyPrint)")
async def consolidated_pdf(
    year: int, conn: asyncpg.Connection = CONNECTION, actor: Actor = Depends(current_actor)
) -> Response:
    """The same document as the HTML, rendered to A4 PDF with Debian's DejaVu fonts."""
    html = consolidated_html(await consolidation(conn, actor, year))
    return _attachment(await run_in_threadpool(html_to_pdf, html), "application/pdf", f"tong-hop-{year}.pdf")
