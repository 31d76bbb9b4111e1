"""Tasks of the implementation plan: list, record, progress updates by the lead unit's officers."""

import asyncpg
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from api.deps import CONNECTION, current_actor, if_match_version, version_etag
from api.responses import OrjsonResponse
from geo.plan.actor import Actor
from geo.plan.tasks import MAX_PROGRESS_NOTE_CHARS, get_task, list_tasks, update_task
from geo.plan.units import list_units

router = APIRouter(prefix="/api", tags=["monitoring"])


class TaskUpdate(BaseModel):
    """A task's new status and/or progress."""

    model_config = ConfigDict(extra="forbid")

    status: str | None = Field(None, description="not_started, in_progress, completed or cancelled")
    progress_pct: float | None = Field(None, ge=0, le=100)
    note: str | None = Field(None, max_length=MAX_PROGRESS_NOTE_CHARS)
    version: int | None = Field(None, description="the version read (or send If-Match)")


@router.get("/reporting-units", summary="The units that report on the plan, with validity and source")
async def reporting_units(conn: asyncpg.Connection = CONNECTION) -> OrjsonResponse:
    """Every reporting unit (districts before 2025, 2025 units, provincial agencies)."""
    return OrjsonResponse({"units": await list_units(conn)})


@router.get("/tasks", summary="Tasks of Plan 56 with deadlines, status and overdue flags")
async def tasks(
    unit: str | None = Query(None, description="lead or co-operating unit id"),
    status: str | None = Query(None),
    overdue: bool | None = Query(None),
    conn: asyncpg.Connection = CONNECTION,
) -> OrjsonResponse:
    """Tasks, soonest deadline first."""
    return OrjsonResponse(await list_tasks(conn, unit, status, overdue))


@router.get("/tasks/{task_id}", summary="One task with its history")
async def task(task_id: str, conn: asyncpg.Connection = CONNECTION) -> OrjsonResponse:
    """The task, its next due date and its status history; the ETag is its version."""
    body = await get_task(conn, task_id)
    return OrjsonResponse(body, headers={"ETag": version_etag(body["version"])})


@router.patch("/tasks/{task_id}", summary="Update a task's status/progress (officer of the lead unit)")
async def patch_task(
    task_id: str,
    change: TaskUpdate,
    request: Request,
    conn: asyncpg.Connection = CONNECTION,
    actor: Actor = Depends(current_actor),
) -> OrjsonResponse:
    """Needs the version read (If-Match or version): 428 without, 412 with the current task when stale."""
    version = if_match_version(request, change.version)
    body = await update_task(conn, actor, task_id, version, change.status, change.progress_pct, change.note)
    return OrjsonResponse(body, headers={"ETag": version_etag(body["version"])})
