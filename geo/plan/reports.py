"""Unit reports of the yearly cycle (draft → submitted → returned/accepted), the board, consolidation."""

from datetime import date

import asyncpg

from geo.errors import (
    Conflict,
    Forbidden,
    InvalidParameter,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
)
from geo.plan.actor import Actor
from geo.plan.audit import record_audit
from geo.plan.scope import may_act_for_unit, require_login, require_planning, unit_scope_check
from geo.plan.targets import _TARGET, assess, bump
from geo.plan.tasks import _FROM, _TASK, today_vn, with_due
from geo.plan.units import (
    PROVINCE_REPORT_DAY,
    check_report_year,
    days_late,
    deadline_end,
    get_unit,
    unit_deadline,
    units_for_year,
)
from geo.plan.vocabulary import REPORT_STATE_TITLES_VI, ReportState
from geo.store.units import REFORM_START

EDITABLE = (ReportState.draft.value, ReportState.returned.value)
MAX_TEXT_CHARS = 4000
MAX_REASON_CHARS = 2000

# Projects of a unit: a district's by district code, an agency's by responsible agency, a 2025 unit's by
# the pre-2025 communes that form it (or a place inside it); the status is the newest event up to the end
# of 20 October.
_PROJECTS = """
SELECT coalesce(jsonb_agg(jsonb_build_object(
    'project_id', p.project_id, 'name_vi', p.name_vi, 'sector', p.sector, 'districts_text', p.districts_text,
    'status_at', last.status, 'progress_pct_at', last.progress_pct, 'recorded_at', last.recorded_at,
    'recorded_by', last.recorded_by, 'status_now', p.status, 'geometry_quality', p.geometry_quality,
    'location_level', p.location_level,
    'centroid', CASE WHEN p.geom IS NULL THEN NULL ELSE jsonb_build_array(
        round(ST_X(ST_PointOnSurface(p.geom))::numeric, 6),
        round(ST_Y(ST_PointOnSurface(p.geom))::numeric, 6)) END)
    ORDER BY p.project_id), '[]'::jsonb)
FROM project p
LEFT JOIN LATERAL (
    SELECT e.status, e.progress_pct, e.recorded_at, e.recorded_by FROM project_status_event e
    WHERE e.project_id = p.project_id AND e.recorded_at < $2 ORDER BY e.recorded_at DESC, e.id DESC LIMIT 1
) last ON true
WHERE NOT p.is_category AND (
    ($3 = 'district' AND $1 = ANY(p.district_codes))
    OR ($3 = 'agency' AND p.responsible_agency = $1)
    OR ($3 = 'commune_2025' AND (
        p.commune_code IN (SELECT old_code FROM admin_crosswalk WHERE new_code = $1 AND old_period = '2009')
        -- or placed on the map inside the unit (approximate places sit inside their commune; the report
        -- carries geometry_quality)
        -- (a schematic line joins named points: it places the project nowhere in particular)
        OR EXISTS (SELECT 1 FROM admin_unit u WHERE u.code = $1 AND u.valid_from >= $4
                   AND p.geometry_quality <> 'schematic'
                   AND ST_Intersects(u.geom, ST_PointOnSurface(p.geom))))))
"""

_REPORT_ROW = """SELECT year, unit_id, state, difficulties, proposals, content, submitted_at, submitted_by,
    late_days, return_reason, decided_at, decided_by, version, updated_by, updated_at
    FROM unit_report WHERE year = $1 AND unit_id = $2"""


def check_text(value: str | None, field: str, limit: int = MAX_TEXT_CHARS) -> str | None:
    """Bounded free text: at most ``limit`` characters; empty becomes null."""
    if value is not None and len(value) > limit:
        raise InvalidParameter(f"{field}: at most {limit} characters, got {len(value)}")
    return (value or "").strip() or None


