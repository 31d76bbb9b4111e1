"""POST /api/screen, the conflicts endpoints and the plan-conformity sheets over HTTP."""

import orjson
import pytest
from sqlalchemy import text

from geo.analysis import rules, screening


@pytest.fixture(scope="module")
def ready(engine):
    with engine.begin() as conn:
        rules.load_rules(conn)
    screening.screen_all(engine)
    with engine.connect() as conn:
        park_point = conn.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p "
                "FROM layers.protected_areas WHERE name LIKE 'Vườn quốc gia%') x"
            )
        ).one()
    return park_point


def square(lon: float, lat: float, half: float = 0.002) -> dict:
    ring = [
        [lon - half, lat - half],
        [lon + half, lat - half],
        [lon + half, lat + half],
        [lon - half, lat + half],
    ]
    return {"type": "Polygon", "coordinates": [ring + [ring[0]]]}


def stored_state(engine) -> tuple:
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT (SELECT count(*) FROM project_conflict), (SELECT max(id) FROM project_conflict), "
                "(SELECT version FROM data_version), (SELECT count(*) FROM project)"
            )
        ).one()


def post(client, body, **params):
    data = body if isinstance(body, bytes) else orjson.dumps(body)
    return client.post(
        "/api/screen", content=data, params=params, headers={"content-type": "application/json"}
    )


def assert_error(response, status: int, words: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"code", "description"}
    assert words in body["description"]


def test_a_footprint_in_the_national_park_is_blocked_and_nothing_is_stored(client, engine, ready):
    before = stored_state(engine)
    feature = {"type": "Feature", "properties": {"sector": "du lịch"}, "geometry": square(*ready)}
    response = post(client, feature)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["stored"] is False
    assert report["verdict"] == "conflicts"
    (core,) = [c for c in report["conflicts"] if c["rule_code"] == "PA-CORE"]
    assert core["severity"] == "block"
    assert core["approximate"] is True
    assert core["constraint"]["geometry_quality"] == "approximate"
    assert core["constraint"]["name"].startswith("Vườn quốc gia Ba Bể")
    assert core["overlap_pct"] == pytest.approx(100, rel=0.01)
    assert core["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert "Luật Lâm nghiệp" in core["legal_basis"]
    assert report["subject"]["sector"] == "du lịch"
    inactive = {r["rule_code"]: r["reason"] for r in report["inactive_rules"]}
    assert "no loaded land-use layer" in inactive["LU-RDD"]
    assert stored_state(engine) == before


def test_assigned_district_is_checked_for_a_footprint(client, ready):
    report = post(client, square(*ready), district="Chợ Mới").json()  # the park is in Ba Bể / Chợ Đồn
    (outside,) = [c for c in report["conflicts"] if c["rule_code"] == "DISTRICT-OUTSIDE"]
    assert outside["evidence"]["assigned_districts"] == ["065"]


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b"", 400, "send a GeoJSON"),
        (b"[1, 2]", 400, "GeoJSON object"),
        (
            {
                "type": "Polygon",
                "coordinates": [[[105.8, 22.1], [105.9, 22.1], [105.9, 22.2], [105.8, 22.3]]],
            },
            422,
            "not closed",
        ),
        (
            {
                "type": "Polygon",
                "coordinates": [
                    [[105.80, 22.10], [105.85, 22.15], [105.85, 22.10], [105.80, 22.15], [105.80, 22.10]]
                ],
            },
            422,
            "Self-intersection",
        ),
        ({"type": "Feature", "geometry": None}, 422, "no geometry"),
        ({"type": "Topology"}, 422, "unsupported GeoJSON type"),
        ({"type": "Point", "coordinates": [585000, 2450000]}, 422, "lon/lat"),
        ({"type": "Point", "coordinates": [105.85, 21.03]}, 422, "Bắc Kạn"),
        (
            {"type": "LineString", "coordinates": [[105.8 + i * 1e-6, 22.1] for i in range(10_001)]},
            413,
            "vertices",
        ),
    ],
)
def test_bad_footprints_get_a_clear_4xx(client, engine, ready, body, status, words):
    before = stored_state(engine)
    assert_error(post(client, body), status, words)
    assert stored_state(engine) == before


def test_an_oversized_body_is_refused_with_413(client, ready):
    big = b'{"type": "Point", "coordinates": [105.8, 22.1], "pad": "' + b"x" * 1_100_000 + b'"}'
    assert_error(post(client, big), 413, "limit")


