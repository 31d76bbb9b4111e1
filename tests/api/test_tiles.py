"""Vector tiles: MVT that decodes with the expected features, combined tiles, simplification, ETag, errors."""

import gzip
import math

import mapbox_vector_tile
import pytest
from sqlalchemy import text

from geo.store.versions import Area, bump

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
        bump(conn, Area.admin_units, "test: touch Ba Bể")
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


# ---------------------------------------------------------------------------------------------
# Stored tiles of big layers (rendered at import time; the size threshold lowered for the test)

PARCELS = "test_parcels"
PARCEL_SIDE = 0.002  # degrees: under 4 px up to z11 (generalised cells), about 6 px at z12 (real parcels)


def _parcels_file(folder, origin: tuple[float, float], codes: tuple[str, str, str]):
    """A 20 × 20 grid of square parcels, the western half ``codes[0]``, the eastern half ``codes[1]``,
    and one big forest (``codes[2]``, 0.05° square) south of the grid."""
    import geopandas as gpd
    import shapely

    lon0, lat0 = origin
    rows = []
    for i in range(20):
        for j in range(20):
            x, y = lon0 + j * PARCEL_SIDE, lat0 + i * PARCEL_SIDE
            box = shapely.box(x, y, x + PARCEL_SIDE, y + PARCEL_SIDE)
            rows.append(
                {"ten": f"Thửa {i}-{j}", "maLoaiDat": codes[0] if j < 10 else codes[1], "geometry": box}
            )
    forest = shapely.box(lon0, lat0 - 0.06, lon0 + 0.05, lat0 - 0.01)
    rows.append({"ten": "Rừng lớn", "maLoaiDat": codes[2], "geometry": forest})
    path = folder / f"parcels_{'_'.join(codes)}.geojson"
    gpd.GeoDataFrame(rows, crs="EPSG:4326").to_file(path, driver="GeoJSON")
    return path


def _import_parcels(engine, folder, origin, codes, min_features: int = 100):
    from geo.ingest.importer import import_any

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PLANVIEW_TILE_STORE_MIN_FEATURES", str(min_features))
        return import_any(
            engine, _parcels_file(folder, origin, codes), sheet_id="P8", layer_key=PARCELS, replace=True
        )


@pytest.fixture(scope="module")
def parcels(engine, ba_be_point, tmp_path_factory):
    """The parcel grid imported as a big layer; returns its origin (south-west corner)."""
    origin = (round(ba_be_point[0], 3), round(ba_be_point[1], 3))
    _import_parcels(engine, tmp_path_factory.mktemp("parcels"), origin, ("RSX", "LUC", "RDD"))
    return origin


@pytest.fixture
def parcels_restored(engine, parcels, tmp_path_factory):
    """For a test that re-imports the parcel grid: the grid imported again as it was afterwards (the
    other tests read it as first imported, whatever order they run in)."""
    yield
    _import_parcels(engine, tmp_path_factory.mktemp("parcels"), parcels, ("RSX", "LUC", "RDD"))


def _stored(engine, z: int, x: int, y: int) -> bytes | None:
    with engine.connect() as conn:
        data = conn.execute(
            text("SELECT tile FROM tile_store WHERE collection = :c AND z = :z AND x = :x AND y = :y"),
            {"c": PARCELS, "z": z, "x": x, "y": y},
        ).scalar()
    return None if data is None else gzip.decompress(data)


def _store_rows(engine, columns: str) -> list[tuple]:
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT {columns} FROM tile_store WHERE collection = :c"), {"c": PARCELS})
        return [tuple(r) for r in rows]


def _parcel_tile(client, origin, z: int, **headers):
    z, x, y = tile_of(origin[0] + 0.01, origin[1] + 0.01, z)
    return (z, x, y), client.get(
        f"/api/collections/{PARCELS}/tiles/WebMercatorQuad/{z}/{x}/{y}", headers=headers
    )


