"""The monitoring page ("Theo dõi thực hiện") and the project statuses as of a day for its time slider."""

import asyncpg
from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from api.deps import CONNECTION
from api.responses import OrjsonResponse
from geo.plan.history import projects_as_of
from maps.monitoring import build_monitoring_page

router = APIRouter(tags=["monitoring"])


@router.get("/api/projects-as-of", summary="Projects with the status recorded by the end of a day")
async def projects_at(
    date: str = Query(description="YYYY-MM-DD"), conn: asyncpg.Connection = CONNECTION
) -> OrjsonResponse:
    """GeoJSON points (a place on each project) with `status` as of that day (null: nothing recorded yet)."""
    return OrjsonResponse(await projects_as_of(conn, date))


@router.get("/monitoring", response_class=HTMLResponse, include_in_schema=False)
async def monitoring_page() -> HTMLResponse:
    """Targets dashboard, report board, my unit, and the map's time slider."""
    return HTMLResponse(build_monitoring_page(), headers={"Cache-Control": "no-cache"})
