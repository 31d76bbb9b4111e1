"""``/healthz``: is the database reachable, which PostGIS, which data version."""

import asyncpg
from fastapi import APIRouter, Request

from api.responses import OrjsonResponse
from geo.serve.health import health

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Database reachable, PostGIS version, data version")
async def healthz(request: Request) -> OrjsonResponse:
    """Report on the database; 503 when it cannot be reached."""
    try:
        async with request.app.state.pool.acquire(timeout=5) as conn:
            report = await health(conn)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        return OrjsonResponse(status_code=503, content={"status": "unavailable", "database": str(exc)})
    return OrjsonResponse({"status": "ok", "database": "reachable", **report})
