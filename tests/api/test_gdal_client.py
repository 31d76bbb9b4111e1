"""GDAL's OAPIF driver as a real client of a real uvicorn: it lists the collections and pages through them."""

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from tests.servers import planview_server

pytestmark = [
    pytest.mark.gdal,
    pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="Debian gdal-bin is not installed"),
]


@pytest.fixture(scope="module")
def server(database_url) -> Iterator[str]:
    """A server of its own on the module's database; yields its OGC API landing page."""
    with planview_server(database_url) as running:
        yield f"{running.url}/api"


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


def test_gdal_oapif_driver_reads_a_collection_in_vn2000(server, client):
    """GDAL ≥ 3.7 (the one inside pyogrio) negotiates Part 2: CRS=EPSG:9213 → crs=, Content-Crs, E/N order."""
    import pyogrio

    assert tuple(int(p) for p in pyogrio.__gdal_version__[:2]) >= (3, 7)
    info = pyogrio.read_info(f"OAPIF:{server}", layer="districts", CRS="EPSG:9213")
    assert 'AUTHORITY["EPSG","9213"]' in info["crs"] or info["crs"] == "EPSG:9213", info["crs"]
    frame = pyogrio.read_dataframe(f"OAPIF:{server}", layer="districts", CRS="EPSG:9213")
    assert frame.crs.to_epsg() == 9213
    assert len(frame) == 8
    mine = client.get("/api/collections/districts/items/066", params={"crs": "EPSG:9213"}).json()
    na_ri = frame[frame["code"] == "066"].geometry.iloc[0]
    east, north = mine["geometry"]["coordinates"][0][0][0]
    west, south, east_max, north_max = na_ri.bounds
    assert west <= east <= east_max and south <= north <= north_max
    assert 400_000 < west < 500_000 and 2_400_000 < south < 2_550_000


def test_gdal_bin_reads_9213_when_told_the_crs(server, tmp_path):
    """Debian's GDAL 3.6 predates Part 2: the crs goes into the URL and -a_srs names it."""
    out = tmp_path / "districts_9213.geojson"
    url = f"OAPIF:{server}/collections/districts?crs=http://www.opengis.net/def/crs/EPSG/0/9213"
    gdal("ogr2ogr", "-f", "GeoJSON", "-a_srs", "EPSG:9213", str(out), url)
    features = json.loads(out.read_text())["features"]
    assert len(features) == 8
    x, y = features[0]["geometry"]["coordinates"][0][0][0]
    assert 300_000 < x < 700_000 and 2_400_000 < y < 2_550_000
