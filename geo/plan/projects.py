"""Projects of the plan: list with counts, full record, status changes with history, districts, report."""

from datetime import date, datetime, time, timedelta, timezone
from typing import NoReturn

import asyncpg

from geo.errors import InvalidParameter, NotFound, PreconditionFailed, PreconditionRequired, Unauthenticated
from geo.plan.actor import Actor
from geo.plan.audit import record_audit
from geo.plan.scope import project_scope_check
from geo.store.text import check_finite, check_text
from geo.store.units import REFORM_START_SQL, resolve_district
from geo.store.versions import Area, bump_async
from geo.store.vocabulary import ProjectStatus

PROJECT_STATUSES = tuple(s.value for s in ProjectStatus)
MAX_NOTE_CHARS = 2000
# The province collects implementation reports by 20 October; a report is "as of" the end of that day.
REPORT_DAY = (10, 20)
VIETNAM_TIME = timezone(timedelta(hours=7))


_PRE_2025_DISTRICT = f"u.level = 'district' AND (u.valid_from IS NULL OR u.valid_from < {REFORM_START_SQL})"

_BBOX = """
    CASE WHEN {g} IS NULL THEN NULL ELSE jsonb_build_array(
        round(ST_XMin({g})::numeric, 6), round(ST_YMin({g})::numeric, 6),
        round(ST_XMax({g})::numeric, 6), round(ST_YMax({g})::numeric, 6)) END
"""
_CENTROID = """
    CASE WHEN {g} IS NULL THEN NULL ELSE jsonb_build_array(
        round(ST_X(ST_Centroid({g}))::numeric, 6), round(ST_Y(ST_Centroid({g}))::numeric, 6)) END
"""

_SUMMARY = f"""
    jsonb_build_object(
        'project_id', p.project_id, 'name_vi', p.name_vi, 'name_ascii', p.name_ascii, 'sector', p.sector,
        'is_category', p.is_category, 'district_codes', to_jsonb(p.district_codes),
        'districts_text', p.districts_text, 'commune_code', p.commune_code, 'commune_name', p.commune_name,
        'zone_id', p.zone_id, 'period', p.period, 'status', p.status, 'status_note', p.status_note,
        'status_note_vi', p.status_note_vi,
        'progress_pct', p.progress_pct, 'confidence', p.confidence, 'is_synthetic', p.is_synthetic,
        'geometry_quality', p.geometry_quality, 'location_level', p.location_level,
        'geometry_note', p.geometry_note,
        'geometry_note_vi', p.geometry_note_vi, 'source_url', p.source_url, 'updated_at', p.updated_at,
        'bbox', {_BBOX.format(g="p.geom")}, 'centroid', {_CENTROID.format(g="p.geom")})
"""

_FILTER = """
    ($1::text IS NULL OR $1 = ANY(p.district_codes))
    AND ($2::text IS NULL OR p.status = $2)
    AND ($3::text IS NULL OR strpos(fold_vi(coalesce(p.sector, '')), fold_vi($3)) > 0)
    AND ($4::text IS NULL OR strpos(fold_vi(p.name_vi), fold_vi($4)) > 0
         OR strpos(fold_vi(p.project_id), fold_vi($4)) > 0)
"""

_LIST = f"""
WITH chosen AS (SELECT p.* FROM project p WHERE {_FILTER})
SELECT
    (SELECT coalesce(jsonb_agg({_SUMMARY} ORDER BY p.project_id), '[]'::jsonb) FROM chosen p) AS projects,
    (SELECT coalesce(jsonb_object_agg(status, n), '{{}}'::jsonb)
       FROM (SELECT status, count(*) AS n FROM chosen GROUP BY status) s) AS by_status,
    (SELECT coalesce(jsonb_object_agg(sector, n), '{{}}'::jsonb)
       FROM (SELECT coalesce(sector, '') AS sector, count(*) AS n FROM chosen GROUP BY 1) s) AS by_sector,
    (SELECT coalesce(jsonb_object_agg(code, n), '{{}}'::jsonb)
       FROM (SELECT code, count(*) AS n FROM chosen, unnest(chosen.district_codes) AS code GROUP BY code) s)
       AS by_district
"""

