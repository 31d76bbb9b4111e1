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
# who may place projects on the map (issue 10: planners keep "project locations"; admins all a planner may)
PLACING_ROLES = PLANNING_ROLES

# the pre-2025 communes each project of {projects} lies in: its own commune, its zone's, and those its
# geometry touches when that geometry is a real place (exact or digitised), never an approximate footprint
_PROJECT_COMMUNES = """
    SELECT p.project_id, p.commune_code AS code FROM {projects} p WHERE p.commune_code IS NOT NULL
    UNION SELECT p.project_id, z.commune_code FROM {projects} p JOIN zone z ON z.zone_id = p.zone_id
          WHERE z.commune_code IS NOT NULL
    UNION SELECT p.project_id, u.code FROM {projects} p JOIN admin_unit u
          ON u.level = 'commune' AND u.valid_from IS NULL AND ST_Intersects(u.geom, p.geom)
          WHERE p.geometry_quality IN ('exact', 'digitised')
"""

_PROJECT_UNITS = f"""
WITH p AS (SELECT * FROM project WHERE project_id = $1),
communes AS ({_PROJECT_COMMUNES.format(projects="p")})
SELECT p.project_id, p.is_category, p.district_codes, p.agency_id,
       ARRAY(SELECT code FROM communes ORDER BY code) AS communes_2009,
       ARRAY(SELECT DISTINCT x.new_code FROM admin_crosswalk x
             JOIN communes c ON c.code = x.old_code AND x.old_period = '2009'
             ORDER BY x.new_code) AS units_2025
FROM p
"""

# the projects an officer of units $1 may change, in one statement: the rule of project_scope_missing
# (a district, a 2025 unit through the crosswalk of the project's communes, or the responsible agency;
# never a province-wide category)
_EDITABLE_PROJECTS = f"""
WITH communes AS ({_PROJECT_COMMUNES.format(projects="project")})
SELECT coalesce(array_agg(p.project_id ORDER BY p.project_id), '{{}}')
FROM project p
WHERE NOT p.is_category
  AND (p.district_codes && $1::text[]
       OR p.agency_id = ANY($1::text[])
       OR EXISTS (SELECT 1 FROM communes c
                  JOIN admin_crosswalk x ON x.old_code = c.code AND x.old_period = '2009'
                  WHERE c.project_id = p.project_id AND x.new_code = ANY($1::text[])))
"""


def require_login(actor: Actor) -> Actor:
    """The actor if logged in; 401 otherwise."""
    if actor.is_anonymous:
        raise Unauthenticated("log in first: this needs an account (POST /api/auth/login or a Bearer token)")
    return actor


def require_role(actor: Actor, *roles: Role, what: str | None = None) -> Actor:
    """401 when anonymous, 403 naming the roles needed (and ``what`` needs them) when the actor has none."""
    require_login(actor)
    if actor.role not in roles:
        needs = f"needs role {' or '.join(r.value for r in roles)}"
        if what:
            raise Forbidden(f"{what} {needs}; {actor.username} is {actor.role.value}")
        raise Forbidden(f"role {actor.role.value} may not do this; {needs}")
    return actor


def require_planning(actor: Actor, what: str | None = None) -> Actor:
    """401 when anonymous, 403 unless the actor is a planner or an admin."""
    return require_role(actor, *PLANNING_ROLES, what=what)


def is_planning(actor: Actor) -> bool:
    """True for planners and admins (they act on every project and unit)."""
    return actor.role in PLANNING_ROLES


def may_place_projects(actor: Actor) -> bool:
    """May ``actor`` draw, edit or upload a project's place? (planners and admins)"""
    return actor.role in PLACING_ROLES


def may_act_for_unit(actor: Actor, unit_id: str, planners: bool = True) -> bool:
    """May ``actor`` act for reporting unit ``unit_id`` (district code, 2025 unit code or agency id)?

    An officer of the unit may; planners and admins too unless ``planners`` is False (what only the
    unit itself does, e.g. its own yearly report or its tasks).
    """
    if actor.is_anonymous:
        return False
    if planners and is_planning(actor):
        return True
    return actor.role is Role.officer and unit_id in actor.units


def unit_scope_check(actor: Actor, unit_id: str, what: str = "this", planners: bool = True) -> Actor:
    """401 when anonymous; 403 naming the unit (and ``what`` needs it) when the actor may not act for it."""
    require_login(actor)
    if not may_act_for_unit(actor, unit_id, planners):
        raise Forbidden(
            f"{what} needs scope {unit_id} (an officer of unit {unit_id}"
            + (" or a planner" if planners else "")
            + f"); {actor.username} ({actor.role.value}) acts for {', '.join(actor.units) or 'no unit'}"
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
    return list(await conn.fetchval(_EDITABLE_PROJECTS, list(actor.units)))


ROLE_LABELS = {
    Role.anonymous: ("Khách (chưa đăng nhập)", "Visitor (not logged in)", "reads the public plan"),
    Role.officer: ("Cán bộ đơn vị", "Unit officer", "changes the projects of the account's reporting units"),
    Role.planner: ("Chuyên viên quy hoạch", "Planner", "changes every project, places them, reads the audit"),
    Role.admin: ("Quản trị", "Administrator", "all a planner may; accounts and tokens (command line)"),
}


def role_labels() -> dict[str, dict[str, str]]:
    """Each role's name in Vietnamese and English and what it may do (served to the page)."""
    return {role.value: {"vi": vi, "en": en, "may": may} for role, (vi, en, may) in ROLE_LABELS.items()}
