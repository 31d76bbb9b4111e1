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
