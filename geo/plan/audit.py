"""The audit trail: one ``audit_event`` row per write, in the write's own transaction (append-only)."""

import orjson
from sqlalchemy import Connection, text

from geo.plan.actor import Actor

_INSERT = """
INSERT INTO audit_event (user_id, username, role, action, object_type, object_id, before, after,
                         request_id, client_address)
VALUES ({binds}) RETURNING id
"""
_COLUMNS = (
    "user_id",
    "username",
    "role",
    "action",
    "object_type",
    "object_id",
    "before",
    "after",
    "request_id",
    "client_address",
)


def _json(value) -> str | None:
    # sent as text (cast in SQL) so that a pool with a jsonb codec and a bare connection agree;
    # dates, decimals and the like become their text: the row records what the caller saw
    return None if value is None else orjson.dumps(value, default=str).decode()


def _values(actor: Actor, action: str, object_type: str, object_id, before, after) -> list:
    return [
        actor.user_id,
        actor.username,
        str(actor.role),
        action,
        object_type,
        None if object_id is None else str(object_id),
        _json(before),
        _json(after),
        actor.request_id,
        actor.client_address,
    ]


async def record_audit(
    conn, actor: Actor, action: str, object_type: str, object_id, before=None, after=None
) -> int:
    """Append one audit row on an asyncpg connection (inside the command's transaction); its id."""
    binds = ", ".join(
        f"${i}::text::jsonb" if c in ("before", "after") else f"${i}" for i, c in enumerate(_COLUMNS, 1)
    )
    return await conn.fetchval(
        _INSERT.format(binds=binds), *_values(actor, action, object_type, object_id, before, after)
    )


def record_audit_sync(
    conn: Connection, actor: Actor, action: str, object_type: str, object_id, before=None, after=None
) -> int:
    """``record_audit`` on a SQLAlchemy connection (loader, importer, CLI), in the caller's transaction."""
    binds = ", ".join(f"CAST(:{c} AS jsonb)" if c in ("before", "after") else f":{c}" for c in _COLUMNS)
    values = dict(zip(_COLUMNS, _values(actor, action, object_type, object_id, before, after), strict=True))
    return conn.execute(text(_INSERT.format(binds=binds)), values).scalar_one()
