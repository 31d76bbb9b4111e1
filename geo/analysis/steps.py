"""Screening's SQL as steps, run by one of two drivers: SQLAlchemy (CLI, loader, bench) or asyncpg (HTTP).

The logic is written once as a generator of SQL steps (``Fetch`` / ``Execute``); ``run_sync`` and
``run_async`` send each step to a connection of either kind and the rows back into the generator.
"""

import re
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import orjson

_BIND = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")


@dataclass
class Fetch:
    """A query whose rows (as dicts) are sent back into the generator."""

    sql: str
    params: dict


@dataclass
class Execute:
    """A statement whose result is not needed."""

    sql: str
    params: dict


Steps = Generator[Fetch | Execute, list[dict] | None, Any]


def _positional(sql: str, params: dict) -> tuple[str, list]:
    """``:name`` binds → asyncpg's ``$n``."""
    order: dict[str, int] = {}

    def repl(match: re.Match) -> str:
        name = match.group(1)
        if name not in order:
            order[name] = len(order) + 1
        return f"${order[name]}"

    return _BIND.sub(repl, sql), [params[name] for name in order]


def run_sync(steps: Steps, conn) -> Any:
    """Run screening steps on a SQLAlchemy connection."""
    from sqlalchemy import text

    result = None
    while True:
        try:
            step = steps.send(result)
        except StopIteration as stop:
            return stop.value
        cursor = conn.execute(text(step.sql), step.params)
        result = [dict(row._mapping) for row in cursor] if isinstance(step, Fetch) else None


async def run_async(steps: Steps, conn) -> Any:
    """Run screening steps on an asyncpg connection."""
    result = None
    while True:
        try:
            step = steps.send(result)
        except StopIteration as stop:
            return stop.value
        sql, args = _positional(step.sql, step.params)
        if isinstance(step, Fetch):
            result = [dict(row) for row in await conn.fetch(sql, *args)]
        else:
            await conn.execute(sql, *args)
            result = None


def json_value(value):
    """jsonb arrives decoded from psycopg and the app's pool, as text from a bare asyncpg connection."""
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def lit(value: str) -> str:
    """A SQL string literal (rule fields are our own data, still quoted properly)."""
    return "'" + str(value).replace("'", "''") + "'"


def num(value: float | None) -> str:
    """A SQL number literal (or NULL)."""
    return "NULL" if value is None else repr(float(value))


def fetch_steps(sql: str, params: dict) -> Steps:
    """One query as steps (its rows are the result)."""
    rows = yield Fetch(sql, params)
    return rows
