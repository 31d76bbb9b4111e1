"""The audit trail for planners and admins."""

from datetime import datetime

import asyncpg
from fastapi import APIRouter, Depends, Query

from api.deps import CONNECTION, current_actor
from api.responses import OrjsonResponse
from geo.plan.actor import Actor
from geo.plan.audit_log import list_audit

router = APIRouter(prefix="/api", tags=["audit"])


@router.get("/audit", summary="The audit trail, newest first, with filters (planners and admins)")
async def audit(
    username: str | None = Query(None, max_length=64, description="who acted"),
    action: str | None = Query(None, max_length=80, description="e.g. project.status"),
    object_type: str | None = Query(None, max_length=80, description="e.g. project"),
    object_id: str | None = Query(None, max_length=200, description="e.g. PRJ-06"),
    since: datetime | None = Query(None, description="from this time (ISO 8601)"),
    until: datetime | None = Query(None, description="before this time (ISO 8601)"),
    limit: int = Query(100, description="rows per page, 1..1000"),
    offset: int = Query(0, description="rows to skip"),
    actor: Actor = Depends(current_actor),
    conn: asyncpg.Connection = CONNECTION,
) -> OrjsonResponse:
    """401 when anonymous, 403 for officers."""
    result = await list_audit(
        conn, actor, username, action, object_type, object_id, since, until, limit, offset
    )
    return OrjsonResponse(result, headers={"Cache-Control": "no-store"})
