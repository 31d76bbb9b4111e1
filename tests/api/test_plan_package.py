"""The whole plan as a styled GeoPackage (/api/download/plan.gpkg), cached per data version."""

import os
import sqlite3
from xml.etree import ElementTree

import pyogrio
import pytest

from geo.serve.downloads import download_settings
from geo.store.versions import Area, bump


@pytest.fixture(scope="module")
def download_dir(tmp_path_factory):
    """plan.gpkg is kept here (not in the checkout's var/) for this module."""
    folder = tmp_path_factory.mktemp("downloads")
    previous = os.environ.get("PLANVIEW_DOWNLOAD_DIR")
    os.environ["PLANVIEW_DOWNLOAD_DIR"] = str(folder)
    download_settings.cache_clear()
    yield folder
    if previous is None:
        os.environ.pop("PLANVIEW_DOWNLOAD_DIR")
    else:
        os.environ["PLANVIEW_DOWNLOAD_DIR"] = previous
    download_settings.cache_clear()


@pytest.fixture(scope="module")
def package(client, download_dir, tmp_path_factory):
    response = client.get("/api/download/plan.gpkg")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/geopackage+sqlite3"
    path = tmp_path_factory.mktemp("plan") / "plan.gpkg"
    path.write_bytes(response.content)
    return path, response


def test_every_collection_is_in_the_package_in_vn2000(client, package):
    path, _ = package
    layers = [name for name, _ in pyogrio.list_layers(path)]
    collections = [c["id"] for c in client.get("/api/collections").json()["collections"]]
    for cid in collections:
        assert any(name == cid or name.startswith(cid + "_") for name in layers), cid
    for name in layers:
        if name == "layer_styles":
            continue
        info = pyogrio.read_info(path, layer=name)
        assert info["crs"] == "EPSG:9213", (name, info["crs"])
    communes = pyogrio.read_dataframe(path, layer="communes")
    assert len(communes) == client.get("/api/collections/communes/items").json()["numberMatched"]
    assert "Xã Nam Cường" in set(communes["full_name"]) or any("ườ" in n for n in communes["name"])
    new_units = pyogrio.read_dataframe(path, layer="communes_2025")
    assert len(new_units) == client.get("/api/collections/communes_2025/items").json()["numberMatched"]


def test_layer_styles_give_qgis_a_default_style_per_layer(package):
    path, _ = package
    with sqlite3.connect(path) as db:
        styles = {
            row[0]: (row[1], row[2])
            for row in db.execute("SELECT f_table_name, useAsDefault, styleQML FROM layer_styles")
        }
        registered = db.execute(
            "SELECT data_type FROM gpkg_contents WHERE table_name = 'layer_styles'"
        ).fetchone()
    assert registered == ("attributes",)
    layers = [name for name, _ in pyogrio.list_layers(path) if name != "layer_styles"]
    assert sorted(styles) == sorted(layers)
    assert all(default == 1 for default, _ in styles.values())
    projects = ElementTree.fromstring(styles["projects_polygon"][1])
    renderer = projects.find("renderer-v2")
    assert renderer.get("type") == "categorizedSymbol" and renderer.get("attr") == "status"
    values = {c.get("value") for c in renderer.iter("category")}
    assert {"planned", "under_construction", "completed"} <= values
    # approximate places dashed: a data-defined outline style on geometry_quality
    assert "geometry_quality" in styles["zones_polygon"][1] and "dash" in styles["zones_polygon"][1]
    # the status colours are the page's
    assert "49,163,84" in styles["projects_polygon"][1]  # completed = #31a354


def test_built_once_per_data_version(client, engine, package, download_dir):
    _, first = package
    again = client.get("/api/download/plan.gpkg")
    assert again.headers["etag"] == first.headers["etag"]
    built = sorted(p.name for p in download_dir.glob("plan-v*.gpkg"))
    assert len(built) == 1
    with engine.begin() as conn:
        bump(conn, Area.projects, "test: plan.gpkg follows the data version")
    newer = client.get("/api/download/plan.gpkg")
    assert newer.status_code == 200
    assert newer.headers["etag"] != first.headers["etag"]
    assert len(list(download_dir.glob("plan-v*.gpkg"))) == 2
    assert not list(download_dir.glob(".plan-*")), "no partial file left behind"
