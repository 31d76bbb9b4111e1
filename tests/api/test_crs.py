"""OGC API – Features Part 2: CRSs offered, crs= and bbox-crs=, Content-Crs, axis order, datum shift."""

import pytest
from pyproj import CRS
from pyproj.network import set_network_enabled
from pyproj.transformer import TransformerGroup

from geo.serve.crs import parse_crs

OGC = "http://www.opengis.net/def/crs"
CRS84 = f"{OGC}/OGC/1.3/CRS84"
EPSG = f"{OGC}/EPSG/0/"
OFFERED = [CRS84, EPSG + "4326", EPSG + "9213", EPSG + "3405", EPSG + "4756"]


def vn2000(lon: float, lat: float, srid: int) -> tuple[float, float]:
    """``(lon, lat)`` WGS 84 → ``srid`` by pyproj with EPSG:6960 ("VN-2000 to WGS 84 (2)"), x east first."""
    set_network_enabled(False)
    group = TransformerGroup(CRS.from_epsg(4326), CRS.from_epsg(srid), always_xy=True)
    chosen = [t for t in group.transformers if "VN-2000 to WGS 84 (2)" in t.description]
    assert chosen, [t.description for t in group.transformers]
    return chosen[0].transform(lon, lat)


@pytest.fixture(scope="module")
def settlement(client) -> dict:
    """One settlement (a point) in CRS84 as the default response gives it."""
    return client.get("/api/collections/settlements/items", params={"limit": 1}).json()["features"][0]


