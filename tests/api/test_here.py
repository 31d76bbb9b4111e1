"""/api/here: admin units old and new, sheet features, outside the province, bad coordinates."""

import pytest
from sqlalchemy import text

BA_BE_LAKE = (105.62, 22.41)


def here(client, lon, lat):
    response = client.get("/api/here", params={"lon": lon, "lat": lat})
    assert response.status_code == 200, response.text
    return response.json()


def point_on_surface(engine, sql: str) -> tuple[float, float]:
    with engine.connect() as conn:
        return tuple(
            conn.execute(
                text(f"SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p {sql}) q")
            ).one()
        )


def crosswalk_of(engine, commune_code: str) -> set[str]:
    with engine.connect() as conn:
        return set(
            conn.execute(
                text("SELECT new_code FROM admin_crosswalk WHERE old_code = :c"), {"c": commune_code}
            )
            .scalars()
            .all()
        )


def test_a_point_inside_ba_be_district(client, engine):
    lon, lat = point_on_surface(engine, "FROM admin_unit WHERE level = 'district' AND code = '061' LIMIT 1")
    answer = here(client, lon, lat)
    assert answer["point"] == [lon, lat]
    assert answer["district"]["code"] == "061" and answer["district"]["name"] == "Ba Bể"
    commune = answer["commune"]
    assert commune is not None and commune["parent_code"] == "061"
    if crosswalk_of(engine, commune["code"]):
        assert answer["unit_2025"]["code"] in crosswalk_of(engine, commune["code"])
        assert "Thái Nguyên" in answer["unit_2025"]["province"]
    else:
        assert answer["unit_2025"] is None and answer["unit_2025_note"]


def test_ba_be_lake_lands_in_ba_be_and_the_2025_commune_ba_be(client):
    answer = here(client, *BA_BE_LAKE)
    assert answer["district"] == {"code": "061", "name": "Ba Bể", "full_name": "Huyện Ba Bể"}
    assert answer["commune"]["name"] == "Nam Mẫu"  # the lake's host commune
    assert answer["unit_2025"]["code"] == "01906" and answer["unit_2025"]["name"] == "Xã Ba Bể"
    assert answer["unit_2025_note"] is None
    assert "note" not in answer


def test_a_point_in_bac_kan_city(client, engine):
    lon, lat = point_on_surface(engine, "FROM admin_unit WHERE level = 'district' AND code = '058' LIMIT 1")
    answer = here(client, lon, lat)
    assert answer["district"]["code"] == "058"
    assert answer["district"]["full_name"] == "Thành phố Bắc Kạn"
    assert answer["commune"]["parent_code"] == "058"
    assert answer["unit_2025"]["name"] in {"Phường Đức Xuân", "Phường Bắc Kạn", "Xã Phong Quang"}


def test_every_sheet_is_listed_and_loaded_layers_answer(client, engine):
    with engine.connect() as conn:
        sheet_ids = conn.execute(text("SELECT sheet_id FROM map_sheet ORDER BY number")).scalars().all()
        loaded = set(
            conn.execute(
                text("SELECT DISTINCT sheet_id FROM sheet_layer WHERE table_name IS NOT NULL")
            ).scalars()
        )
    answer = here(client, *BA_BE_LAKE)
    assert [s["sheet_id"] for s in answer["sheets"]] == sheet_ids
    for sheet in answer["sheets"]:
        assert sheet["loaded"] == (sheet["sheet_id"] in loaded)
        if not sheet["loaded"]:
            assert sheet["features"] == []
    features = [f for s in answer["sheets"] for f in s["features"]]
    outline = [f for f in features if f["collection"] == "province_outline"]
    assert len(outline) == 1 and outline[0]["distance_m"] == 0
    for feature in features:
        assert {"collection", "layer_title_vi", "fid", "name", "properties", "distance_m"} <= feature.keys()
        assert feature["properties"]["geometry_quality"] in {"exact", "approximate", "none"}


def test_a_settlement_is_found_within_the_tolerance_with_its_distance(client, engine):
    with engine.connect() as conn:
        table = conn.execute(
            text("SELECT table_name FROM sheet_layer WHERE layer_key = 'settlements' AND table_name <> ''")
        ).scalar_one()
        # 200 m north of the first settlement, computed by PostGIS on the spheroid
        name, lon, lat = conn.execute(
            text(
                "SELECT name, ST_X(p), ST_Y(p) FROM (SELECT name, "
                f'ST_Project(geom::geography, 200, 0)::geometry AS p FROM layers."{table}" '
                "ORDER BY fid LIMIT 1) q"
            )
        ).one()
    answer = here(client, lon, lat)
    near = [f for s in answer["sheets"] for f in s["features"] if f["collection"] == "settlements"]
    match = [f for f in near if f["name"] == name]
    assert match, near
    assert 195 <= match[0]["distance_m"] <= 205
    assert all(f["distance_m"] <= 500 for f in near)


