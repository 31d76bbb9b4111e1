"""Tasks of the implementation plan: list, record, and progress updates by the lead unit's officers."""

from datetime import date

import asyncpg

from geo.errors import InvalidParameter, NotFound, PreconditionFailed, PreconditionRequired
from geo.plan.actor import Actor
from geo.plan.audit import record_audit
from geo.plan.deadlines import last_occurrence, next_occurrence
from geo.plan.scope import require_login, unit_scope_check
from geo.plan.targets import bump
from geo.plan.units import VIETNAM_TIME
from geo.plan.vocabulary import TASK_STATUS_TITLES_VI, TaskStatus

MAX_PROGRESS_NOTE_CHARS = 2000
CLOSED = (TaskStatus.completed.value, TaskStatus.cancelled.value)

_TASK = """jsonb_build_object(
    'task_id', t.task_id, 'title_vi', t.title_vi, 'title_en', t.title_en, 'plan_section', t.plan_section,
    'lead_unit', t.lead_unit, 'lead_unit_name', u.name_vi, 'lead_unit_valid_to', u.valid_to,
    'co_units', to_jsonb(t.co_units),
    'deadline', t.deadline, 'deadline_text', t.deadline_text, 'recurrence', t.recurrence,
    'project_ids', to_jsonb(t.project_ids), 'target_ids', to_jsonb(t.target_ids), 'status', t.status,
    'progress_pct', t.progress_pct, 'progress_note', t.progress_note, 'source', t.source, 'notes', t.notes,
    'version', t.version, 'updated_by', t.updated_by, 'updated_at', t.updated_at)"""
_FROM = " FROM task t JOIN reporting_unit u ON u.unit_id = t.lead_unit "


def today_vn() -> date:
    """Today's date in Vietnam."""
    from datetime import datetime

    return datetime.now(VIETNAM_TIME).date()


def _day(value: date | str | None) -> date | None:
    """A date from the JSON of a row (ISO text) or as it is."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def with_due(task: dict, today: date) -> dict:
    """Add next_due, days_to_due and overdue, stopped by the lead unit's end (ended, last_due, why)."""
    first, valid_to = _day(task.get("deadline")), _day(task.get("lead_unit_valid_to"))
    recurrence = task.get("recurrence")
    due = None if first is None else next_occurrence(first, recurrence, today)
    # a task falls due only while its lead unit exists: Bắc Kạn's districts and departments ended on
    # 30/06/2025, and nobody answers for them after that
    ended = valid_to is not None and (valid_to < today or (due is not None and due > valid_to))
    if ended:
        due = None
    last_due = last_occurrence(first, recurrence, valid_to) if ended and first is not None else None
    task["next_due"] = due and due.isoformat()
    task["days_to_due"] = None if due is None else (due - today).days
    task["overdue"] = due is not None and recurrence is None and due < today and task["status"] not in CLOSED
    task["ended"] = ended
    task["last_due"] = last_due and last_due.isoformat()
    task["ended_reason_vi"] = task["ended_reason_en"] = None
    if ended:
        past = valid_to < today
        vi = f"Đơn vị chủ trì {'đã kết thúc' if past else 'kết thúc'} ngày {valid_to:%d/%m/%Y}: không còn hạn"
        en = f"The lead unit {'ended' if past else 'ends'} on {valid_to:%d/%m/%Y}: nothing falls due"
        if last_due is not None:
            vi, en = f"{vi} sau {last_due:%d/%m/%Y}", f"{en} after {last_due:%d/%m/%Y}"
        task["ended_reason_vi"], task["ended_reason_en"] = vi, en
    return task


def check_task_status(status: str | None) -> str | None:
    """The status if it is in the vocabulary; 400 naming the valid ones otherwise."""
    if status is not None and status not in TaskStatus.__members__:
        raise InvalidParameter(f"status must be one of {', '.join(TaskStatus)}; got {status!r}")
    return status


