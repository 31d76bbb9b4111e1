"""The newest public facts: zone status news with their history, the project found since, schematic lines."""

import json

from sqlalchemy import text

from geo.store.settings import DATA_DIR

KCN_02_NEWS = "https://baobackan.vn/no-luc-hanh-dong-quyet-tam-cao-tao-but-pha-tren-cac-linh-vuc-phan-dau-hoan-thanh-thang-loi-cac-muc-tieu-nhiem-vu-nam-2025-post68828.html"


def test_zone_status_news_update_the_zone_and_keep_the_history(engine):
    with engine.connect() as conn:
        zone = conn.execute(
            text("SELECT status, status_vi, status_source, source_url FROM zone WHERE zone_id = 'KCN-02'")
        ).one()
        history = conn.execute(
            text(
                "SELECT status, source, recorded_by FROM zone_status_event "
                "WHERE zone_id = 'KCN-02' ORDER BY id"
            )
        ).all()
        huyen_tung = conn.execute(text("SELECT status_vi FROM zone WHERE zone_id = 'CCN-07'")).scalar_one()
        pointer = conn.execute(text("SELECT count(*) FROM zone WHERE zone_id = 'CCN-PLAN'")).scalar_one()
    assert zone.status.startswith("under implementation (2024)") and zone.status_source == KCN_02_NEWS
    assert zone.status_vi.startswith("đang triển khai (2024)")
    # the plan's list said "planned"; the news came later, each step with its own source
    assert [(h.status, h.source) for h in history] == [
        ("planned", zone.source_url),
        (zone.status, KCN_02_NEWS),
    ]
    assert {h.recorded_by for h in history} == {"planview load"}
    assert huyen_tung.startswith("đang hoạt động/lấp đầy")
    assert pointer == 0  # the 2014 CCN plan is a document, not a zone


def test_the_project_found_since_is_loaded_and_the_pointer_row_is_not(engine):
    with engine.connect() as conn:
        rows = {
            r.project_id: r
            for r in conn.execute(
                text(
                    "SELECT project_id, status, zone_id, district_codes, geometry_quality, source_url "
                    "FROM project WHERE project_id LIKE 'PRJ-M%'"
                )
            )
        }
    assert set(rows) == {"PRJ-M01"}
    shoes = rows["PRJ-M01"]
    assert shoes.status == "under_construction"  # ">90% construction volume completed": not finished
    assert shoes.zone_id == "CCN-07" and shoes.district_codes == ["058"]
    assert shoes.source_url.startswith("https://backan.gov.vn/")


def test_a_road_known_by_its_ends_is_a_schematic_line_through_only_those_points(engine):
    settlements = json.loads((DATA_DIR / "base" / "bac_kan_settlements_geonames.geojson").read_text())
    bac_kan = next(f for f in settlements["features"] if f["properties"]["geonameid"] == 1591538)
    with engine.connect() as conn:
        line = conn.execute(
            text(
                "SELECT geometry_quality, GeometryType(geom) AS kind, ST_NPoints(geom) AS points, "
                "       ST_X(ST_StartPoint(geom)) AS x0, ST_Y(ST_StartPoint(geom)) AS y0, "
                "       ST_Intersects(ST_EndPoint(geom), (SELECT geom FROM admin_unit "
                "         WHERE level = 'commune' AND valid_from IS NULL AND code = '01909')) AS nam_mau, "
                "       geometry_note, geometry_note_vi FROM project WHERE project_id = 'PRJ-01'"
            )
        ).one()
    assert (line.geometry_quality, line.kind, line.points) == ("schematic", "LINESTRING", 2)
    assert [line.x0, line.y0] == bac_kan["geometry"]["coordinates"] and line.nam_mau
    assert "not the route" in line.geometry_note and "Đà Vị" in line.geometry_note
    assert line.geometry_note_vi.startswith("sơ đồ")


def test_a_schematic_line_is_not_screened_and_says_why(client):
    report = client.get("/api/projects/PRJ-01/conflicts").json()
    # a line between two named points says nothing about the land in between
    assert report["verdict"] == "not_screened" and report["conflicts"] == []
    assert "schematic" in report["not_screened_reason"]
    assert report["not_screened_reason_vi"].startswith("sơ đồ")


def test_what_is_here_names_places_known_only_by_district(client, engine):
    with engine.connect() as conn:
        lon, lat = conn.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM admin_unit "
                "WHERE level = 'district' AND code = '064') q"  # Chợ Đồn: CCN-05 has no published site
            )
        ).one()
    answer = client.get("/api/here", params={"lon": lon, "lat": lat}).json()
    unmapped = {u["id"]: u for u in answer["unmapped_in_district"]}
    assert "CCN-05" in unmapped
    assert unmapped["CCN-05"]["location_note"] == "district only, no location published"
    assert unmapped["CCN-05"]["location_note_vi"] == "chỉ biết huyện, chưa công bố vị trí"
