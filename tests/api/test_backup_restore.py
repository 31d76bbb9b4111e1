"""planview backup / restore: the whole plan store round-trips, is checked against its manifest and serves."""

import json

import httpx
import psycopg
import pytest
from typer.testing import CliRunner

from cli.main import app
from geo.store.settings import database_settings
from tests.conftest import create_database, drop_database
from tests.servers import planview_server


def _planview(monkeypatch, url: str, *args: str):
    """Run the planview command on the database ``url``."""
    monkeypatch.setenv("PLANVIEW_DATABASE_URL", url)
    database_settings.cache_clear()
    try:
        return CliRunner().invoke(app, list(args), catch_exceptions=False)
    finally:
        database_settings.cache_clear()


@pytest.fixture
def restored_url(pg_cluster):
    """An empty database (PostGIS only) to restore into."""
    name = create_database(pg_cluster)
    yield pg_cluster.url(name)
    drop_database(pg_cluster, name)


def _srid_9213(url: str) -> tuple:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT auth_name, proj4text, srtext FROM spatial_ref_sys WHERE srid = 9213"
        ).fetchone()


def test_backup_restores_into_an_empty_database_and_serves_the_same(
    database_url, restored_url, tmp_path, monkeypatch, client
):
    dump = tmp_path / "plan.dump"
    made = _planview(monkeypatch, database_url, "backup", str(dump))
    assert made.exit_code == 0, made.output
    manifest = json.loads((tmp_path / "plan.dump.json").read_text())
    assert manifest["counts"]["public.project"] > 0 and manifest["data_version"] >= 1
    assert manifest["counts"]["spatial_ref_sys (SRIDs 9205–9218)"] == 14

    done = _planview(monkeypatch, restored_url, "restore", str(dump))
    assert done.exit_code == 0, done.output
    assert "counts and data version match the backup" in " ".join(done.output.split())
    assert _srid_9213(restored_url) == _srid_9213(database_url) and _srid_9213(restored_url)[1]

    with planview_server(restored_url) as server:
        base = server.url
        for path in ("/api/collections/zones/items?limit=5", "/api/sheets"):
            original, copy = client.get(path), httpx.get(base + path)
            assert copy.status_code == original.status_code == 200
            assert copy.headers["etag"] == original.headers["etag"]
        assert httpx.get(base + "/api/projects/PRJ-05").json() == client.get("/api/projects/PRJ-05").json()


def test_restore_over_data_needs_yes_and_a_changed_manifest_is_caught(
    database_url, restored_url, tmp_path, monkeypatch
):
    dump = tmp_path / "plan.dump"
    assert _planview(monkeypatch, database_url, "backup", str(dump)).exit_code == 0
    assert _planview(monkeypatch, restored_url, "restore", str(dump)).exit_code == 0

    again = _planview(monkeypatch, restored_url, "restore", str(dump))
    assert again.exit_code == 1 and "pass --yes" in " ".join(again.output.split())
    assert _planview(monkeypatch, restored_url, "restore", str(dump), "--yes").exit_code == 0

    manifest = json.loads((tmp_path / "plan.dump.json").read_text())
    manifest["counts"]["public.project"] += 1
    (tmp_path / "plan.dump.json").write_text(json.dumps(manifest))
    wrong = _planview(monkeypatch, restored_url, "restore", str(dump), "--yes")
    assert wrong.exit_code == 1
    assert "does not match the backup: public.project" in " ".join(wrong.output.split())
