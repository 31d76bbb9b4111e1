"""``/healthz``: is the database reachable, which PostGIS, which data version."""

from fastapi import APIRouter, Request

from api.deps import current_actor
from api.responses import OrjsonResponse
from geo.plan.scope import is_planning
from geo.serve.health import health
from geo.store.database import CONNECTION_ERRORS, database_unavailable

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Database reachable, PostGIS version, data version")
async def healthz(request: Request) -> OrjsonResponse:
    """Report on the database; 503 with Retry-After and the database's error when it cannot be reached."""
    try:
        async with request.app.state.pool.acquire() as conn:
            report = await health(conn)
            actor = await current_actor(request, conn)
    except CONNECTION_ERRORS as exc:
        unavailable = database_unavailable(exc)
        if unavailable is None:
            raise
        return OrjsonResponse(
            status_code=503,
            content={"status": "unavailable", "database": str(exc) or type(exc).__name__},
            headers={"Retry-After": str(unavailable.retry_after)},
        )
    if not is_planning(actor):
        report = public_health(report)
    return OrjsonResponse({"status": "ok", "database": "reachable", **report})


def public_health(report: dict) -> dict:
    """What anyone may see: no note naming the last editor, versions to major.minor only."""
    public = {k: v for k, v in report.items() if k != "data_note"}
    for key in ("postgres", "postgis"):
        if isinstance(public.get(key), str):
            public[key] = ".".join(public[key].split(" ")[0].split(".")[:2])
    return public