def test_a_big_layer_gets_stored_tiles_that_are_served(client, engine, parcels):
    zooms = {z for z, _ in _store_rows(engine, "z, data_version")}
    assert zooms == set(range(13)), "every zoom 0..12 is stored"
    for z in (8, 12):
        (z, x, y), response = _parcel_tile(client, parcels, z)
        assert response.headers.get("content-encoding") == "gzip", "stored tiles are sent gzipped"
        assert response.content == _stored(engine, z, x, y), f"z{z} comes from the tile store"


def test_low_zoom_tile_of_a_big_layer_shows_land_use_cells(client, parcels):
    _, response = _parcel_tile(client, parcels, 8)
    features = [f for f in decode(response)[PARCELS]["features"] if f["properties"].get("generalised")]
    assert {f["properties"]["landuse_code"] for f in features} == {"RSX", "LUC"}
    west = next(f for f in features if f["properties"]["landuse_code"] == "RSX")
    east = next(f for f in features if f["properties"]["landuse_code"] == "LUC")
    xs = [
        [p[0] for ring in poly for p in ring]
        for poly in (_polygons(west["geometry"]), _polygons(east["geometry"]))
    ]
    assert min(xs[0]) < min(xs[1]) and max(xs[0]) < max(xs[1]), "RSX lies west of LUC, as imported"


def test_big_features_stay_themselves_at_low_zoom(client, parcels):
    _, response = _parcel_tile(client, parcels, 8)
    (forest,) = [f for f in decode(response)[PARCELS]["features"] if not f["properties"].get("generalised")]
    assert forest["properties"]["name"] == "Rừng lớn" and forest["properties"]["landuse_code"] == "RDD"
    assert isinstance(forest["properties"]["fid"], int)
    xs = [p[0] for poly in _polygons(forest["geometry"]) for ring in poly for p in ring]
    assert max(xs) - min(xs) > 4 * 32, "0.05° is ~145 tile units at z8, far more than one 32-unit cell"


def test_z12_stored_tile_holds_the_real_parcels(client, parcels):
    _, response = _parcel_tile(client, parcels, 12)
    features = [f for f in decode(response)[PARCELS]["features"] if f["properties"]["name"] != "Rừng lớn"]
    assert len(features) >= 100
    assert all(
        isinstance(f["properties"]["fid"], int) and f["properties"]["name"].startswith("Thửa")
        for f in features
    )


def test_a_client_without_gzip_gets_plain_mvt(client, parcels):
    _, response = _parcel_tile(client, parcels, 10, **{"Accept-Encoding": "identity"})
    assert "content-encoding" not in response.headers
    assert decode(response)[PARCELS]["features"]


def test_zooms_above_the_store_are_rendered_live(client, engine, parcels):
    (z, x, y), response = _parcel_tile(client, parcels, 14)
    assert _stored(engine, z, x, y) is None
    features = decode(response)[PARCELS]["features"]
    assert len(features) > 20 and all("generalised" not in f["properties"] for f in features)


def test_a_stored_tile_outside_the_layer_is_empty(client, parcels):
    response = client.get(f"/api/collections/{PARCELS}/tiles/WebMercatorQuad/12/0/0")
    assert response.status_code == 200 and response.content == b""
    combined = client.get("/api/tiles/WebMercatorQuad/12/0/0", params={"collections": f"{PARCELS},districts"})
    assert combined.status_code == 200 and combined.content == b""


def test_combined_tile_mixes_stored_and_live_layers(client, parcels):
    z, x, y = tile_of(parcels[0] + 0.01, parcels[1] + 0.01, 9)
    layers = decode(
        client.get(f"/api/tiles/WebMercatorQuad/{z}/{x}/{y}", params={"collections": f"districts,{PARCELS}"})
    )
    assert set(layers) == {"districts", PARCELS}
    assert {f["properties"]["landuse_code"] for f in layers[PARCELS]["features"]} >= {"RSX", "LUC"}