def test_collections_offer_the_vn2000_crss_and_part_2_conformance(client):
    classes = client.get("/api/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in classes
    for c in client.get("/api/collections").json()["collections"]:
        assert c["crs"] == OFFERED, c["id"]
        assert c["storageCrs"] == CRS84
        assert c["extent"]["spatial"]["crs"] == CRS84 if "extent" in c else True


def test_default_response_names_crs84_in_content_crs(client):
    response = client.get("/api/collections/districts/items", params={"limit": 1})
    assert response.headers["content-crs"] == f"<{CRS84}>"
    single = client.get("/api/collections/districts/items/066")
    assert single.headers["content-crs"] == f"<{CRS84}>"


@pytest.mark.parametrize("srid", [9213, 3405])
def test_a_point_in_vn2000_metres_agrees_with_pyproj_within_10_cm(client, settlement, srid):
    lon, lat = settlement["geometry"]["coordinates"]
    response = client.get(
        f"/api/collections/settlements/items/{settlement['id']}", params={"crs": EPSG + str(srid)}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-crs"] == f"<{EPSG}{srid}>"
    east, north = response.json()["geometry"]["coordinates"]  # EPSG's axis order: easting, northing
    expected_east, expected_north = vn2000(lon, lat, srid)
    assert abs(east - expected_east) < 0.1 and abs(north - expected_north) < 0.1, (east, north)
    assert 300_000 < east < 700_000 and 2_400_000 < north < 2_550_000
    assert "crs" not in response.json()["geometry"], "no GeoJSON-2008 crs member"


def test_geographic_epsg_crss_are_latitude_first(client, settlement):
    lon, lat = settlement["geometry"]["coordinates"]
    fid = settlement["id"]
    wgs84 = client.get(f"/api/collections/settlements/items/{fid}", params={"crs": EPSG + "4326"}).json()
    assert wgs84["geometry"]["coordinates"] == [lat, lon]
    response = client.get(f"/api/collections/settlements/items/{fid}", params={"crs": EPSG + "4756"})
    assert response.headers["content-crs"] == f"<{EPSG}4756>"
    lat_vn, lon_vn = response.json()["geometry"]["coordinates"]
    expected_lon, expected_lat = vn2000(lon, lat, 4756)
    # 1e-6 degree is about 0.1 m
    assert abs(lat_vn - expected_lat) < 1e-6 and abs(lon_vn - expected_lon) < 1e-6
    assert abs(lon_vn - lon) > 1e-4, "the datum shift (about 200 m) is applied"


def test_items_in_9213_keep_filters_and_paging(client):
    plain = client.get("/api/collections/communes/items", params={"district": "066", "limit": 5}).json()
    metres = client.get(
        "/api/collections/communes/items", params={"district": "066", "limit": 5, "crs": "EPSG:9213"}
    )
    assert metres.headers["content-crs"] == f"<{EPSG}9213>"
    body = metres.json()
    assert [f["id"] for f in body["features"]] == [f["id"] for f in plain["features"]]
    assert body["numberMatched"] == plain["numberMatched"]
    x, y = body["features"][0]["geometry"]["coordinates"][0][0][0]
    assert 300_000 < x < 700_000 and 2_400_000 < y < 2_550_000


def test_bbox_in_vn2000_metres_and_in_lat_lon_finds_the_point(client, settlement):
    lon, lat = settlement["geometry"]["coordinates"]
    east, north = vn2000(lon, lat, 9213)
    around = f"{east - 500},{north - 500},{east + 500},{north + 500}"
    found = client.get(
        "/api/collections/settlements/items", params={"bbox": around, "bbox-crs": EPSG + "9213"}
    ).json()
    assert settlement["id"] in [f["id"] for f in found["features"]]
    away = f"{east + 5000},{north + 5000},{east + 6000},{north + 6000}"
    missed = client.get(
        "/api/collections/settlements/items", params={"bbox": away, "bbox-crs": EPSG + "9213"}
    ).json()
    assert settlement["id"] not in [f["id"] for f in missed["features"]]
    lat_lon = f"{lat - 0.001},{lon - 0.001},{lat + 0.001},{lon + 0.001}"
    by_lat_lon = client.get(
        "/api/collections/settlements/items", params={"bbox": lat_lon, "bbox-crs": EPSG + "4326"}
    ).json()
    assert [f["id"] for f in by_lat_lon["features"]] == [settlement["id"]]


def test_csv_in_9213_writes_metres(client):
    response = client.get("/api/collections/settlements/items", params={"f": "csv", "crs": "EPSG:9213"})
    assert response.status_code == 200
    last = response.text.splitlines()[1].rsplit(",", 1)[-1]
    assert last.startswith("POINT(4") or last.startswith('"POINT(4'), last


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"crs": "EPSG:3857"}, "crs"),
        ({"crs": "http://www.opengis.net/def/crs/EPSG/0/32648"}, "crs"),
        ({"bbox": "1,2,3,4", "bbox-crs": "EPSG:2000"}, "bbox-crs"),
        ({"bbox": "2450000,430000,2440000,440000", "bbox-crs": "EPSG:9213"}, "bbox"),
    ],
)
def test_unknown_crs_is_a_400_naming_the_parameter(client, params, named):
    response = client.get("/api/collections/districts/items", params=params)
    assert response.status_code == 400
    assert response.json()["description"].startswith(named), response.json()
    single = client.get("/api/collections/districts/items/066", params={"crs": "EPSG:3857"})
    assert single.status_code == 400 and single.json()["description"].startswith("crs")


def test_the_default_crs84_path_keeps_its_sql():
    """Without crs=/bbox-crs= the items SQL is the one before Part 2: no transform, no cast, no flip."""
    from geo.serve.catalog import Collection
    from geo.serve.features import ItemsQuery, _where_sql, feature_sql

    layer = Collection(
        id="x", title_vi="x", title_en="x", description="", sheet_id=None, relation="layers.x",
        id_column="fid", id_is_integer=True, where="TRUE", columns={"name": "text"},
    )  # fmt: skip
    sql = feature_sql(layer)
    assert "ST_AsGeoJSON(t.geom, 6)" in sql and "ST_Transform" not in sql and "Flip" not in sql
    where = _where_sql(layer, ItemsQuery(bbox=(105.0, 21.0, 106.0, 22.0)), [])
    assert "ST_MakeEnvelope($1, $2, $3, $4, 4326)" in where and "::float8" not in where
    metres = feature_sql(layer, crs=parse_crs("EPSG:9213", "crs"))
    assert "ST_Transform(t.geom, 9213), 3, 0" in metres
