"""Reading the audit trail (planners and admins): who did what to which object, when, before/after."""

from datetime import datetime

import asyncpg

from geo.errors import InvalidParameter
from geo.plan.actor import Actor
from geo.plan.scope import PLANNING_ROLES, require_role

MAX_AUDIT_LIMIT = 1000

_LIST = """
SELECT coalesce(jsonb_agg(jsonb_build_object(
           'id', a.id, 'at', a.at, 'username', a.username, 'role', a.role, 'action', a.action,
           'object_type', a.object_type, 'object_id', a.object_id, 'before', a.before, 'after', a.after,
           'request_id', a.request_id, 'client_address', a.client_address) ORDER BY a.id DESC), '[]'::jsonb)
FROM (SELECT * FROM audit_event
      WHERE ($1::text IS NULL OR username = $1) AND ($2::text IS NULL OR action = $2)
        AND ($3::text IS NULL OR object_type = $3) AND ($4::text IS NULL OR object_id = $4)
        AND ($5::timestamptz IS NULL OR at >= $5) AND ($6::timestamptz IS NULL OR at < $6)
      ORDER BY id DESC LIMIT $7 OFFSET $8) a
"""


async def list_audit(
    conn: asyncpg.Connection,
    actor: Actor,
    username: str | None = None,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> dict:
    """Audit rows matching the filters, newest first; planners and admins only (401/403)."""
    require_role(actor, *PLANNING_ROLES)
    if not 1 <= limit <= MAX_AUDIT_LIMIT:
        raise InvalidParameter(f"limit must be between 1 and {MAX_AUDIT_LIMIT}; got {limit}")
    if offset < 0:
        raise InvalidParameter(f"offset must be 0 or more; got {offset}")
    rows = await conn.fetchval(_LIST, username, action, object_type, object_id, since, until, limit, offset)
    return {
        "events": rows,
        "filters": {
            "username": username,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
        },
        "limit": limit,
        "offset": offset,
    }
