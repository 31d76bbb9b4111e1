"""Reporting units with their validity and the report deadline (who may act for one: geo.plan.scope)."""

from datetime import date, datetime, time, timedelta, timezone

import asyncpg

from geo.errors import InvalidParameter, NotFound

VIETNAM_TIME = timezone(timedelta(hours=7))
# Plan 56/KH-UBND §V.1: units report before 20 October; the Department consolidates before 31 October.
UNIT_REPORT_DAY = (10, 20)
PROVINCE_REPORT_DAY = (10, 31)
FIRST_REPORT_YEAR = 2024  # the plan was issued on 29/01/2024
MAX_REPORT_YEARS_AHEAD = 1

UNIT_JSON = """jsonb_build_object('unit_id', u.unit_id, 'kind', u.kind, 'name_vi', u.name_vi,
    'name_en', u.name_en, 'valid_from', u.valid_from, 'valid_to', u.valid_to, 'source', u.source,
    'notes', u.notes)"""


def unit_deadline(year: int) -> date:
    """The day a unit's report for ``year`` is due (20 October)."""
    return date(year, *UNIT_REPORT_DAY)


def deadline_end(day: date) -> datetime:
    """The end of ``day`` in Vietnam: a report made before it is on time."""
    return datetime.combine(day + timedelta(days=1), time(0), VIETNAM_TIME)


def days_late(submitted_at: datetime, day: date) -> int:
    """Whole days after ``day`` (Vietnam time) that ``submitted_at`` falls on; 0 when on time."""
    return max(0, (submitted_at.astimezone(VIETNAM_TIME).date() - day).days)


def check_report_year(year: int, today: date) -> int:
    """A cycle year: from the plan's first cycle (2024) to next year; 400 otherwise."""
    last = today.year + MAX_REPORT_YEARS_AHEAD
    if not FIRST_REPORT_YEAR <= year <= last:
        raise InvalidParameter(f"year must be between {FIRST_REPORT_YEAR} and {last}; got {year}")
    return year


async def units_for_year(conn: asyncpg.Connection, year: int) -> list[dict]:
    """The units that must report for ``year``: those in force on that year's deadline."""
    return await conn.fetchval(
        f"""SELECT coalesce(jsonb_agg({UNIT_JSON} ORDER BY u.kind = 'agency', u.unit_id), '[]'::jsonb)
            FROM reporting_unit u
            WHERE (u.valid_from IS NULL OR u.valid_from <= $1)
              AND (u.valid_to IS NULL OR u.valid_to >= $1)""",
        unit_deadline(year),
    )


async def list_units(conn: asyncpg.Connection) -> list[dict]:
    """Every reporting unit with its validity and source."""
    return await conn.fetchval(
        f"SELECT coalesce(jsonb_agg({UNIT_JSON} ORDER BY u.kind, u.unit_id), '[]'::jsonb) "
        "FROM reporting_unit u"
    )


async def get_unit(conn: asyncpg.Connection, unit_id: str) -> dict:
    """One reporting unit; 404 naming it when unknown."""
    unit = await conn.fetchval(f"SELECT {UNIT_JSON} FROM reporting_unit u WHERE u.unit_id = $1", unit_id)
    if unit is None:
        raise NotFound(f"reporting unit {unit_id!r} does not exist (see /api/reporting-units)")
    return unit
