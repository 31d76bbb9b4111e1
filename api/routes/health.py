"""``/healthz``: is the database reachable, which PostGIS, which data version."""

import asyncpg
from fastapi import APIRouter, Request
from fastapi.responses import ORJSONResponse

from geo.status import health

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Database reachable, PostGIS version, data version")
async def healthz(request: Request) -> ORJSONResponse:
    """Report on the database; 503 when it cannot be reached."""
    try:
        async with request.app.state.pool.acquire(timeout=5) as conn:
            report = await health(conn)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        return ORJSONResponse(status_code=503, content={"status": "unavailable", "database": str(exc)})
    return ORJSONResponse({"status": "ok", "database": "reachable", **report})