def test_unknown_district_is_a_400(client, ready):
    assert_error(post(client, square(*ready), district="Atlantis"), 400, "not a pre-2025 district")


def test_project_conflicts_and_the_list(client, ready):
    listing = client.get("/api/conflicts").json()
    assert listing["data_version"] >= 1
    for conflict in listing["conflicts"]:
        assert conflict["severity"] in ("block", "review", "info")
        assert conflict["project"]["id"]
    some = client.get("/api/projects/PRJ-05/conflicts").json()
    assert some["subject"]["id"] == "PRJ-05"
    assert some["verdict"] in ("consistent", "needs_review", "conflicts", "not_screened")
    assert_error(client.get("/api/projects/NOPE-1/conflicts"), 404, "NOPE-1")
    assert client.get("/api/conflicts", params={"severity": "fatal"}).status_code == 400
    only_review = client.get("/api/conflicts", params={"severity": "review"}).json()
    assert {c["severity"] for c in only_review["conflicts"]} <= {"review"}
    in_065 = client.get("/api/conflicts", params={"district": "065"}).json()
    assert all("065" in c["project"]["district_codes"] for c in in_065["conflicts"])


def test_the_conflicts_list_downloads_as_a_spreadsheet(client, ready):
    import csv
    import io

    response = client.get("/api/conflicts", params={"f": "csv", "severity": "block"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert (
        "attachment" in response.headers["content-disposition"]
        and "-block.csv" in response.headers["content-disposition"]
    )
    assert response.content.startswith("\ufeff".encode())  # Excel reads the diacritics right
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    listing = client.get("/api/conflicts", params={"severity": "block"}).json()
    assert len(rows) == len(listing["conflicts"]) > 0
    # the real finding on the shipped data: PRJ-11 lies in the Ba Bể national park core
    park = next(r for r in rows if r["project_id"] == "PRJ-11" and r["rule_code"] == "PA-CORE")
    assert park["severity"] == "block" and park["constraint_name"] == "Vườn quốc gia Ba Bể"
    assert float(park["overlap_ha"]) > 400 and park["approximate"] == "True"
    assert park["legal_basis"] and park["data_version"] == str(listing["data_version"])
    unknown = client.get("/api/conflicts", params={"f": "xlsx"})
    assert unknown.status_code == 400 and "f" in unknown.text


def test_rule_catalog_lists_inactive_rules_with_reasons(client, ready):
    rules = {r["rule_code"]: r for r in client.get("/api/conflict-rules").json()["rules"]}
    assert rules["PA-CORE"]["status"] == "active"
    assert rules["WATER-LAKE"]["status"] == "inactive"
    assert "lakes" in rules["WATER-LAKE"]["inactive_reason"]
    assert rules["LU-RICE"]["threshold_verified"] is False


def test_project_conformity_sheet_prints_on_a4(client, ready):
    data = client.get("/api/projects/PRJ-05/conformity").json()
    assert data["live_view_url"].startswith("/?view=planner")
    by_sheet = {s["sheet_id"]: s for s in data["sheets"]}
    assert by_sheet["P8"]["status"] == "no_data"
    page = client.get("/projects/PRJ-05/conformity")
    assert page.status_code == 200
    html = page.text
    assert "@page { size: A4" in html and "<svg" in html
    assert 'data-sheet="P8"' in html and "chưa có dữ liệu" in html
    assert f'data-verdict="{data["verdict"]}"' in html
    assert "/?view=planner" in html
    assert "Plan-conformity sheet" in client.get("/projects/PRJ-05/conformity", params={"lang": "en"}).text
    assert client.get("/projects/NOPE/conformity").status_code == 404


def test_footprint_conformity_sheet(client, engine, ready):
    before = stored_state(engine)
    response = client.post(
        "/conformity", content=orjson.dumps(square(*ready)), headers={"content-type": "application/json"}
    )
    assert response.status_code == 200
    assert 'data-verdict="conflicts"' in response.text and 'data-rule="PA-CORE"' in response.text
    data = client.post("/api/conformity", content=orjson.dumps(square(*ready))).json()
    park = {s["sheet_id"]: s for s in data["sheets"]}["P2.g"]
    assert park["status"] == "designated" and "Vườn quốc gia Ba Bể" in park["summary_vi"]
    assert stored_state(engine) == before
