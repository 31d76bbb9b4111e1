"""/api/search: diacritic-blind, old and new unit names, ranking, errors."""

import unicodedata

import pytest
from sqlalchemy import text


def search(client, q, **params):
    response = client.get("/api/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    return response.json()["results"]


@pytest.mark.parametrize(
    "q", ["cho moi", "Chợ Mới", "CHO MOI", "  chợ   mới ", unicodedata.normalize("NFD", "Chợ Mới")]
)
def test_cho_moi_is_found_with_or_without_diacritics(client, q):
    results = search(client, q)
    # the district comes first: exact match, and districts rank before communes
    assert (results[0]["kind"], results[0]["id"], results[0]["name"]) == ("district", "065", "Chợ Mới")
    assert results[0]["valid"] == "old"
    kinds = {(r["kind"], r["name"]) for r in results}
    assert ("commune_2025", "Chợ Mới") in kinds  # Xã Chợ Mới, the 2025 unit
    assert all(r["match"] == "exact" for r in results[:2])


def test_the_three_spellings_give_the_same_answer(client):
    answers = [[(r["kind"], r["id"]) for r in search(client, q)] for q in ("cho moi", "Chợ Mới", "CHO MOI")]
    assert answers[0] == answers[1] == answers[2]


def test_an_old_commune_name_is_found_as_old(client):
    results = search(client, "duong quang")
    first = results[0]
    assert (first["kind"], first["name"], first["valid"]) == ("commune", "Dương Quang", "old")
    assert first["district"] == "Bắc Kạn"  # TP Bắc Kạn
    assert first["source"] and first["geometry_quality"] in {"exact", "approximate"}


def test_a_2025_unit_name_is_found_as_new(client):
    results = search(client, "Phong Quang")
    first = results[0]
    assert (first["kind"], first["id"], first["valid"]) == ("commune_2025", "01849", "new")
    assert "Phong Quang" in first["name"]
    # no official polygon of the 2025 units is published: whatever geometry there is cannot be exact
    assert first["geometry_quality"] in {"approximate", "none"} and first["source"]


def test_results_carry_bbox_and_centroid_inside_the_province(client, engine):
    with engine.connect() as conn:
        w, s, e, n = conn.execute(
            text(
                "SELECT ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom) "
                "FROM admin_unit WHERE level = 'province' AND code = '06'"
            )
        ).one()
    district = search(client, "ba be")[0]
    assert (district["kind"], district["id"]) == ("district", "061")
    bw, bs, be, bn = district["bbox"]
    lon, lat = district["centroid"]
    assert w - 1e-6 <= bw < be <= e + 1e-6 and s - 1e-6 <= bs < bn <= n + 1e-6
    assert bw <= lon <= be and bs <= lat <= bn


def test_zones_and_projects_are_searchable_and_rank_after_admin_units(client):
    results = search(client, "thanh binh", limit=50)
    kinds = [r["kind"] for r in results]
    assert "zone" in kinds and "project" in kinds
    zone_ids = {r["id"] for r in results if r["kind"] == "zone"}
    assert "KCN-01" in zone_ids
    order = ["province", "district", "commune", "commune_2025", "zone", "project", "settlement"]
    contains = [order.index(r["kind"]) for r in results if r["match"] == "contains"]
    assert contains == sorted(contains)


def test_an_id_finds_its_record(client):
    results = search(client, "prj-05")
    assert (results[0]["kind"], results[0]["id"], results[0]["match"]) == ("project", "PRJ-05", "exact")


def test_limit_is_respected(client):
    assert len(search(client, "a", limit=3)) == 3


def test_like_wildcards_are_plain_text(client):
    assert search(client, "%") == []
    assert search(client, "_") == []


@pytest.mark.parametrize(
    "params, fragment",
    [
        ({"q": ""}, "q"),
        ({"q": "   "}, "q"),
        ({}, "q"),
        ({"q": "x" * 101}, "100"),
        ({"q": "cho moi", "limit": 0}, "limit"),
        ({"q": "cho moi", "limit": 51}, "limit"),
        ({"q": "cho moi", "limit": "ten"}, "limit"),
    ],
)
def test_bad_input_is_a_400_saying_what_is_wrong(client, params, fragment):
    response = client.get("/api/search", params=params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "InvalidParameter"
    assert fragment in body["description"]


def test_old_and_new_provinces_are_told_apart(client):
    provinces = [r for r in search(client, "thai nguyen") if r["kind"] == "province"]
    assert sorted(r["valid"] for r in provinces) == ["new", "old"]  # Thái Nguyên before and after 2025-07-01
    bac_kan = next(r for r in search(client, "bac kan") if r["kind"] == "province")
    assert (bac_kan["id"], bac_kan["valid"]) == ("06", "old")


@pytest.mark.parametrize(
    "q",
    [
        "{north:.2f} {east:.2f}",  # X then Y, as decisions list boundary points
        "X={north_vi} Y={east_vi}",  # decimal comma, labelled
        "{east:.2f}, {north:.2f}",  # the other order
    ],
)
def test_a_vn2000_coordinate_takes_you_to_that_point(client, q):
    from pyproj import Transformer

    lon, lat = 105.62, 22.41  # Ba Bể lake
    east, north = Transformer.from_crs(4326, 9213, always_xy=True).transform(lon, lat)
    typed = q.format(
        north=north,
        east=east,
        north_vi=f"{north:.2f}".replace(".", ","),
        east_vi=f"{east:.2f}".replace(".", ","),
    )
    (hit,) = client.get("/api/search", params={"q": typed}).json()["results"]
    assert hit["kind"] == "coordinate" and hit["id"] == "EPSG:9213" and hit["in_province"] is True
    # converted back by PostGIS within a few millimetres of where it was made
    assert abs(hit["centroid"][0] - lon) < 1e-6 and abs(hit["centroid"][1] - lat) < 1e-6
    assert hit["name"].startswith(f"VN-2000 X = {north:.2f} m")


def test_the_cursor_readout_pasted_back_finds_the_same_place(client):
    from pyproj import Geod, Transformer

    lon, lat = 105.8345, 22.1472
    east, north = Transformer.from_crs(4326, 9213, always_xy=True).transform(lon, lat)
    # what the viewer's cursor shows in Vietnamese: thousands grouped with dots, whole metres
    readout = f"VN-2000 X {north:,.0f} Y {east:,.0f}".replace(",", ".")
    (hit,) = client.get("/api/search", params={"q": readout}).json()["results"]
    assert hit["kind"] == "coordinate"
    _, _, metres = Geod(ellps="WGS84").inv(lon, lat, *hit["centroid"])
    assert metres < 1.0


def test_a_wgs84_pair_in_either_order_is_a_coordinate_too(client):
    for q in ("22.41, 105.62", "105.62 22.41"):
        (hit,) = client.get("/api/search", params={"q": q}).json()["results"]
        assert (hit["kind"], hit["centroid"]) == ("coordinate", [105.62, 22.41])
    far = client.get("/api/search", params={"q": "21.03, 105.85"}).json()["results"]  # Hà Nội
    assert far[0]["in_province"] is False


@pytest.mark.parametrize("q", ["12 34", "2478123", "QL3 105", "PRJ-01"])
def test_text_that_is_not_a_coordinate_pair_is_searched_as_names(client, q):
    results = client.get("/api/search", params={"q": q}).json()["results"]
    assert all(r["kind"] != "coordinate" for r in results)