async def unit_content(conn: asyncpg.Connection, year: int, unit: dict) -> dict:
    """What a unit reports for ``year``: its tasks, its projects as of 20 October, its indicators."""
    unit_id = unit["unit_id"]
    tasks = await conn.fetchval(
        f"""SELECT coalesce(jsonb_agg({_TASK} ORDER BY t.deadline NULLS LAST, t.task_id), '[]'::jsonb) {_FROM}
            WHERE t.lead_unit = $1 OR $1 = ANY(t.co_units)""",
        unit_id,
    )
    day = unit_deadline(year)
    tasks = [with_due(t, day) for t in tasks]
    projects = await conn.fetchval(_PROJECTS, unit_id, deadline_end(day), unit["kind"], REFORM_START)
    indicators = []
    for row in await conn.fetch(_TARGET + " WHERE t.responsible_unit = $1 ORDER BY t.target_id", unit_id):
        target = assess(row[0])
        this_year = next((y for y in target["by_year"] if y["year"] == year), None)
        indicators.append(
            {
                "target_id": target["target_id"],
                "indicator_vi": target["indicator_vi"],
                "comparator": target["comparator"],
                "goal": target["goal"],
                "unit": target["unit"],
                "goal_year": target["goal_year"],
                "year": year,
                "value": this_year["value"] if this_year else None,
                "kind": this_year["kind"] if this_year else None,
                "source": this_year["source"] if this_year else None,
                "status": (this_year or {}).get("status") or ("no_data" if target["assessed"] else None),
            }
        )
    return {"as_of": day.isoformat(), "tasks": tasks, "projects": projects, "indicators": indicators}


def _report_json(unit: dict, year: int, row, content: dict, events: list) -> dict:
    day = unit_deadline(year)
    state = row["state"] if row else ReportState.draft.value
    return {
        "year": year,
        "unit": unit,
        "state": state,
        "exists": row is not None,
        "version": row["version"] if row else 0,
        "deadline": day.isoformat(),
        "days_to_deadline": (day - today_vn()).days,
        "difficulties": row["difficulties"] if row else None,
        "proposals": row["proposals"] if row else None,
        "submitted_at": row["submitted_at"] if row else None,
        "submitted_by": row["submitted_by"] if row else None,
        "late_days": row["late_days"] if row else None,
        "late": bool(row and row["late_days"]),
        "return_reason": row["return_reason"] if row else None,
        "decided_at": row["decided_at"] if row else None,
        "decided_by": row["decided_by"] if row else None,
        "updated_by": row["updated_by"] if row else None,
        "updated_at": row["updated_at"] if row else None,
        "editable": state in EDITABLE,
        "max_text_chars": MAX_TEXT_CHARS,
        **content,
        "events": events,
        "states": [{"id": s.value, "title_vi": REPORT_STATE_TITLES_VI[s]} for s in ReportState],
    }


async def _load(conn: asyncpg.Connection, year: int, unit_id: str) -> tuple[dict, asyncpg.Record | None]:
    check_report_year(year, today_vn())
    unit = await get_unit(conn, unit_id)
    day = unit_deadline(year)
    if (unit["valid_from"] and date.fromisoformat(unit["valid_from"]) > day) or (
        unit["valid_to"] and date.fromisoformat(unit["valid_to"]) < day
    ):
        raise NotFound(f"unit {unit_id} does not report for {year}: it is not in force on {day.isoformat()}")
    return unit, await conn.fetchrow(_REPORT_ROW, year, unit_id)


async def _events(conn: asyncpg.Connection, year: int, unit_id: str) -> list:
    return await conn.fetchval(
        """SELECT coalesce(jsonb_agg(jsonb_build_object('action', action, 'state', state, 'note', note,
               'actor', actor, 'actor_role', actor_role, 'at', at, 'version', version) ORDER BY at, id), '[]')
           FROM unit_report_event WHERE year = $1 AND unit_id = $2""",
        year,
        unit_id,
    )


async def get_unit_report(conn: asyncpg.Connection, actor: Actor, year: int, unit_id: str) -> dict:
    """A unit's report: the frozen content once submitted, the live draft before (officer or planner)."""
    require_login(actor)
    if not may_act_for_unit(actor, unit_id):
        raise Forbidden(
            f"the report of unit {unit_id} is for its officers and planners; {actor.username} is not"
        )
    unit, row = await _load(conn, year, unit_id)
    if row is not None and row["state"] not in EDITABLE and row["content"] is not None:
        content = row["content"]
    else:
        content = await unit_content(conn, year, unit)
    return _report_json(unit, year, row, content, await _events(conn, year, unit_id))


def _check_version(version: int | None, row, what: str) -> None:
    current = row["version"] if row else 0
    if version is None:
        raise PreconditionRequired(f"name the version of {what} you read (If-Match or version)")
    if version != current:
        raise PreconditionFailed(
            f"{what} changed since you read it (your version {version}, now {current}"
            + (f", by {row['updated_by']} at {row['updated_at'].isoformat()})" if row else ")"),
            {"version": current, "state": row["state"] if row else ReportState.draft.value},
        )


