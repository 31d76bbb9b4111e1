"""The page's download menus (layer tree, zone and project cards, header) and the remembered cursor CRS."""

import os
import re
import zipfile
from xml.etree import ElementTree

import pyogrio
import pytest

from geo.serve.downloads import download_settings

pytestmark = pytest.mark.browser

KML = "{http://www.opengis.net/kml/2.2}"


@pytest.fixture(scope="module", autouse=True)
def download_dir(tmp_path_factory):
    """plan.gpkg built by this module's server goes to a temporary folder, not the checkout's var/."""
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


def download(page, locator, tmp_path):
    """Click a link as a user would; return the saved file and the name the browser suggested."""
    with page.expect_download() as info:
        locator.click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    return target


def test_a_layer_downloads_as_geopackage_and_vn2000_shapefile(live_server, open_page, tmp_path):
    page = open_page("/")
    row = page.locator('#pv-layer-tree li[data-layer="settlements"]')
    # open its sheet (and the sheet's parent) as a user would
    row.evaluate(
        "li => { for (let d = li.closest('details'); d; d = d.parentElement.closest('details')) "
        "d.open = true; }"
    )
    menu = row.locator(".pv-download")
    assert not menu.locator('a[data-format="gpkg"]').first.is_visible(), "closed until asked"
    menu.locator("summary").click()
    names = menu.locator("a").all_inner_texts()
    for label in ("GeoJSON", "CSV", "GeoPackage", "Shapefile (.zip)", "KML"):
        assert label in names
    gpkg = download(page, menu.locator('a[data-format="gpkg"][data-crs="CRS84"]'), tmp_path)
    assert gpkg.name == "settlements.gpkg"
    shown = page.locator('#pv-layer-tree li[data-layer="settlements"] .pv-layer-note').inner_text()
    count = int(re.search(r"(\d+)", shown).group(1))
    assert len(pyogrio.read_dataframe(gpkg)) == count
    shp = download(page, menu.locator('a[data-format="shp"][data-crs="EPSG:9213"]'), tmp_path)
    assert shp.name == "settlements_EPSG9213.zip"
    members = zipfile.ZipFile(shp).namelist()
    assert {"settlements.shp", "settlements.prj", "settlements.cpg"} <= set(members)
    assert page.pv_errors == []


def test_a_zone_card_downloads_that_zone(live_server, open_page, tmp_path):
    page = open_page("/")
    page.click('#pv-tabs [data-tab="zones"]')
    page.click('#pv-zone-list li[data-zone="KCN-01"] .pv-link')
    card = page.locator('.leaflet-popup .pv-zone-card[data-zone="KCN-01"]')
    card.wait_for()
    card.locator(".pv-download summary").click()
    kml = download(page, card.locator('.pv-download a[data-format="kml"]'), tmp_path)
    root = ElementTree.parse(kml).getroot()
    placemarks = root.findall(f".//{KML}Placemark")
    assert len(placemarks) == 1
    values = {d.get("name"): d.find(f"{KML}value").text for d in placemarks[0].iter(f"{KML}Data")}
    assert values["zone_id"] == "KCN-01"
    csv_file = download(page, card.locator('.pv-download a[data-format="csv"]'), tmp_path)
    assert csv_file.suffix == ".csv"
    assert len(csv_file.read_text(encoding="utf-8").strip().splitlines()) == 2


def test_the_header_offers_the_whole_plan_and_the_qgis_project(live_server, open_page, tmp_path):
    page = open_page("/")
    page.click("#pv-downloads summary")
    plan_link = page.locator("#pv-download-plan")
    assert "GeoPackage" in plan_link.inner_text()
    project = download(page, page.locator("#pv-download-qgz"), tmp_path)
    assert project.name == "planview.qgz"
    qgs = zipfile.ZipFile(project).read("planview.qgs").decode()
    assert f"url='{live_server}/api'" in qgs, "the project reads this server's OGC API"
    plan = download(page, plan_link, tmp_path)
    assert plan.suffix == ".gpkg"
    assert "layer_styles" in [name for name, _ in pyogrio.list_layers(plan)]


def test_the_cursor_crs_choice_is_remembered(live_server, open_page):
    page = open_page("/")
    page.mouse.move(800, 400)
    assert "VN-2000 X" in page.locator("#pv-coords").inner_text()
    page.select_option("#pv-coords-crs", "vn2000")
    page.mouse.move(810, 410)
    assert re.match(r"^VN-2000 X [\d.]+ Y [\d.]+$", page.locator("#pv-coords").inner_text())
    page.reload(wait_until="networkidle")
    page.wait_for_selector("body[data-ready=true]")
    assert page.locator("#pv-coords-crs").input_value() == "vn2000"
    page.mouse.move(800, 400)
    assert page.locator("#pv-coords").inner_text().startswith("VN-2000 X")
    page.select_option("#pv-coords-crs", "wgs84")
    page.mouse.move(810, 410)
    assert re.match(r"^\d+\.\d{5}, \d+\.\d{5}$", page.locator("#pv-coords").inner_text())
