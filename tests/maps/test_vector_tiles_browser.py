"""A big layer (more features than the GeoJSON limit for the viewer) is drawn from vector tiles."""

import geopandas as gpd
import httpx
import pytest
from shapely.geometry import box

from geo.ingest.importer import import_any

pytestmark = pytest.mark.browser

CODES = ["LUA", "RSX", "ONT", "CLN"]


@pytest.fixture(scope="module")
def big_layer(engine, tmp_path_factory) -> str:
    """6 000 synthetic land-use parcels around Bắc Kạn town imported into sheet P2.c."""
    parcels = [
        box(105.78 + i * 0.0012, 22.10 + j * 0.0012, 105.781 + i * 0.0012, 22.101 + j * 0.0012)
        for i in range(80)
        for j in range(75)
    ]
    frame = gpd.GeoDataFrame(
        {"maLoaiDat": [CODES[k % len(CODES)] for k in range(len(parcels))]}, geometry=parcels, crs="EPSG:4326"
    )
    path = tmp_path_factory.mktemp("big") / "hien_trang_thu.gpkg"
    frame.to_file(path, driver="GPKG")
    import_any(
        engine, path, sheet_id="P2.c", layer_key="landuse_tiles_test", title="Thửa đất thử", is_synthetic=True
    )
    return "landuse_tiles_test"


def test_big_layer_is_drawn_from_vector_tiles(big_layer, live_server, open_page):
    sheets = httpx.get(live_server + "/api/sheets").json()["sheets"]
    layer = next(layer for s in sheets for layer in s["layers"] if layer["layer_key"] == big_layer)
    assert layer["big"] is True

    page = open_page("/#map=13/22.145/105.83&layers=")
    page.click('details[data-sheet="P2"] > summary')
    page.click('details[data-sheet="P2.c"] > summary')
    assert "ô vector" in page.locator(f'li[data-layer="{big_layer}"]').inner_text()
    page.check(f'li[data-layer="{big_layer}"] input.pv-layer-toggle')
    # the tiles get painted: some canvas pixel carries the land-use colours, not just transparency
    page.wait_for_function(
        """() => [...document.querySelectorAll('.leaflet-pv-sheet-poly-pane canvas')].some(c => {
            const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            for (let i = 3; i < data.length; i += 4) if (data[i] > 0) return true;
            return false; })"""
    )
    page.wait_for_load_state("networkidle")
    tiles = [url for url in page.pv_requests if f"/collections/{big_layer}/tiles/WebMercatorQuad/13/" in url]
    assert tiles, "tiles were requested from the API"
    assert not any("/items" in url and big_layer in url for url in page.pv_requests), (
        "no GeoJSON for a big layer"
    )
    assert page.pv_errors == []
    assert page.pv_external_requests() == []