_RECORD = f"""
SELECT (to_jsonb(p) - 'geom' - 'name_fold') || jsonb_build_object(
        'bbox', {_BBOX.format(g="p.geom")},
        'centroid', {_CENTROID.format(g="p.geom")},
        'geometry', ST_AsGeoJSON(p.geom, 6)::jsonb,
        'zone', (SELECT jsonb_build_object('zone_id', z.zone_id, 'name_vi', z.name_vi, 'kind', z.kind,
                                            'geometry_quality', z.geometry_quality)
                 FROM zone z WHERE z.zone_id = p.zone_id),
        'districts', (SELECT coalesce(jsonb_agg(jsonb_build_object('code', c.code, 'name', u.name,
                                                                   'full_name', u.full_name)
                                                ORDER BY c.ord), '[]'::jsonb)
                      FROM unnest(p.district_codes) WITH ORDINALITY AS c(code, ord)
                      LEFT JOIN admin_unit u ON u.code = c.code AND {_PRE_2025_DISTRICT}))
FROM project p WHERE p.project_id = $1
"""

# the audit action of a planner placing a project (geo.plan.places); who and when live only there
PLACE_ACTION = "project.geometry"

# every placement of a project, newest first, as the audit trail recorded it (the one home of who/when)
_PLACEMENTS = f"""
SELECT coalesce(jsonb_agg(jsonb_build_object(
           'username', a.username, 'display_name', u.display_name, 'role', a.role,
           'verified', a.user_id IS NOT NULL, 'at', a.at, 'repaired', a.after -> 'repaired',
           'geometry_quality', a.after ->> 'geometry_quality') ORDER BY a.id DESC), '[]'::jsonb)
FROM audit_event a LEFT JOIN app_user u ON u.user_id = a.user_id
WHERE a.object_type = 'project' AND a.object_id = $1 AND a.action = '{PLACE_ACTION}'
"""

# recorded_by of the events the loader writes: the status as the sources published it, recorded at load time
LOADER_RECORDED_BY = "planview load"

_HISTORY = f"""
SELECT coalesce(jsonb_agg(jsonb_build_object(
           'id', e.id, 'status', e.status, 'progress_pct', e.progress_pct, 'note', e.note,
           'recorded_by', e.recorded_by, 'recorded_at', e.recorded_at, 'source', e.source,
           'from_sources', e.recorded_by = '{LOADER_RECORDED_BY}',
           -- the author as the audit trail knows them: the logged-in account that made the change
           'author', (SELECT jsonb_build_object('username', a.username, 'role', a.role,
                                                'display_name', u.display_name,
                                                'verified', a.user_id IS NOT NULL)
                      FROM audit_event a LEFT JOIN app_user u ON u.user_id = a.user_id
                      WHERE a.object_type = 'project' AND a.object_id = e.project_id
                        AND a.action = 'project.status'
                        AND (a.after ->> 'data_version')::bigint = e.data_version
                      ORDER BY a.id DESC LIMIT 1),
           'data_version', e.data_version) ORDER BY e.recorded_at DESC, e.id DESC), '[]'::jsonb)
FROM project_status_event e WHERE e.project_id = $1
"""

_DISTRICTS = f"""
SELECT coalesce(jsonb_agg(jsonb_build_object(
           'code', u.code, 'name', u.name, 'full_name', u.full_name, 'name_ascii', u.name_ascii,
           'unit_type', u.unit_type, 'area_km2', u.area_km2,
           'bbox', {_BBOX.format(g="u.geom")}, 'centroid', {_CENTROID.format(g="u.geom")},
           'project_count', (SELECT count(*) FROM project p WHERE u.code = ANY(p.district_codes)),
           'zone_count', (SELECT count(*) FROM zone z WHERE z.district_code = u.code))
       ORDER BY u.code), '[]'::jsonb)
FROM (SELECT DISTINCT ON (u.code) u.* FROM admin_unit u WHERE {_PRE_2025_DISTRICT}
      ORDER BY u.code, u.valid_to DESC NULLS FIRST) u
"""

# Status at the report date = the newest event recorded up to then.
_REPORT = """
SELECT p.project_id, p.name_vi, p.sector, p.districts_text, p.district_codes, p.is_category,
       p.status AS status_now, p.progress_pct::float8 AS progress_now,
       last.status AS status_at, last.progress_pct::float8 AS progress_at, last.recorded_at AS last_update,
       last.recorded_by AS last_recorded_by, last.source AS last_source, last.note AS last_note,
       (SELECT count(*) FROM project_status_event e
         WHERE e.project_id = p.project_id AND e.recorded_at >= $2 AND e.recorded_at < $3) AS updates_in_year
FROM project p
LEFT JOIN LATERAL (
    SELECT e.* FROM project_status_event e
    WHERE e.project_id = p.project_id AND e.recorded_at < $3
    ORDER BY e.recorded_at DESC, e.id DESC LIMIT 1
) last ON true
WHERE ($1::text IS NULL OR $1 = ANY(p.district_codes))
ORDER BY p.project_id
"""