async def list_tasks(
    conn: asyncpg.Connection, unit: str | None = None, status: str | None = None, overdue: bool | None = None
) -> dict:
    """Tasks, optionally of one lead (or co-operating) unit or status, with due dates, overdue and ended."""
    check_task_status(status)
    rows = await conn.fetchval(
        f"""SELECT coalesce(jsonb_agg({_TASK} ORDER BY t.deadline NULLS LAST, t.task_id), '[]'::jsonb) {_FROM}
            WHERE ($1::text IS NULL OR t.lead_unit = $1 OR $1 = ANY(t.co_units))
              AND ($2::text IS NULL OR t.status = $2)""",
        unit,
        status,
    )
    today = today_vn()
    tasks = [with_due(t, today) for t in rows]
    if overdue is not None:
        tasks = [t for t in tasks if t["overdue"] == overdue]
    return {
        "tasks": tasks,
        "counts": {
            "total": len(tasks),
            "overdue": sum(t["overdue"] for t in tasks),
            "ended": sum(t["ended"] for t in tasks),
        },
        "statuses": [{"id": s.value, "title_vi": TASK_STATUS_TITLES_VI[s]} for s in TaskStatus],
    }


async def get_task(conn: asyncpg.Connection, task_id: str) -> dict:
    """One task with its history (newest first); 404 when unknown."""
    task = await conn.fetchval(f"SELECT {_TASK} {_FROM} WHERE t.task_id = $1", task_id)
    if task is None:
        raise NotFound(f"task {task_id!r} does not exist")
    task["history"] = await conn.fetchval(
        """SELECT coalesce(jsonb_agg(jsonb_build_object('status', e.status, 'progress_pct', e.progress_pct,
               'note', e.note, 'recorded_by', e.recorded_by, 'recorded_at', e.recorded_at,
               'version', e.version)
               ORDER BY e.recorded_at DESC, e.id DESC), '[]'::jsonb)
           FROM task_status_event e WHERE e.task_id = $1""",
        task_id,
    )
    return with_due(task, today_vn())


async def update_task(
    conn: asyncpg.Connection,
    actor: Actor,
    task_id: str,
    version: int | None,
    status: str | None = None,
    progress_pct: float | None = None,
    note: str | None = None,
) -> dict:
    """Record a task's status/progress (officer of the lead unit); 428 without a version, 412 when stale."""
    require_login(actor)
    check_task_status(status)
    if progress_pct is not None and not 0 <= progress_pct <= 100:
        raise InvalidParameter(f"progress_pct must be between 0 and 100; got {progress_pct}")
    if note is not None and len(note) > MAX_PROGRESS_NOTE_CHARS:
        raise InvalidParameter(f"note: at most {MAX_PROGRESS_NOTE_CHARS} characters")
    if status is None and progress_pct is None and note is None:
        raise InvalidParameter("give at least one of status, progress_pct, note")
    async with conn.transaction():
        row = await conn.fetchrow(
            "SELECT lead_unit, version, status, progress_pct FROM task WHERE task_id = $1 FOR UPDATE", task_id
        )
        if row is None:
            raise NotFound(f"task {task_id!r} does not exist")
        unit_scope_check(actor, row["lead_unit"], f"updating task {task_id}", planners=False)
        if version is None:
            raise PreconditionRequired(f"name the version of task {task_id} you read (If-Match or version)")
        if version != row["version"]:
            current = await get_task(conn, task_id)
            raise PreconditionFailed(
                f"task {task_id} changed since you read it (version {version}, now {row['version']}"
                f", by {current['updated_by']} at {current['updated_at']})",
                current,
            )
        updated = await conn.fetchrow(
            """UPDATE task SET status = coalesce($2, status), progress_pct = coalesce($3, progress_pct),
                              progress_note = coalesce($4, progress_note), version = version + 1,
                              updated_by = $5, updated_at = clock_timestamp()
               WHERE task_id = $1 RETURNING status, progress_pct, version""",
            task_id, status, progress_pct, note, actor.username,
        )  # fmt: skip
        await conn.execute(
            """INSERT INTO task_status_event
                   (task_id, status, progress_pct, note, recorded_by, recorded_at, version)
               VALUES ($1, $2, $3, $4, $5, clock_timestamp(), $6)""",
            task_id, updated["status"], updated["progress_pct"], note, actor.username, updated["version"],
        )  # fmt: skip
        before = {k: row[k] for k in ("status", "progress_pct", "version")}
        after = {**dict(updated), "note": note}
        await record_audit(conn, actor, "task.update", "task", task_id, before, after)
        await bump(conn, f"task {task_id} updated by {actor.username}")
    return await get_task(conn, task_id)