def test_inside_each_commune_abolished_in_2020_one_2020_commune_and_one_2025_unit_answer(client, engine):
    with engine.connect() as conn:
        holes = conn.execute(
            text(
                "SELECT u.code, u.name, ST_X(ST_PointOnSurface(u.geom)), ST_Y(ST_PointOnSurface(u.geom)) "
                "FROM admin_unit u WHERE u.level = 'commune' AND u.status_2025 = 'abolished (merged 2020)' "
                "ORDER BY u.code"
            )
        ).all()
    assert len(holes) == 14
    for code, name, lon, lat in holes:
        answer = here(client, lon, lat)
        commune = answer["commune"]
        assert commune["valid_to"] == "2025-06-30", name  # the unit of 2020–2025 that absorbed it
        assert answer["commune_2009"]["code"] == code and answer["commune_2009"]["name"] == name
        assert answer["commune_2009"]["status_2025_vi"] == "đã giải thể (sáp nhập năm 2020)"
        assert answer["unit_2025"] is not None and answer["unit_2025_note"] is None, name
        assert answer["unit_2025"]["code"] in crosswalk_of(engine, commune["code"])


def test_former_cao_tri_is_thuong_giao_then_cho_ra(client):
    answer = here(client, 105.6951, 22.4601)
    assert answer["commune_2009"]["name"] == "Cao Trĩ"
    assert answer["commune"]["name"] == "Thượng Giáo" and answer["commune"]["valid_from"] == "2020-02-01"
    assert answer["commune"]["geometry_quality"] == "exact"
    assert answer["commune"]["status_2025_vi"].startswith("đơn vị từ 01/02/2020")
    assert answer["unit_2025"]["name"] == "Xã Chợ Rã"


def test_a_commune_nq_855_did_not_touch_has_no_2009_line(client):
    answer = here(client, *BA_BE_LAKE)
    assert answer["commune"]["name"] == "Nam Mẫu" and answer["commune_2009"] is None


def test_outside_the_province_is_empty_with_a_note(client):
    answer = here(client, 105.85, 21.03)  # Hà Nội
    assert answer["sheets"] == []
    assert answer["district"] is None and answer["commune"] is None and answer["unit_2025"] is None
    assert "outside Bắc Kạn" in answer["note"]


@pytest.mark.parametrize(
    "params, fragment",
    [
        ({"lon": 105.6}, "lat"),
        ({"lat": 22.4}, "lon"),
        ({}, "lon"),
        ({"lon": "abc", "lat": 22.4}, "lon"),
        ({"lon": 105.6, "lat": 95}, "lat"),
        ({"lon": 200, "lat": 22.4}, "lon"),
        ({"lon": "nan", "lat": 22.4}, "finite"),
        ({"lon": 105.6, "lat": "inf"}, "finite"),
    ],
)
def test_bad_coordinates_are_a_400_saying_what_is_wrong(client, params, fragment):
    response = client.get("/api/here", params=params)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "InvalidParameter"
    assert fragment in body["description"]


def test_a_zone_footprint_is_found_with_its_quality(client, engine):
    with engine.connect() as conn:
        zone_id, lon, lat = conn.execute(
            text(
                "SELECT zone_id, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM zone "
                "WHERE kind = 'KCN' AND ST_Dimension(geom) = 2 ORDER BY zone_id LIMIT 1"
            )
        ).one()
        quality = conn.execute(
            text("SELECT geometry_quality FROM zone WHERE zone_id = :z"), {"z": zone_id}
        ).scalar()
    answer = here(client, lon, lat)
    zone = next(z for z in answer["zones"] if z["id"] == zone_id)
    assert zone["distance_m"] == 0 and zone["geometry_quality"] == quality
    if quality == "approximate":
        assert zone["geometry_note"]
    on_sheet = [f for s in answer["sheets"] for f in s["features"] if f["fid"] == zone_id]
    assert on_sheet and on_sheet[0]["collection"] == "industrial_zones"


def test_district_only_places_are_named_for_the_district(client, engine):
    with engine.connect() as conn:
        lon, lat = conn.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM admin_unit "
                "WHERE level = 'district' AND code = '065') q"
            )
        ).one()
        expected = set(
            conn.execute(
                text(
                    "SELECT zone_id FROM zone WHERE geom IS NULL AND district_code = '065' UNION ALL "
                    "SELECT project_id FROM project WHERE geom IS NULL AND NOT is_category "
                    "AND '065' = ANY(district_codes)"
                )
            ).scalars()
        )
    assert expected  # KCN Chợ Mới 3–5 are placed by district only
    answer = here(client, lon, lat)
    assert answer["district"]["code"] == "065"
    assert {u["id"] for u in answer["unmapped_in_district"]} == expected


def test_the_point_is_also_given_in_vn2000_as_planners_read_it(client):
    from pyproj import Transformer

    answer = here(client, *BA_BE_LAKE)
    easting, northing = Transformer.from_crs(4326, 9213, always_xy=True).transform(*BA_BE_LAKE)
    vn2000 = answer["vn2000"]
    # Vietnamese surveying order: X is the northing, Y the easting (false easting 500 km)
    assert vn2000["crs"] == "EPSG:9213"
    assert abs(vn2000["x_north_m"] - northing) < 0.05 and abs(vn2000["y_east_m"] - easting) < 0.05
    assert 2_400_000 < vn2000["x_north_m"] < 2_550_000 and 400_000 < vn2000["y_east_m"] < 600_000
