"""Who may act on what: the one place that checks an actor's role and reporting-unit scope.

Rules (README "Roles"): anonymous reads only; an officer acts for the reporting units of the account —
a pre-2025 district (``066`` Na Rì), a 2025 commune-level unit (its ``admin_unit`` code) or a provincial
agency (``SKHDT``); a planner acts on every project; an admin may do all a planner may, and manages
accounts. Scope follows the 2025 crosswalk: a 2025 unit's officer acts on projects located in the
pre-2025 communes that form it; an agency's officer on projects whose responsible agency it is.
Province-wide categories (``is_category``) belong to no unit: planners only.
"""

import asyncpg

from geo.errors import Forbidden, NotFound, Unauthenticated
from geo.plan.actor import Actor, Role

PLANNING_ROLES = (Role.planner, Role.admin)

# the pre-2025 communes a project lies in: its own commune, its zone's, and those its geometry touches
# when that geometry is a real place (exact or digitised), never an approximate footprint
_PROJECT_UNITS = """
WITH p AS (SELECT * FROM project WHERE project_id = $1),
communes AS (
    SELECT p.commune_code AS code FROM p WHERE p.commune_code IS NOT NULL
    UNION SELECT z.commune_code FROM p JOIN zone z ON z.zone_id = p.zone_id WHERE z.commune_code IS NOT NULL
    UNION SELECT u.code FROM p JOIN admin_unit u
          ON u.level = 'commune' AND u.valid_from IS NULL AND ST_Intersects(u.geom, p.geom)
          WHERE p.geometry_quality IN ('exact', 'digitised')
)
SELECT p.project_id, p.is_category, p.district_codes, p.agency_id,
       ARRAY(SELECT code FROM communes ORDER BY code) AS communes_2009,
       ARRAY(SELECT DISTINCT x.new_code FROM admin_crosswalk x
             JOIN communes c ON c.code = x.old_code AND x.old_period = '2009'
             ORDER BY x.new_code) AS units_2025
FROM p
"""


def require_login(actor: Actor) -> Actor:
    """The actor if logged in; 401 otherwise."""
    if actor.is_anonymous:
        raise Unauthenticated("log in first: this needs an account (POST /api/auth/login or a Bearer token)")
    return actor


def require_role(actor: Actor, *roles: Role) -> Actor:
    """401 when anonymous, 403 naming the roles needed when the actor has none of them."""
    require_login(actor)
    if actor.role not in roles:
        raise Forbidden(
            f"role {actor.role.value} may not do this; needs role {' or '.join(r.value for r in roles)}"
        )
    return actor


def is_planning(actor: Actor) -> bool:
    """True for planners and admins (they act on every project and unit)."""
    return actor.role in PLANNING_ROLES


def may_act_for_unit(actor: Actor, unit_id: str) -> bool:
    """May ``actor`` act for reporting unit ``unit_id`` (district code, 2025 unit code or agency id)?"""
    if actor.is_anonymous:
        return False
    return is_planning(actor) or unit_id in actor.units


def unit_scope_check(actor: Actor, unit_id: str) -> Actor:
    """401 when anonymous; 403 naming the unit when the actor may not act for it."""
    require_login(actor)
    if not may_act_for_unit(actor, unit_id):
        raise Forbidden(
            f"needs scope {unit_id}: {actor.username} ({actor.role.value}) acts for "
            f"{', '.join(actor.units) or 'no unit'}"
        )
    return actor


async def project_units(conn: asyncpg.Connection, project_id: str) -> dict:
    """The reporting units a project belongs to: districts, pre-2025 communes, 2025 units, agency."""
    row = await conn.fetchrow(_PROJECT_UNITS, project_id)
    if row is None:
        raise NotFound(f"project {project_id!r} does not exist")
    return {
        "project_id": row["project_id"],
        "is_category": row["is_category"],
        "districts": list(row["district_codes"] or ()),
        "communes_2009": list(row["communes_2009"]),
        "units_2025": list(row["units_2025"]),
        "agency": row["agency_id"],
    }


def _scope_units(units: dict) -> list[str]:
    return units["districts"] + units["units_2025"] + ([units["agency"]] if units["agency"] else [])


def project_scope_missing(actor: Actor, units: dict) -> str | None:
    """None when ``actor`` may change the project of ``units``; otherwise the scope it lacks, in words."""
    if is_planning(actor):
        return None
    if units["is_category"]:
        return f"role planner (project {units['project_id']} is a province-wide category)"
    needed = _scope_units(units)
    if set(needed) & set(actor.units):
        return None
    return f"scope {' or '.join(needed) or 'planner'} (project {units['project_id']})"


async def project_scope_check(conn: asyncpg.Connection, actor: Actor, project_id: str) -> dict:
    """401 when anonymous, 404 for an unknown project, 403 naming the missing scope; returns its units."""
    require_login(actor)
    units = await project_units(conn, project_id)
    missing = project_scope_missing(actor, units)
    if missing:
        raise Forbidden(
            f"needs {missing}: {actor.username} ({actor.role.value}) acts for "
            f"{', '.join(actor.units) or 'no unit'}"
        )
    return units


async def editable_projects(conn: asyncpg.Connection, actor: Actor) -> list[str] | str:
    """The ids of the projects ``actor`` may change ("all" for planners and admins, [] when anonymous)."""
    if actor.is_anonymous:
        return []
    if is_planning(actor):
        return "all"
    ids = await conn.fetchval("SELECT coalesce(array_agg(project_id ORDER BY project_id), '{}') FROM project")
    allowed = []
    for project_id in ids:
        if project_scope_missing(actor, await project_units(conn, project_id)) is None:
            allowed.append(project_id)
    return allowed


ROLE_LABELS = {
    Role.anonymous: ("Khách (chưa đăng nhập)", "Visitor (not logged in)", "reads the public plan"),
    Role.officer: ("Cán bộ đơn vị", "Unit officer", "changes the projects of the account's reporting units"),
    Role.planner: ("Chuyên viên quy hoạch", "Planner", "changes every project, places them, reads the audit"),
    Role.admin: ("Quản trị", "Administrator", "all a planner may; accounts and tokens (command line)"),
}


def role_labels() -> dict[str, dict[str, str]]:
    """Each role's name in Vietnamese and English and what it may do (served to the page)."""
    return {role.value: {"vi": vi, "en": en, "may": may} for role, (vi, en, may) in ROLE_LABELS.items()}
