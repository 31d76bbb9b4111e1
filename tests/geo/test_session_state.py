"""Pool connections carry no session state from one request to the next (so none is reset on release)."""

import asyncio
import re

import asyncpg

from geo.store.database import PooledConnection, create_pool
from geo.store.settings import REPO_ROOT

# Session state the pool would hand on: a session-level SET, a session advisory lock, LISTEN, a session
# set_config, a temporary table. Transaction-scoped forms (SET LOCAL, pg_advisory_xact_lock) are fine.
SESSION_STATE = [
    re.compile(r"""(?:^|["';]\s*)SET\s+(?!LOCAL\b)(?:SESSION\s+)?[a-z_.]+\s*(?:=|TO\b)""", re.I | re.M),
    re.compile(r"pg_(?:try_)?advisory_lock(?:_shared)?\s*\(", re.I),
    re.compile(r"\bLISTEN\s+\w", re.I),
    re.compile(r"set_config\s*\([^)]*,\s*false\s*\)", re.I),
    re.compile(r"CREATE\s+TEMP(?:ORARY)?\s+TABLE(?![^;]*ON\s+COMMIT\s+DROP)", re.I),
]


def test_the_code_of_the_request_path_sets_no_session_state():
    found = []
    for folder in ("api", "geo/serve", "geo/plan", "geo/analysis", "geo/store"):
        for path in sorted((REPO_ROOT / folder).rglob("*.py")):
            text = path.read_text()
            for pattern in SESSION_STATE:
                found += [f"{path.relative_to(REPO_ROOT)}: {m.group(0)!r}" for m in pattern.finditer(text)]
    assert not found


def test_the_patterns_catch_what_they_are_for():
    caught = [
        'await conn.execute("SET statement_timeout = 0")',
        "conn.execute('SET SESSION work_mem TO 64MB')",
        'await conn.execute("SELECT pg_advisory_lock(1)")',
        'await conn.execute("LISTEN planview")',
        "SELECT set_config('jit', 'off', false)",
        'await conn.execute("CREATE TEMP TABLE t (a int)")',
    ]
    allowed = [
        'conn.execute(text("SET LOCAL lock_timeout = 0"))',
        "UPDATE app_user SET active = false WHERE user_id = $1",
        "SELECT pg_advisory_xact_lock(hashtext($1))",
        "CREATE TEMP TABLE t ON COMMIT DROP AS SELECT 1",
    ]
    assert all(any(p.search(s) for p in SESSION_STATE) for s in caught)
    assert not [s for s in allowed if any(p.search(s) for p in SESSION_STATE)]


def test_a_connection_comes_back_from_the_pool_without_its_transaction(database_url):
    async def main():
        pool = await create_pool(url=database_url, min_size=1, max_size=1)
        try:
            async with pool.acquire() as conn:
                assert isinstance(conn, PooledConnection)
                pid = conn.get_server_pid()
                transaction = conn.transaction()
                await transaction.start()
                await conn.execute("SET LOCAL statement_timeout = 1234")
                # released mid-transaction (a request that failed half-way)
            async with pool.acquire() as conn:
                assert conn.get_server_pid() == pid
                assert not conn.is_in_transaction()
                assert await conn.fetchval("SHOW statement_timeout") != "1234ms"
        finally:
            await pool.close()

    asyncio.run(main())
    assert issubclass(PooledConnection, asyncpg.Connection)


def test_requests_waiting_for_a_connection_get_one_in_the_order_they_came(database_url):
    # asyncpg's own queue lets a request arriving just as a connection comes back take it before the
    # one woken for it, which then goes to the back of the line: under load some waited many turns
    async def main():
        pool = await create_pool(url=database_url, min_size=1, max_size=1)
        served: list[str] = []
        try:

            async def request(name: str) -> None:
                async with pool.acquire() as conn:
                    served.append(name)
                    await conn.fetchval("SELECT 1")

            async with pool.acquire():
                waiting = [asyncio.create_task(request(f"waited {i}")) for i in range(3)]
                while len(pool._turns._waiters or ()) < 3:  # all three are in line
                    await asyncio.sleep(0)
            # the connection is back: a request arriving now comes after the three that waited
            await request("newcomer")
            await asyncio.gather(*waiting)
        finally:
            await pool.close()
        return served

    assert asyncio.run(main()) == ["waited 0", "waited 1", "waited 2", "newcomer"]
