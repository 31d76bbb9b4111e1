"""GDAL's OAPIF driver as a real client of a real uvicorn: it lists the collections and pages through them."""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import text

from geo.store.settings import REPO_ROOT

pytestmark = [
    pytest.mark.gdal,
    pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="Debian gdal-bin is not installed"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(database_url) -> Iterator[str]:
    """A uvicorn serving planview on the module's database, on a free port of 127.0.0.1."""
    port = _free_port()
    env = {**os.environ, "PLANVIEW_DATABASE_URL": database_url}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.main:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=REPO_ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None:
                pytest.fail("uvicorn exited")
            time.sleep(0.1)
        else:
            pytest.fail("uvicorn did not answer /healthz")
        yield f"{base}/api"
    finally:
        process.terminate()
        process.wait(timeout=10)


def gdal(*args: str) -> str:
    env = {**os.environ, "CPL_DEBUG": "OFF", "GDAL_HTTP_TIMEOUT": "30"}
    result = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_ogrinfo_lists_the_collections(server, client):
    listing = gdal("ogrinfo", "-ro", "-q", f"OAPIF:{server}")
    listed = set(re.findall(r"^\d+: (\S+)", listing, re.M))
    ids = {c["id"] for c in client.get("/api/collections").json()["collections"]}
    assert listed == ids


def test_ogrinfo_counts_the_features(server, engine):
    summary = gdal("ogrinfo", "-ro", "-so", "-al", f"OAPIF:{server}", "districts")
    assert re.search(r"Feature Count: 8\b", summary), summary


def test_ogr2ogr_pages_through_a_whole_collection(server, engine, tmp_path):
    out = tmp_path / "communes.geojson"
    gdal("ogr2ogr", "-f", "GeoJSON", str(out), f"OAPIF:{server}", "communes", "-oo", "PAGE_SIZE=25")
    features = json.loads(out.read_text())["features"]
    with engine.connect() as conn:
        expected = sorted(
            r[0]
            for r in conn.execute(
                text(
                    "SELECT name FROM admin_unit WHERE level = 'commune' "
                    "AND (valid_from IS NULL OR valid_from < DATE '2025-07-01') "
                    "AND (valid_to IS NULL OR valid_to >= DATE '2025-06-30')"
                )
            )
        )
    assert len(expected) > 25 * 3, "several pages"
    assert sorted(f["properties"]["name"] for f in features) == expected
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in features)