async def _event(conn, year, unit_id, action, state, note, actor: Actor, version) -> None:
    await conn.execute(
        """INSERT INTO unit_report_event (year, unit_id, action, state, note, actor, actor_role, at, version)
           VALUES ($1, $2, $3, $4, $5, $6, $7, clock_timestamp(), $8)""",
        year, unit_id, action, state, note, actor.username, actor.role.value, version,
    )  # fmt: skip
    # the audit trail holds every write, whatever its own history table
    after = {"state": state, "note": note, "version": version}
    await record_audit(conn, actor, f"unit_report.{action}", "unit_report", f"{year}/{unit_id}", None, after)


async def save_draft(
    conn: asyncpg.Connection,
    actor: Actor,
    year: int,
    unit_id: str,
    version: int | None,
    difficulties: str | None,
    proposals: str | None,
) -> dict:
    """Save the draft's difficulties and proposals (officer of the unit); a submitted report is locked."""
    unit_scope_check(actor, unit_id, f"the {year} report of unit {unit_id}", planners=False)
    difficulties = check_text(difficulties, "difficulties")
    proposals = check_text(proposals, "proposals")
    what = f"the {year} report of {unit_id}"
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"unit_report:{year}:{unit_id}")
        _, row = await _load(conn, year, unit_id)
        _check_version(version, row, what)
        if row is not None and row["state"] not in EDITABLE:
            raise Conflict(f"{what} is {row['state']}: it is locked until a planner returns it")
        state = row["state"] if row else ReportState.draft.value
        new_version = await conn.fetchval(
            """INSERT INTO unit_report
                   (year, unit_id, state, difficulties, proposals, version, updated_by, updated_at)
               VALUES ($1, $2, $3, $4, $5, 1, $6, clock_timestamp())
               ON CONFLICT (year, unit_id) DO UPDATE SET difficulties = $4, proposals = $5,
                   version = unit_report.version + 1, updated_by = $6, updated_at = clock_timestamp()
               RETURNING version""",
            year, unit_id, state, difficulties, proposals, actor.username,
        )  # fmt: skip
        await _event(conn, year, unit_id, "save", state, None, actor, new_version)
        await bump(conn, f"{what} saved by {actor.username}")
    return await get_unit_report(conn, actor, year, unit_id)


async def submit_report(
    conn: asyncpg.Connection, actor: Actor, year: int, unit_id: str, version: int | None
) -> dict:
    """Submit (officer of the unit): the content is frozen; after 20 October it is late by whole days."""
    unit_scope_check(actor, unit_id, f"submitting the {year} report of unit {unit_id}", planners=False)
    what = f"the {year} report of {unit_id}"
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"unit_report:{year}:{unit_id}")
        unit, row = await _load(conn, year, unit_id)
        _check_version(version, row, what)
        if row is None:
            raise Conflict(f"{what} has no draft yet: save the draft (PUT) before submitting")
        if row["state"] not in EDITABLE:
            raise Conflict(f"{what} is already {row['state']}")
        content = await unit_content(conn, year, unit)
        now = await conn.fetchval("SELECT clock_timestamp()")
        late = days_late(now, unit_deadline(year))
        new_version = await conn.fetchval(
            """UPDATE unit_report SET state = 'submitted', content = $3, submitted_at = $4, submitted_by = $5,
                   late_days = $6, version = version + 1, updated_by = $5, updated_at = $4
               WHERE year = $1 AND unit_id = $2 RETURNING version""",
            year, unit_id, content, now, actor.username, late,
        )  # fmt: skip
        note = f"late by {late} days" if late else "on time"
        await _event(conn, year, unit_id, "submit", ReportState.submitted.value, note, actor, new_version)
        await bump(conn, f"{what} submitted by {actor.username}")
    return await get_unit_report(conn, actor, year, unit_id)


async def decide_report(
    conn: asyncpg.Connection,
    actor: Actor,
    year: int,
    unit_id: str,
    version: int | None,
    accept: bool,
    reason: str | None = None,
) -> dict:
    """A planner accepts a submitted report, or returns it with a reason (the unit may then correct it)."""
    require_planning(actor, "accepting or returning a unit report")
    what = f"the {year} report of {unit_id}"
    reason = check_text(reason, "reason", MAX_REASON_CHARS)
    if not accept and not reason:
        raise InvalidParameter("reason is required: say what the unit must correct")
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"unit_report:{year}:{unit_id}")
        _, row = await _load(conn, year, unit_id)
        _check_version(version, row, what)
        if row is None or row["state"] != ReportState.submitted.value:
            raise Conflict(
                f"{what} is {row['state'] if row else 'not started'}: only a submitted report is decided"
            )
        state = ReportState.accepted if accept else ReportState.returned
        new_version = await conn.fetchval(
            """UPDATE unit_report SET state = $3, return_reason = $4, decided_at = clock_timestamp(),
                   decided_by = $5,
                   version = version + 1, updated_by = $5, updated_at = clock_timestamp()
               WHERE year = $1 AND unit_id = $2 RETURNING version""",
            year, unit_id, state.value, None if accept else reason, actor.username,
        )  # fmt: skip
        await _event(
            conn, year, unit_id, "accept" if accept else "return", state.value, reason, actor, new_version
        )
        await bump(conn, f"{what} {state.value} by {actor.username}")
    return await get_unit_report(conn, actor, year, unit_id)


