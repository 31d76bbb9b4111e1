"""Search, "what is here" and the district list: the lookups behind the search box and click panel."""

import asyncpg
from fastapi import APIRouter, Query

from api.deps import CONNECTION
from api.responses import OrjsonResponse
from geo.plan.projects import list_districts
from geo.serve.here import what_is_here
from geo.serve.search import MAX_LIMIT, search_places

router = APIRouter(prefix="/api", tags=["lookup"])


@router.get("/search", summary="Find places, zones and projects by name, with or without diacritics")
async def search(
    q: str = Query("", description="Name or part of it: 'cho moi', 'Chợ Mới' and 'CHO MOI' are the same"),
    limit: int = Query(10, ge=1, le=MAX_LIMIT),
    conn: asyncpg.Connection = CONNECTION,
) -> OrjsonResponse:
    """Best matches first: exact, then prefix, then contains; then by kind and name."""
    return OrjsonResponse({"results": await search_places(conn, q, limit)})


@router.get(
    "/here", summary="What the plan shows at a point: admin units old and new, features of every sheet"
)
async def here(
    lon: float | None = Query(None, allow_inf_nan=False, description="Longitude, WGS 84 degrees"),
    lat: float | None = Query(None, allow_inf_nan=False, description="Latitude, WGS 84 degrees"),
    conn: asyncpg.Connection = CONNECTION,
) -> OrjsonResponse:
    """The click panel's content for one point."""
    return OrjsonResponse(await what_is_here(conn, lon, lat))


@router.get("/districts", summary="The 8 pre-2025 districts with bbox and project counts")
async def districts(conn: asyncpg.Connection = CONNECTION) -> OrjsonResponse:
    """Districts of Bắc Kạn as they were until 30 June 2025."""
    return OrjsonResponse({"districts": await list_districts(conn)})
