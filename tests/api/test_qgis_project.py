"""planview.qgz opened by real QGIS (Debian's python3-qgis, headless): groups, layers, styles, a render."""

import json
import os
import subprocess
import zipfile
from collections.abc import Iterator

import httpx
import pytest

from geo.store.settings import REPO_ROOT
from tests.conftest import OUTPUT_DIR
from tests.servers import planview_server

SYSTEM_PYTHON = "/usr/bin/python3"
SCRIPT = REPO_ROOT / "tests" / "qgis" / "open_project.py"


def _qgis_available() -> bool:
    if not os.path.exists(SYSTEM_PYTHON):
        return False
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import qgis.core"], capture_output=True, timeout=60)
    return probe.returncode == 0


pytestmark = [
    pytest.mark.qgis,
    pytest.mark.skipif(
        not _qgis_available(), reason="Debian python3-qgis is not installed (make setup-test)"
    ),
]


@pytest.fixture(scope="module")
def server(database_url, tmp_path_factory) -> Iterator[str]:
    """A server of its own on the module's database (QGIS reads the OGC API from it)."""
    downloads = str(tmp_path_factory.mktemp("downloads"))
    with planview_server(database_url, PLANVIEW_DOWNLOAD_DIR=downloads) as running:
        yield running.url


@pytest.fixture(scope="module")
def opened(server, tmp_path_factory) -> tuple[dict, str]:
    """The project and plan.gpkg as QGIS sees them (JSON from tests/qgis/open_project.py), and the .qgs."""
    folder = tmp_path_factory.mktemp("qgis")
    project = httpx.get(f"{server}/api/download/planview.qgz", timeout=60)
    assert project.status_code == 200
    assert project.headers["content-disposition"] == 'attachment; filename="planview.qgz"'
    (folder / "planview.qgz").write_bytes(project.content)
    package = httpx.get(f"{server}/api/download/plan.gpkg", timeout=120)
    assert package.status_code == 200
    (folder / "plan.gpkg").write_bytes(package.content)
    OUTPUT_DIR.mkdir(exist_ok=True)
    png = OUTPUT_DIR / "qgis_project.png"
    png.unlink(missing_ok=True)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(folder)}
    env.pop("PYTHONPATH", None)
    result = subprocess.run(
        [SYSTEM_PYTHON, str(SCRIPT), str(folder / "planview.qgz"), str(folder / "plan.gpkg"), str(png)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=folder,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    qgs = zipfile.ZipFile(folder / "planview.qgz").read("planview.qgs").decode()
    return json.loads(result.stdout.strip().splitlines()[-1]), qgs


def test_project_crs_is_vn2000(opened):
    report, _ = opened
    assert report["crs"] == "EPSG:9213"


def test_sheets_are_groups_in_catalog_order_then_admin_units_and_plan_records(opened, server):
    report, _ = opened
    sheets = httpx.get(f"{server}/api/sheets").json()["sheets"]
    loaded = [s["sheet_id"] for s in sheets if any(layer["loaded"] for layer in s["layers"])]
    names = [g["name"] for g in report["groups"]]
    assert [n.split(" ")[0] for n in names[: len(loaded)]] == loaded
    assert names[len(loaded)].startswith("Đơn vị hành chính")
    assert names[len(loaded) + 1].startswith("Khu, cụm công nghiệp")
    assert len(names) == len(loaded) + 2


def test_every_collection_is_a_valid_live_layer(opened, server):
    report, qgs = opened
    layers = report["layers"]
    assert len(layers) == qgs.count("<maplayer ")
    in_groups = [layer_id for g in report["groups"] for layer_id in g["layers"]]
    assert sorted(in_groups) == sorted(layers)
    invalid = [v["name"] for v in layers.values() if not v["valid"]]
    assert not invalid
    assert all(v["provider"] == "OAPIF" for v in layers.values())
    collections = [c["id"] for c in httpx.get(f"{server}/api/collections").json()["collections"]]
    for cid in collections:
        assert any(k == f"{cid}_planview" or k.startswith(f"{cid}_") for k in layers), cid
    districts = httpx.get(f"{server}/api/collections/districts/items").json()["numberMatched"]
    assert layers["districts_planview"]["features"] == districts
    # a mixed collection is split by geometry kind, each part read with ?geometry_kind=
    points = layers["zones_point_planview"]["features"]
    areas = layers["zones_polygon_planview"]["features"]
    assert points > 0 and areas > 0


def test_styled_like_the_page(opened):
    report, _ = opened
    layers = report["layers"]
    assert layers["projects_polygon_planview"]["field"] == "status"
    assert layers["zones_point_planview"]["field"] == "kind"
    assert report["package"]["projects_polygon"] == {
        "valid": True,
        "crs": "EPSG:9213",
        "renderer": "categorizedSymbol",
        "field": "status",
    }


def test_the_project_renders(opened):
    report, _ = opened
    png = OUTPUT_DIR / "qgis_project.png"
    assert png.stat().st_size > 10_000
    # the province outline, communes and the plan's places cover the frame, not a blank image
    assert report["drawn_fraction"] > 0.5