async def report_board(conn: asyncpg.Connection, actor: Actor, year: int) -> dict:
    """Every unit that must report for ``year``: state, when submitted, late or missing, days to deadline."""
    require_planning(actor, "the report board")
    check_report_year(year, today_vn())
    day = unit_deadline(year)
    today = today_vn()
    units = await units_for_year(conn, year)
    rows = {
        r["unit_id"]: r
        for r in await conn.fetch(
            """SELECT unit_id, state, submitted_at, submitted_by, late_days, return_reason, decided_at,
                      version
               FROM unit_report WHERE year = $1""",
            year,
        )
    }
    board = []
    for unit in units:
        r = rows.get(unit["unit_id"])
        state = r["state"] if r else None
        sent = state in (ReportState.submitted.value, ReportState.accepted.value)
        board.append(
            {
                "unit_id": unit["unit_id"],
                "name_vi": unit["name_vi"],
                "kind": unit["kind"],
                "state": state,
                "submitted_at": r["submitted_at"] if r else None,
                "late_days": r["late_days"] if r else None,
                "late": bool(r and r["late_days"]),
                "missing": not sent and today > day,
                "return_reason": r["return_reason"] if r else None,
                "version": r["version"] if r else 0,
            }
        )
    counts = {s.value: sum(b["state"] == s.value for b in board) for s in ReportState}
    counts.update(
        units=len(board),
        not_started=sum(b["state"] is None for b in board),
        late=sum(b["late"] for b in board),
        missing=sum(b["missing"] for b in board),
    )
    return {
        "year": year,
        "deadline": day.isoformat(),
        "province_deadline": date(year, *PROVINCE_REPORT_DAY).isoformat(),
        "days_to_deadline": (day - today).days,
        "units": board,
        "counts": counts,
        "states": [{"id": s.value, "title_vi": REPORT_STATE_TITLES_VI[s]} for s in ReportState],
    }


async def consolidation(conn: asyncpg.Connection, actor: Actor, year: int) -> dict:
    """The province report's data: accepted unit reports, the units still missing, the targets' year."""
    board = await report_board(conn, actor, year)
    accepted = []
    for b in board["units"]:
        if b["state"] == ReportState.accepted.value:
            row = await conn.fetchrow(_REPORT_ROW, year, b["unit_id"])
            accepted.append(
                {
                    "unit_id": b["unit_id"],
                    "name_vi": b["name_vi"],
                    "submitted_at": row["submitted_at"],
                    "late_days": row["late_days"],
                    "difficulties": row["difficulties"],
                    "proposals": row["proposals"],
                    **row["content"],
                }
            )
    missing = [b for b in board["units"] if b["state"] != ReportState.accepted.value]
    targets = [assess(r[0]) for r in await conn.fetch(_TARGET + " ORDER BY t.target_id")]
    return {
        "year": year,
        "deadline": board["deadline"],
        "province_deadline": board["province_deadline"],
        "board": board,
        "accepted": accepted,
        "not_accepted": missing,
        "targets": targets,
    }


async def unit_document_data(conn: asyncpg.Connection, actor: Actor, year: int, unit_id: str) -> dict:
    """One unit's report shaped like a consolidation of one, for its XLSX."""
    report = await get_unit_report(conn, actor, year, unit_id)
    return {
        "year": year,
        "deadline": report["deadline"],
        "province_deadline": date(year, *PROVINCE_REPORT_DAY).isoformat(),
        "board": None,
        "accepted": [
            {
                "unit_id": unit_id,
                "name_vi": report["unit"]["name_vi"],
                "submitted_at": report["submitted_at"],
                "late_days": report["late_days"],
                "difficulties": report["difficulties"],
                "proposals": report["proposals"],
                "state": report["state"],
                "as_of": report["as_of"],
                "tasks": report["tasks"],
                "projects": report["projects"],
                "indicators": report["indicators"],
            }
        ],
        "not_accepted": [],
        "targets": [],
    }
