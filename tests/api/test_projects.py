"""Projects API: filters and counts, record and history, transactional status changes, districts, report."""

import csv
import io

import pytest
from sqlalchemy import text


def scalar(engine, sql, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


@pytest.fixture(scope="module")
def planner(accounts) -> dict:
    """Authorization header of a planner (Bearer: no CSRF token needed)."""
    accounts.add("projects_planner", "planner", name="Chuyên viên Sở KH&ĐT")
    return accounts.bearer("projects_planner")


def read_version(client, project_id) -> int:
    """The version a writer read: the ETag of the project's record."""
    return int(client.get(f"/api/projects/{project_id}").headers["etag"].strip('"'))


def state(engine, project_id):
    """What a status change may touch: the project row, its events, the data version."""
    with engine.connect() as conn:
        return (
            conn.execute(
                text("SELECT status, progress_pct, updated_at FROM project WHERE project_id = :p"),
                {"p": project_id},
            ).one(),
            conn.execute(
                text("SELECT count(*) FROM project_status_event WHERE project_id = :p"), {"p": project_id}
            ).scalar(),
            conn.execute(text("SELECT version FROM data_version")).scalar(),
        )


def a_project(engine, offset=0):
    return scalar(
        engine,
        "SELECT project_id FROM project WHERE NOT is_category ORDER BY project_id OFFSET :o LIMIT 1",
        o=offset,
    )


def test_the_list_counts_match_the_database(client, engine):
    body = client.get("/api/projects").json()
    total = scalar(engine, "SELECT count(*) FROM project")
    assert len(body["projects"]) == total == body["counts"]["total"]
    assert sum(body["counts"]["by_status"].values()) == total
    assert sum(body["counts"]["by_sector"].values()) == total
    with engine.connect() as conn:
        by_district = dict(
            conn.execute(text("SELECT c, count(*) FROM project, unnest(district_codes) c GROUP BY c")).all()
        )
    assert body["counts"]["by_district"] == by_district
    first = body["projects"][0]
    for key in ("project_id", "name_vi", "status", "geometry_quality", "location_level", "bbox", "centroid"):
        assert key in first


@pytest.mark.parametrize(
    "district", ["065", "cho moi", "Chợ Mới", "CHO MOI", "Huyện Chợ Mới", "huyen cho moi"]
)
def test_district_filter_takes_a_code_or_a_name(client, engine, district):
    body = client.get("/api/projects", params={"district": district}).json()
    expected = scalar(engine, "SELECT count(*) FROM project WHERE '065' = ANY(district_codes)")
    assert expected > 0
    assert len(body["projects"]) == expected
    assert all("065" in p["district_codes"] for p in body["projects"])
    assert body["counts"]["by_district"]["065"] == expected


@pytest.mark.parametrize(
    "path, params",
    [
        ("/api/projects", {}),
        ("/api/conflicts", {}),
        ("/api/sites", {}),
        ("/api/reports/implementation", {"year": 2024}),
    ],
)
def test_an_unknown_district_is_the_same_400_everywhere(client, path, params):
    response = client.get(path, params={**params, "district": "Hoàn Kiếm"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "InvalidParameter"
    assert body["description"].startswith("district: 'Hoàn Kiếm' is not a pre-2025 district of Bắc Kạn")
    assert "065 Chợ Mới" in body["description"] and "061 Ba Bể" in body["description"]


def test_status_and_sector_filters(client, engine):
    status = scalar(engine, "SELECT status FROM project GROUP BY status ORDER BY count(*) DESC LIMIT 1")
    body = client.get("/api/projects", params={"status": status}).json()
    assert body["projects"] and {p["status"] for p in body["projects"]} == {status}
    assert body["counts"]["by_status"] == {status: len(body["projects"])}
    body = client.get("/api/projects", params={"sector": "giao thong"}).json()
    assert body["projects"] and all("giao thông" in p["sector"] for p in body["projects"])


def test_an_unknown_status_filter_is_a_400(client):
    response = client.get("/api/projects", params={"status": "finished"})
    assert response.status_code == 400
    assert "under_construction" in response.json()["description"]


def test_the_full_record_has_districts_by_name_and_history(client, engine):
    project_id = scalar(engine, "SELECT project_id FROM project WHERE '065' = ANY(district_codes) LIMIT 1")
    body = client.get(f"/api/projects/{project_id}").json()
    assert body["project_id"] == project_id
    assert {"code": "065", "name": "Chợ Mới", "full_name": "Huyện Chợ Mới"} in body["districts"]
    for column in (
        "source_url",
        "confidence",
        "decisions",
        "capital_source",
        "geometry_quality",
        "updated_at",
    ):
        assert column in body
    events = scalar(engine, "SELECT count(*) FROM project_status_event WHERE project_id = :p", p=project_id)
    assert len(body["history"]) == events


def test_a_status_change_is_recorded_with_history_and_bumps_the_data_version(client, engine, planner):
    project_id = a_project(engine)
    (_, _, _), events_before, version_before = state(engine, project_id)
    change = {"status": "under_construction", "progress_pct": 35, "note": "Đã khởi công"}
    etag = client.get(f"/api/projects/{project_id}").headers["etag"]
    response = client.post(
        f"/api/projects/{project_id}/status", json=change, headers={**planner, "If-Match": etag}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "under_construction" and body["progress_pct"] == 35
    newest = body["history"][0]
    assert (newest["status"], newest["progress_pct"], newest["note"], newest["recorded_by"]) == (
        "under_construction",
        35,
        "Đã khởi công",
        "Chuyên viên Sở KH&ĐT",  # the logged-in account, not a name typed into the body
    )
    assert newest["author"] == {
        "username": "projects_planner",
        "role": "planner",
        "display_name": "Chuyên viên Sở KH&ĐT",
        "verified": True,
    }
    assert response.headers["etag"] != etag
    (status, progress, _), events_after, version_after = state(engine, project_id)
    assert (status, float(progress)) == ("under_construction", 35.0)
    assert events_after == events_before + 1
    assert version_after == version_before + 1
    assert newest["data_version"] == version_after
    history = client.get(f"/api/projects/{project_id}/history").json()["history"]
    assert history[0]["id"] == newest["id"]
    assert [e["recorded_at"] for e in history] == sorted((e["recorded_at"] for e in history), reverse=True)
    assert client.get("/healthz").json()["data_version"] == version_after


@pytest.mark.parametrize(
    "change, fragment",
    [
        ({"status": "finished"}, "status"),
        ({"status": "completed", "progress_pct": 150}, "progress_pct"),
        ({"status": "completed", "progress_pct": -1}, "progress_pct"),
        ({"status": "completed", "recorded_by": "UBND tỉnh"}, "recorded_by"),  # the author is the login
        ({"status": "completed", "note": "n" * 2001}, "note"),
        ({"status": "completed", "colour": "red"}, "colour"),
    ],
)
def test_an_invalid_change_is_rejected_and_nothing_is_written(client, engine, planner, change, fragment):
    project_id = a_project(engine, offset=1)
    before = state(engine, project_id)
    change = {**change, "version": read_version(client, project_id)}
    response = client.post(f"/api/projects/{project_id}/status", json=change, headers=planner)
    assert 400 <= response.status_code < 500
    body = response.json()
    assert body["code"] == "InvalidParameter" and fragment in body["description"]
    assert state(engine, project_id) == before


def test_a_body_that_is_not_json_is_a_400(client, engine, planner):
    response = client.post(
        f"/api/projects/{a_project(engine)}/status",
        content=b"status=done",
        headers={"content-type": "text/plain", **planner},
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/api/projects/PRJ-404"),
        ("get", "/api/projects/PRJ-404/history"),
        ("post", "/api/projects/PRJ-404/status"),
    ],
)
def test_an_unknown_project_is_a_404(client, engine, planner, method, path):
    version = scalar(engine, "SELECT version FROM data_version")
    kwargs = {"json": {"status": "completed", "version": 1}, "headers": planner} if method == "post" else {}
    response = getattr(client, method)(path, **kwargs)
    assert response.status_code == 404
    assert "PRJ-404" in response.json()["description"]
    assert scalar(engine, "SELECT version FROM data_version") == version


def test_districts_lists_the_eight_with_project_counts(client, engine):
    districts = client.get("/api/districts").json()["districts"]
    assert [d["code"] for d in districts] == ["058", "060", "061", "062", "063", "064", "065", "066"]
    cho_moi = next(d for d in districts if d["code"] == "065")
    assert (cho_moi["name"], cho_moi["name_ascii"]) == ("Chợ Mới", "Cho Moi")
    assert cho_moi["project_count"] == scalar(
        engine, "SELECT count(*) FROM project WHERE '065' = ANY(district_codes)"
    )
    w, s, e, n = cho_moi["bbox"]
    assert w < cho_moi["centroid"][0] < e and s < cho_moi["centroid"][1] < n


def test_the_implementation_report_takes_the_status_at_20_october(client, engine):
    project_id = a_project(engine, offset=2)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO project_status_event "
                "(project_id, status, progress_pct, recorded_by, recorded_at, source) "
                "VALUES (:p, 'site_clearance', 10, 'test', '2031-03-01T08:00:00+07', 'test'), "
                "       (:p, 'completed', 100, 'test', '2031-10-21T08:00:00+07', 'test')"
            ),
            {"p": project_id},
        )
    report = client.get("/api/reports/implementation", params={"year": 2031}).json()
    assert report["as_of"] == "2031-10-20"
    row = next(p for p in report["projects"] if p["project_id"] == project_id)
    # the October 21 event is after the reporting date
    assert (row["status_at"], row["progress_pct_at"], row["updated_in_year"]) == ("site_clearance", 10, True)
    assert row["updates_in_year"] == 1
    earlier = client.get("/api/reports/implementation", params={"year": 2030}).json()
    row = next(p for p in earlier["projects"] if p["project_id"] == project_id)
    assert row["status_at"] != "site_clearance" and row["updated_in_year"] is False


def test_the_report_as_csv_and_for_one_district(client, engine):
    response = client.get(
        "/api/reports/implementation", params={"year": 2031, "district": "cho moi", "f": "csv"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == scalar(engine, "SELECT count(*) FROM project WHERE '065' = ANY(district_codes)")
    assert {"project_id", "status_at", "last_update", "updated_in_year"} <= rows[0].keys()


@pytest.mark.parametrize("params", [{"year": 1999}, {}, {"year": "soon"}, {"year": 2026, "f": "xml"}])
def test_report_bad_parameters_are_a_400(client, params):
    response = client.get("/api/reports/implementation", params=params)
    assert response.status_code == 400
    assert response.json()["code"] == "InvalidParameter"


def test_a_failure_half_way_leaves_nothing_behind(client, engine, planner):
    """The event and the version bump come before the project update: a failing update undoes them."""
    project_id = a_project(engine, offset=3)
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'refused by test'; END $$"
            )
        )
        conn.execute(
            text("CREATE TRIGGER refuse BEFORE UPDATE ON project FOR EACH ROW EXECUTE FUNCTION refuse()")
        )
    before = state(engine, project_id)
    try:
        response = client.post(
            f"/api/projects/{project_id}/status",
            json={"status": "completed", "version": read_version(client, project_id)},
            headers=planner,
        )
        # the database's refusal is no user error: a JSON 500 naming the request id the log has
        assert response.status_code == 500
        assert response.json()["code"] == "InternalError"
        assert response.headers["x-request-id"] in response.json()["description"]
    finally:
        with engine.begin() as conn:
            conn.execute(text("DROP TRIGGER refuse ON project"))
            conn.execute(text("DROP FUNCTION refuse()"))
    assert state(engine, project_id) == before