def check_status(status: str | None, field: str = "status") -> str | None:
    """The status if it is in the vocabulary; 400 naming the valid ones otherwise."""
    if status is None or status == "":
        return None
    if status not in PROJECT_STATUSES:
        raise InvalidParameter(
            f"{field}: {status!r} is not a project status; use one of {', '.join(PROJECT_STATUSES)}"
        )
    return status


async def list_projects(
    conn: asyncpg.Connection,
    district: str | None = None,
    status: str | None = None,
    sector: str | None = None,
    q: str | None = None,
) -> dict:
    """Projects matching the filters, with counts by status, sector and district over the same set."""
    code = await resolve_district(conn, district)
    status = check_status(status)
    check_text("sector", sector)
    check_text("q", q)
    row = await conn.fetchrow(_LIST, code, status, (sector or "").strip() or None, (q or "").strip() or None)
    return {
        "projects": row["projects"],
        "counts": {
            "total": len(row["projects"]),
            "by_status": row["by_status"],
            "by_sector": row["by_sector"],
            "by_district": row["by_district"],
        },
        "filters": {"district": code, "status": status, "sector": sector, "q": q},
    }


async def project_history(conn: asyncpg.Connection, project_id: str) -> list[dict]:
    """The status events of a project, newest first; 404 when the project does not exist."""
    if not await conn.fetchval("SELECT true FROM project WHERE project_id = $1", project_id):
        raise NotFound(f"project {project_id!r} does not exist")
    return await conn.fetchval(_HISTORY, project_id)


async def get_project(conn: asyncpg.Connection, project_id: str) -> dict:
    """The full record of a project: its zone, districts, status history and placements (newest first)."""
    record = await conn.fetchval(_RECORD, project_id)
    if record is None:
        raise NotFound(f"project {project_id!r} does not exist")
    record["history"] = await conn.fetchval(_HISTORY, project_id)
    record["placements"] = await conn.fetchval(_PLACEMENTS, project_id)
    return record


def require_version(project_id: str, expected_version: int | None) -> None:
    """428 when a write to a project does not say which version it read."""
    if expected_version is None:
        raise PreconditionRequired(
            "say which version you read: send If-Match with the ETag of GET /api/projects/"
            f"{project_id} (or 'version' in the body)"
        )


async def refuse_stale(
    conn: asyncpg.Connection, project_id: str, expected: int, current_version: int
) -> NoReturn:
    """412 with the current record, naming who changed the project last (from the audit trail)."""
    current = await get_project(conn, project_id)
    last = await conn.fetchrow(
        """SELECT coalesce(u.display_name, a.username) AS who, a.at FROM audit_event a
           LEFT JOIN app_user u ON u.user_id = a.user_id
           WHERE a.object_type = 'project' AND a.object_id = $1 ORDER BY a.id DESC LIMIT 1""",
        project_id,
    )
    who, at = (last["who"], last["at"].isoformat()) if last else ("planview load", "load time")
    raise PreconditionFailed(
        f"project {project_id} was changed by {who} at {at} since you read it (you read version "
        f"{expected}, it is now {current_version}); nothing was written",
        current,
    )


def check_status_change(
    status: str | None, progress_pct: float | None, note: str | None, recorded_by: str | None
) -> tuple[str, float | None, str | None, str]:
    """Validate a status change; returns the cleaned values or raises InvalidParameter."""
    if not status:
        raise InvalidParameter("status is required")
    check_status(status)
    check_finite("progress_pct", progress_pct)
    check_text("note", note)
    check_text("recorded_by", recorded_by)
    if progress_pct is not None and not 0 <= progress_pct <= 100:
        raise InvalidParameter(f"progress_pct must be between 0 and 100, got {progress_pct}")
    recorded_by = (recorded_by or "").strip()
    if not recorded_by:
        raise InvalidParameter("recorded_by is required: say who reports this change")
    if note is not None and len(note) > MAX_NOTE_CHARS:
        raise InvalidParameter(f"note: at most {MAX_NOTE_CHARS} characters, got {len(note)}")
    return status, progress_pct, (note or None), recorded_by


