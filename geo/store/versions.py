"""Data versions: one overall counter and, per data area, the version at which the area last changed.

Every write calls ``bump`` (or ``bump_async``) in its own transaction with the areas it changed: the
overall ``data_version`` goes up by one and those areas take the new value. So an area's version is
the overall version of its last change: comparable across areas, and the maximum over the areas a
response reads is a version that moves exactly when that response may change (its ETag).
"""

from enum import StrEnum

import asyncpg
from sqlalchemy import Connection, text


class Area(StrEnum):
    """What a write can change; readers depend on some of them."""

    admin_units = "admin_units"  # admin_unit, admin_crosswalk
    catalog = "catalog"  # map_sheet and the sheet_layer declarations
    plan_layers = "plan_layers"  # the features of the layers.* tables and their stored tiles
    zones = "zones"  # zone
    projects = "projects"  # project records and their status history
    project_places = "project_places"  # project geometries (what screening reads of a project)
    rules = "rules"  # conflict_rule
    plan_facts = "plan_facts"  # plan_target, target_actual, land_use_figure, land_use_code, protected_area
    monitoring = "monitoring"  # the yearly cycle: reporting units, tasks, target actuals, unit reports


_BUMP_SQL = """
WITH v AS (
    UPDATE data_version SET version = version + 1, changed_at = now(), note = {note}
    WHERE id = 1 RETURNING version, changed_at
), a AS (
    INSERT INTO data_area_version (area, version, changed_at, note)
    SELECT area, v.version, v.changed_at, {note} FROM v, unnest(CAST({areas} AS text[])) AS area
    ON CONFLICT (area) DO UPDATE SET version = EXCLUDED.version, changed_at = EXCLUDED.changed_at,
                                     note = EXCLUDED.note
)
SELECT version FROM v
"""
_VERSIONS_SQL = "SELECT area, version FROM data_area_version"


def _areas(areas: Area | str | tuple | list | set) -> list[str]:
    names = [areas] if isinstance(areas, str) else list(areas)
    return sorted({str(Area(a)) for a in names})


def bump(conn: Connection, areas, note: str) -> int:
    """Bump the overall version and ``areas`` in the caller's transaction (SQLAlchemy); the new version."""
    return conn.execute(
        text(_BUMP_SQL.format(note="CAST(:note AS text)", areas=":areas")),
        {"note": note[:1000], "areas": _areas(areas)},
    ).scalar_one()


async def bump_async(conn: asyncpg.Connection, areas, note: str) -> int:
    """The same as ``bump`` on an asyncpg connection (call it inside the command's transaction)."""
    return await conn.fetchval(_BUMP_SQL.format(note="$1::text", areas="$2"), note[:1000], _areas(areas))


async def area_versions(conn: asyncpg.Connection) -> dict[str, int]:
    """Every area's version (one tiny query; areas never bumped are absent)."""
    return {r["area"]: r["version"] for r in await conn.fetch(_VERSIONS_SQL)}


def area_versions_sync(conn: Connection) -> dict[str, int]:
    """``area_versions`` on a SQLAlchemy connection."""
    return {r.area: r.version for r in conn.execute(text(_VERSIONS_SQL))}


ALL_AREAS = tuple(Area)