def test_reimport_replaces_the_stored_tiles(client, engine, parcels, parcels_restored, tmp_path):
    url_zoom = 8
    (z, x, y), before = _parcel_tile(client, parcels, url_zoom)
    etag = before.headers["etag"]
    _import_parcels(engine, tmp_path, parcels, ("ONT", "ONT", "ONT"))
    (z, x, y), after = _parcel_tile(client, parcels, url_zoom, **{"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["etag"] != etag
    assert {f["properties"]["landuse_code"] for f in decode(after)[PARCELS]["features"]} == {"ONT"}
    with engine.connect() as conn:
        current = conn.execute(text("SELECT version FROM data_version")).scalar_one()
    assert {v for _, v in _store_rows(engine, "z, data_version")} == {current}, (
        "no tile of the first import is left"
    )


def test_a_layer_reimported_small_loses_its_stored_tiles(client, engine, parcels, parcels_restored, tmp_path):
    _import_parcels(engine, tmp_path, parcels, ("RSX", "LUC", "RDD"), min_features=1000)
    assert _store_rows(engine, "z, data_version") == []
    _, response = _parcel_tile(client, parcels, 12)
    features = decode(response)[PARCELS]["features"]
    assert {f["properties"]["landuse_code"] for f in features} >= {"RSX", "LUC"}, "rendered live instead"


# ---------------------------------------------------------------------------------------------
# Big point layers: one point per screen pixel at low zooms, every point from z13 on

WELLS = "test_wells"


@pytest.fixture(scope="module")
def wells(engine, ba_be_point, tmp_path_factory):
    """300 wells, 200 of them within a metre of one spot and 100 spread 0.01° apart; returns the spot."""
    import geopandas as gpd
    import shapely

    from geo.ingest.importer import import_any

    lon0, lat0 = round(ba_be_point[0], 3), round(ba_be_point[1], 3)
    rows = [
        {"ten": f"Giếng cụm {i}", "geometry": shapely.Point(lon0 + i * 1e-7, lat0 + i * 1e-7)}
        for i in range(200)
    ]
    rows += [
        {
            "ten": f"Giếng lẻ {i}",
            "geometry": shapely.Point(lon0 + 0.02 + (i % 10) * 0.01, lat0 + (i // 10) * 0.01),
        }
        for i in range(100)
    ]
    path = tmp_path_factory.mktemp("wells") / "wells.geojson"
    gpd.GeoDataFrame(rows, crs="EPSG:4326").to_file(path, driver="GeoJSON")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PLANVIEW_TILE_STORE_MIN_FEATURES", "100")
        import_any(engine, path, sheet_id="P2.b", layer_key=WELLS, replace=True)
    return lon0, lat0


def _well_features(client, spot, z: int) -> list[dict]:
    z, x, y = tile_of(spot[0], spot[1], z)
    response = client.get(f"/api/collections/{WELLS}/tiles/WebMercatorQuad/{z}/{x}/{y}")
    return decode(response)[WELLS]["features"]


def test_points_on_one_pixel_are_drawn_once_at_low_zoom(client, engine, wells):
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT count(*) FROM tile_store WHERE collection = :c AND z = 8"), {"c": WELLS}
        ).scalar_one()
    assert stored >= 1, "the z8 tile comes from the tile store"
    names = [f["properties"]["name"] for f in _well_features(client, wells, 8)]
    clustered = [n for n in names if n.startswith("Giếng cụm")]
    assert clustered == ["Giếng cụm 0"], "200 wells within a metre are one point at z8 (the first id)"
    assert len([n for n in names if n.startswith("Giếng lẻ")]) > 20, "wells a pixel apart all stay"


def test_every_point_is_in_the_tile_from_zoom_13(client, wells):
    names = [f["properties"]["name"] for f in _well_features(client, wells, 14)]
    assert len([n for n in names if n.startswith("Giếng cụm")]) == 200
