"""Vector tiles: MVT that decodes with the expected features, combined tiles, simplification, ETag, errors."""

import math

import mapbox_vector_tile
import pytest
from sqlalchemy import text

from geo.store import bump_data_version

MVT = "application/vnd.mapbox-vector-tile"


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


@pytest.fixture(scope="module")
def ba_be_point(engine) -> tuple[float, float]:
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM admin_unit "
                "WHERE level = 'district' AND code = '061') s"
            )
        ).one()
    return row[0], row[1]


def decode(response) -> dict:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == MVT
    return mapbox_vector_tile.decode(response.content)


@pytest.mark.parametrize("z", [8, 11, 14])
def test_districts_tile_over_ba_be_contains_ba_be(client, ba_be_point, z):
    z, x, y = tile_of(*ba_be_point, z)
    layers = decode(client.get(f"/api/collections/districts/tiles/WebMercatorQuad/{z}/{x}/{y}"))
    assert set(layers) == {"districts"}
    features = layers["districts"]["features"]
    names = {f["properties"]["name"] for f in features}
    assert "Ba Bể" in names
    ba_be = next(f for f in features if f["properties"]["name"] == "Ba Bể")
    assert ba_be["properties"]["fid"] == "061"
    assert ba_be["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_a_tile_far_away_is_empty(client):
    response = client.get("/api/collections/districts/tiles/WebMercatorQuad/10/0/0")
    assert response.status_code == 200
    assert mapbox_vector_tile.decode(response.content) == {}


def test_combined_tile_has_one_layer_per_collection(client, ba_be_point):
    z, x, y = tile_of(*ba_be_point, 9)
    layers = decode(
        client.get(f"/api/tiles/WebMercatorQuad/{z}/{x}/{y}", params={"collections": "districts,communes"})
    )
    assert set(layers) == {"districts", "communes"}
    assert "Ba Bể" in {f["properties"]["name"] for f in layers["districts"]["features"]}
    assert len(layers["communes"]["features"]) > 3


def test_low_zoom_tiles_are_simplified(client, ba_be_point):
    # the whole province in one z7 tile must stay much smaller than its communes at z12 detail
    z, x, y = tile_of(*ba_be_point, 7)
    low = client.get(f"/api/collections/communes/tiles/WebMercatorQuad/{z}/{x}/{y}")
    assert low.status_code == 200
    features = mapbox_vector_tile.decode(low.content)["communes"]["features"]
    assert len(features) > 50
    points = sum(len(ring) for f in features for poly in _polygons(f["geometry"]) for ring in poly)
    assert points / len(features) < 60, "low zooms are simplified"


def _polygons(geometry: dict) -> list:
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    if geometry["type"] == "MultiPolygon":
        return geometry["coordinates"]
    return []


def test_tile_etag_304_and_change_after_a_data_change(client, engine, ba_be_point):
    url = "/api/collections/districts/tiles/WebMercatorQuad/{}/{}/{}".format(*tile_of(*ba_be_point, 10))
    first = client.get(url)
    etag = first.headers["etag"]
    assert "max-age" in first.headers["cache-control"]
    cached = client.get(url, headers={"If-None-Match": etag})
    assert cached.status_code == 304 and cached.content == b""
    with engine.begin() as conn:
        conn.execute(text("UPDATE admin_unit SET name = name WHERE code = '061' AND level = 'district'"))
        bump_data_version(conn, "test: touch Ba Bể")
    fresh = client.get(url, headers={"If-None-Match": etag})
    assert fresh.status_code == 200 and fresh.headers["etag"] != etag


@pytest.mark.parametrize(
    ("url", "status", "word"),
    [
        ("/api/collections/districts/tiles/WebMercatorQuad/23/0/0", 400, "zoom"),
        ("/api/collections/districts/tiles/WebMercatorQuad/8/256/0", 400, "0..255"),
        ("/api/collections/districts/tiles/WebMercatorQuad/8/1/-1", 400, "0..255"),
        ("/api/collections/districts/tiles/WebMercatorQuad/x/1/1", 400, "z"),
        ("/api/collections/nowhere/tiles/WebMercatorQuad/8/1/1", 404, "nowhere"),
        ("/api/tiles/WebMercatorQuad/8/1/1?collections=districts,nowhere", 404, "nowhere"),
        ("/api/tiles/WebMercatorQuad/8/1/1?collections=", 400, "collections"),
    ],
)
def test_bad_tile_requests_are_4xx(client, url, status, word):
    response = client.get(url)
    assert response.status_code == status, response.text
    assert word in response.json()["description"]


def test_tileset_metadata(client):
    body = client.get("/api/collections/districts/tiles").json()
    template = body["tilesets"][0]["links"][0]["href"]
    assert template.endswith(
        "/api/collections/districts/tiles/WebMercatorQuad/{tileMatrix}/{tileCol}/{tileRow}"
    )
    tms = client.get("/api/tileMatrixSets/WebMercatorQuad").json()
    assert len(tms["tileMatrices"]) == 23