async def record_status(
    conn: asyncpg.Connection,
    actor: Actor,
    project_id: str,
    status: str | None,
    progress_pct: float | None = None,
    note: str | None = None,
    recorded_by: str | None = None,
    source: str = "api",
    expected_version: int | None = None,
) -> dict:
    """The status command: check → event + project → audit row → bump ``projects``, one transaction.

    For an account (``actor.user_id``) the scope is checked, the version it read is required
    (``expected_version``: 428 when missing, 412 with the current record when stale) and the event
    names the account itself; ``recorded_by`` is only for system actors (loader, tests). Returns
    the project record.
    """
    if actor.is_anonymous:
        raise Unauthenticated("log in to change a project's status")
    if actor.user_id is not None:
        await project_scope_check(conn, actor, project_id)
        require_version(project_id, expected_version)
        recorded_by = actor.display_name or actor.username
    status, progress_pct, note, recorded_by = check_status_change(status, progress_pct, note, recorded_by)
    async with conn.transaction():
        before = await conn.fetchrow(
            "SELECT status, progress_pct::float8 AS progress_pct, status_note, version FROM project "
            "WHERE project_id = $1 FOR UPDATE",
            project_id,
        )
        if before is None:
            raise NotFound(f"project {project_id!r} does not exist")
        if expected_version is not None and expected_version != before["version"]:
            await refuse_stale(conn, project_id, expected_version, before["version"])
        # a status is not a place: screening's inputs (and its stored results) stay as they are
        version = await bump_async(
            conn, Area.projects, f"status of {project_id} set to {status} by {recorded_by}"
        )
        await conn.execute(
            """INSERT INTO project_status_event
                   (project_id, status, progress_pct, note, recorded_by, recorded_at, source, data_version)
               VALUES ($1, $2, $3, $4, $5, clock_timestamp(), $6, $7)""",
            project_id,
            status,
            progress_pct,
            note,
            recorded_by,
            source,
            version,
        )
        # progress is kept when the change does not give one: a status change alone says nothing about it;
        # the old status note is replaced (it described the old status and stays in the history); its
        # Vietnamese wording went with it
        after = await conn.fetchrow(
            """UPDATE project SET status = $2, progress_pct = coalesce($3, progress_pct),
                                  status_note = $4, status_note_vi = NULL, updated_at = now(),
                                  version = version + 1
               WHERE project_id = $1
               RETURNING status, progress_pct::float8 AS progress_pct, status_note, version""",
            project_id,
            status,
            progress_pct,
            note,
        )
        await record_audit(
            conn,
            actor,
            "project.status",
            "project",
            project_id,
            dict(before),
            {**dict(after), "recorded_by": recorded_by, "data_version": version},
        )
    return await get_project(conn, project_id)


async def list_districts(conn: asyncpg.Connection) -> list[dict]:
    """The pre-2025 districts with bbox, centroid and how many projects and zones each has."""
    return await conn.fetchval(_DISTRICTS)


def check_year(year: int) -> int:
    """A plausible report year (the plan runs 2021–2030, reports may come later)."""
    if not 2021 <= year <= 2100:
        raise InvalidParameter(f"year must be between 2021 and 2100, got {year}")
    return year


async def implementation_report(conn: asyncpg.Connection, year: int, district: str | None = None) -> dict:
    """Per project: status as of 20 October of ``year``, last update, and whether updated that year."""
    check_year(year)
    code = await resolve_district(conn, district)
    year_start = datetime.combine(date(year, 1, 1), time(0), VIETNAM_TIME)
    as_of_end = datetime.combine(date(year, *REPORT_DAY) + timedelta(days=1), time(0), VIETNAM_TIME)
    rows = await conn.fetch(_REPORT, code, year_start, as_of_end)
    projects = [
        {
            "project_id": r["project_id"],
            "name_vi": r["name_vi"],
            "sector": r["sector"],
            "districts_text": r["districts_text"],
            "district_codes": list(r["district_codes"]),
            "is_category": r["is_category"],
            "status_at": r["status_at"],
            "progress_pct_at": r["progress_at"],
            "last_update": r["last_update"].isoformat() if r["last_update"] else None,
            "last_recorded_by": r["last_recorded_by"],
            "last_source": r["last_source"],
            "updated_in_year": r["updates_in_year"] > 0,
            "updates_in_year": r["updates_in_year"],
            "status_now": r["status_now"],
        }
        for r in rows
    ]
    return {
        "year": year,
        "as_of": date(year, *REPORT_DAY).isoformat(),
        "district": code,
        "projects": projects,
        "summary": {
            "projects": len(projects),
            "updated_in_year": sum(p["updated_in_year"] for p in projects),
            "no_record_by_date": sum(p["status_at"] is None for p in projects),
        },
        "note": (
            "status_at is the newest status recorded on or before the report date; it is null where nothing "
            "was recorded by then (the shipped statuses date from when the data were loaded), see status_now"
        ),
    }
