"""More than one app process on one external-style database (a second cluster started here), and the
read pool: GET routes read PLANVIEW_READ_DATABASE_URL when it is set, writes go to the primary."""

import shutil
import tempfile
from pathlib import Path

import httpx
import pytest

from geo.store import embedded_pg
from geo.store.backup import backup, restore
from geo.store.settings import database_settings
from tests.servers import free_port, planview_server


@pytest.fixture(scope="module")
def external_url(database_url, pg_cluster):
    """A second PostgreSQL cluster holding a copy of the module's database, as an external server."""
    workdir = Path(tempfile.mkdtemp(prefix="planview-external-", dir="/tmp"))
    cluster = embedded_pg.Cluster(data_dir=workdir / "data", port=free_port(), pg_bin=pg_cluster.pg_bin)
    embedded_pg.start(cluster, fast=True)
    try:
        embedded_pg.ensure_database(cluster, "plan")
        url = cluster.url("plan")
        backup(database_url, workdir / "plan.dump", database_settings().pg_bin)
        restore(url, workdir / "plan.dump", database_settings().pg_bin)
        yield url
    finally:
        embedded_pg.stop(cluster)
        shutil.rmtree(workdir, ignore_errors=True)


def _status(base: str, status: str, note: str, url: str) -> httpx.Response:
    """A planner's status change through ``base``, whose writes go to the database at ``url``."""
    import psycopg

    from tests.api.conftest import Accounts

    accounts = Accounts(url)
    accounts.add("processes.planner", "planner", name="Sở KH&ĐT")
    with psycopg.connect(url) as conn:
        version = conn.execute("SELECT version FROM project WHERE project_id = 'PRJ-05'").fetchone()[0]
    body = {"status": status, "note": note, "version": version}
    headers = {"Authorization": f"Bearer {accounts.token('processes.planner')}"}
    return httpx.post(f"{base}/api/projects/PRJ-05/status", json=body, headers=headers, timeout=30)


def test_a_write_through_one_process_is_seen_by_the_other(external_url):
    items = "/api/collections/projects/items?limit=50"
    with planview_server(external_url) as one, planview_server(external_url) as two:
        first, second = one.url, two.url
        before = httpx.get(second + items).headers["etag"]
        assert httpx.get(first + items).headers["etag"] == before
        written = _status(first, "under_construction", "qua tiến trình thứ nhất", external_url)
        assert written.status_code == 200, written.text
        seen = httpx.get(f"{second}/api/projects/PRJ-05").json()
        assert seen["status"] == "under_construction"
        assert seen["history"][0]["note"] == "qua tiến trình thứ nhất"
        after = httpx.get(second + items).headers["etag"]
        assert after != before and httpx.get(first + items).headers["etag"] == after


def test_gets_read_the_read_database_and_writes_go_to_the_primary(database_url, external_url):
    # the "replica" here is the second cluster's copy, which never receives the write: what a GET
    # answers shows which database it read
    with planview_server(database_url, PLANVIEW_READ_DATABASE_URL=external_url) as server:
        base = server.url
        replica_before = httpx.get(f"{base}/api/projects/PRJ-05/history").json()["history"]
        written = _status(base, "suspended", "ghi vào máy chủ chính", database_url)
        assert written.status_code == 200, written.text
        assert written.json()["status"] == "suspended"  # the write's own answer comes from the primary
        assert httpx.get(f"{base}/api/projects/PRJ-05/history").json()["history"] == replica_before
    with planview_server(database_url) as primary_only:
        assert httpx.get(f"{primary_only.url}/api/projects/PRJ-05").json()["status"] == "suspended"
