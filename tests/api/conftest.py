"""API fixtures: ``client`` is a TestClient over the module's fresh copy of the loaded database.

Reuse it in any tests/api module::

    def test_something(client):
        assert client.get("/api/collections").status_code == 200

It is module-scoped (one app, one pool per test module, on the ``database_url`` database) and opens
the app's lifespan, so ``app.state.pool`` exists. Write to the database through the ``engine``
fixture (same database) and bump the data version so caches see the change.
"""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def client(database_url) -> Iterator[TestClient]:
    """A TestClient of ``create_app()`` on this module's database, lifespan (pool) open."""
    from api.main import create_app

    with TestClient(create_app()) as test_client:
        yield test_client


PASSWORD = "Đèo-Gió-Na-Rì-2030"


class Accounts:
    """Make accounts and tokens on the module's database (the same functions the CLI calls)."""

    def __init__(self, url: str):
        self.url = url

    def run(self, action):
        """Run ``action(conn)`` on one asyncpg connection to the module's database."""
        import asyncio

        import asyncpg

        async def main():
            conn = await asyncpg.connect(self.url)
            try:
                return await action(conn)
            finally:
                await conn.close()

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(main())
        # a loop already runs in this thread (Playwright's sync API in a browser test): use another thread
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, main()).result()

    def add(self, username: str, role: str, units=(), password: str = PASSWORD, name: str | None = None):
        """An account (created once per module; a second call returns the same)."""
        from geo.plan.accounts import create_user

        async def action(conn):
            if await conn.fetchval("SELECT true FROM app_user WHERE username = $1", username):
                return
            await create_user(conn, username, role, password, list(units), name)

        self.run(action)
        return username

    def token(self, username: str, **kw) -> str:
        """A new Bearer token of ``username``."""
        from geo.plan.accounts import create_token

        return self.run(lambda conn: create_token(conn, username, "test", **kw))["token"]

    def bearer(self, username: str) -> dict:
        """Authorization header of a new token of ``username``."""
        return {"Authorization": f"Bearer {self.token(username)}"}

    def sql(self, query: str, *args):
        """Run one SQL statement (to age sessions, read the audit, …)."""
        return self.run(lambda conn: conn.fetch(query, *args))


@pytest.fixture(scope="module")
def accounts(database_url) -> Accounts:
    """Accounts on this module's database: ``accounts.add("nari", "officer", ["066"])``."""
    return Accounts(database_url)


def login(client: TestClient, username: str, password: str = PASSWORD) -> dict:
    """Log ``client`` in (cookie) and return /me's answer (with the CSRF token)."""
    client.cookies.clear()
    response = client.post("/api/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return response.json()
