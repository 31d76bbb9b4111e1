"""Smoke run of ``planview bench --quick --no-anchor``: the harness works end to end (no timing asserted)."""

import json

import psycopg
import pytest
from typer.testing import CliRunner

from cli.bench import BENCH_DB, LAYER_KEY, synthetic_parcels


@pytest.fixture
def bench_server(pg_cluster, database_url):
    """The test cluster as the configured server; the bench database is dropped afterwards."""
    yield pg_cluster
    with psycopg.connect(pg_cluster.url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')


def test_synthetic_parcels_tile_without_overlap():
    from shapely.geometry import box

    province = box(105.8, 22.0, 105.9, 22.1)
    polygons, codes = synthetic_parcels(province, 300, ["RSX", "LUC"])
    assert len(polygons) == 300 and set(codes) <= {"RSX", "LUC"}
    import shapely

    assert shapely.is_valid(polygons).all()
    union = shapely.union_all(polygons)
    # parcels share edges exactly: their union covers the sum of their areas (no overlaps)
    assert union.area == pytest.approx(sum(p.area for p in polygons), rel=1e-9)


def test_quick_bench_without_anchor(bench_server, tmp_path):
    from cli.main import app

    report_file = tmp_path / "bench.json"
    result = CliRunner().invoke(
        app, ["bench", "--quick", "--no-anchor", "--parcels", "400", "--json", str(report_file)]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(report_file.read_text())
    assert report["parcels"] == 400 and report["anchor"] is None
    assert report["extra"]["import"]["features"] == 400
    cases = {case["case"]: case for case in report["cases"]}
    items = cases["items ~100 features, c=1"]
    assert items["ours"]["errors"] == 0 and items["ours"]["req_per_s"] > 0
    assert items["ours"]["features_per_response"] > 0 and items["tipg"] is None
    assert items["postgis_ceiling"]["requests"] == items["ours"]["requests"]
    # the HTTP floor answered the same requests with one of our pages (the client counted its features)
    floor = items["http_floor"]
    assert floor["errors"] == 0 and floor["requests"] == items["ours"]["requests"]
    assert floor["features_per_response"] > 0
    for z in (8, 10, 12, 14):
        assert cases[f"tile z{z}"]["ours"]["errors"] == 0
    screen_all = next(c for c in report["cases"] if c["case"].startswith("screen all projects"))
    assert screen_all["ours"]["active_rules"] > 0
    assert cases["POST /api/screen (one footprint)"]["ours"]["errors"] == 0
    assert cases["GET /api/projects/{id}/conflicts"]["ours"]["errors"] == 0
    assert cases["GET /api/here (click panel)"]["ours"]["errors"] == 0

    with psycopg.connect(bench_server.url(BENCH_DB)) as conn:
        synthetic, count, sheet = conn.execute(
            "SELECT is_synthetic, feature_count, sheet_id FROM sheet_layer WHERE layer_key = %s", (LAYER_KEY,)
        ).fetchone()
        marked = conn.execute(
            f"SELECT count(*) FROM layers.{LAYER_KEY} WHERE (properties->>'synthetic')::boolean"
        ).fetchone()[0]
    assert synthetic and count == 400 and sheet == "P8" and marked == 400


def test_load_bench_smoke(bench_server, tmp_path):
    # readers and writers against our server while `planview import --replace` runs in its own process
    from cli.main import app

    report_file = tmp_path / "load.json"
    result = CliRunner().invoke(
        app, ["bench", "--load", "--parcels", "300", "--seconds", "6", "--json", str(report_file)]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(report_file.read_text())
    assert report["readers"]["requests"] > 0 and report["readers"]["errors"] == 0
    assert report["import"]["features"] == 300
    assert report["writes_missing"] == 0 and report["writes_twice"] == 0
