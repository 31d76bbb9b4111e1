"""Planners place projects: PUT /api/projects/{id}/geometry (role, version, checks, audit, re-screening)."""

import json

import pytest

from tests.api.conftest import login

# a square of about 1.1 km × 1 km north of Bắc Kạn town
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[105.83, 22.15], [105.84, 22.15], [105.84, 22.16], [105.83, 22.16], [105.83, 22.15]]],
}
# a bow tie: valid GeoJSON, an invalid polygon (it crosses itself), repaired into two triangles
BOW_TIE = {
    "type": "Polygon",
    "coordinates": [[[105.83, 22.15], [105.84, 22.16], [105.84, 22.15], [105.83, 22.16], [105.83, 22.15]]],
}


@pytest.fixture(scope="module")
def people(accounts) -> dict:
    accounts.add("place_planner", "planner", name="Chuyên viên Sở KH&ĐT")
    accounts.add("place_officer", "officer", ["066"])
    return {
        "planner": accounts.bearer("place_planner"),
        "officer": accounts.bearer("place_officer"),
    }


@pytest.fixture(scope="module")
def subjects(accounts) -> dict:
    """Projects without a place, one per test that places (so any order passes), and the one with the most
    stored conflicts (left alone)."""
    unplaced = accounts.sql(
        "SELECT project_id FROM project WHERE geom IS NULL AND NOT is_category ORDER BY project_id"
    )
    other = accounts.sql(
        "SELECT project_id FROM project_conflict GROUP BY project_id "
        "ORDER BY count(*) DESC, project_id LIMIT 1"
    )[0]["project_id"]
    # the first test needs a project without a place; the others may move any project but these two
    placed = accounts.sql(
        "SELECT project_id FROM project WHERE geom IS NOT NULL AND NOT is_category "
        "AND project_id NOT IN ($1, 'PRJ-06') ORDER BY project_id",
        other,
    )
    ids = [r["project_id"] for r in unplaced + placed]
    names = ("target", "second", "replaced", "stale", "refused", "csrf", "reloaded")
    assert len(ids) >= len(names), ids
    return {**dict(zip(names, ids, strict=False)), "other": other}


def _etag(client, project_id):
    return client.get(f"/api/projects/{project_id}").headers["etag"]


def _conflict_rows(accounts, project_id):
    return [
        dict(r)
        for r in accounts.sql(
            "SELECT rule_code, constraint_layer, constraint_fid, overlap_ha, evaluated_at, data_version "
            "FROM project_conflict WHERE project_id = $1 "
            "ORDER BY rule_code, constraint_layer, constraint_fid",
            project_id,
        )
    ]


def _audits(accounts, project_id):
    return accounts.sql(
        "SELECT username, role, before, after FROM audit_event "
        "WHERE object_id = $1 AND action = 'project.geometry' ORDER BY id",
        project_id,
    )


def test_a_planner_places_a_polygon(client, accounts, people, subjects):
    target, other = subjects["target"], subjects["other"]
    other_rows = _conflict_rows(accounts, other)
    assert other_rows, "the project left alone has stored conflicts to compare"
    items_etag = client.get("/api/collections/projects/items").headers["etag"]
    places_before = accounts.sql("SELECT version FROM data_area_version WHERE area = 'project_places'")[0]
    etag = _etag(client, target)

    response = client.put(
        f"/api/projects/{target}/geometry",
        json={"geometry": {"type": "Feature", "properties": {"name": "khu A"}, "geometry": SQUARE}},
        headers={**people["planner"], "If-Match": etag},
    )
    assert response.status_code == 200, response.text
    record = response.json()
    assert response.headers["etag"] == f'"{record["version"]}"' != etag
    assert record["geometry_quality"] == "digitised" and record["location_level"] == "site"
    assert record["geometry"]["type"] == "Polygon"
    assert record["placement"]["repaired"] is None and 100 < record["placement"]["area_ha"] < 130
    placed = record["placements"][0]
    assert placed["username"] == "place_planner" and placed["display_name"] == "Chuyên viên Sở KH&ĐT"
    assert placed["verified"] and placed["role"] == "planner"

    # the audit row holds the place before (none) and after, with who
    (audit,) = _audits(accounts, target)
    before, after = json.loads(audit["before"]), json.loads(audit["after"])
    assert audit["username"] == "place_planner" and audit["role"] == "planner"
    assert before["geometry"] is None and before["geometry_quality"] == "none"
    assert after["geometry"]["type"] == "Polygon" and after["geometry_quality"] == "digitised"
    assert after["geometry"]["coordinates"][0][1] == [105.84, 22.15]

    # only that project was re-screened: the other project's stored rows are exactly as they were
    assert _conflict_rows(accounts, other) == other_rows
    target_rows = _conflict_rows(accounts, target)
    assert len(target_rows) == after["conflicts"]
    places_after = accounts.sql("SELECT version FROM data_area_version WHERE area = 'project_places'")[0]
    assert places_after["version"] > places_before["version"]
    assert all(r["data_version"] == places_after["version"] for r in target_rows)

    # the map's collection (its ETag follows projects and project_places) serves the new place
    assert client.get("/api/collections/projects/items").headers["etag"] != items_etag
    feature = next(
        f
        for f in client.get("/api/collections/projects/items", params={"limit": 1000}).json()["features"]
        if f["properties"]["project_id"] == target
    )
    assert feature["geometry"]["type"] == "Polygon"
    assert feature["properties"]["geometry_quality"] == "digitised"

    # and the audit trail read by planners names them
    trail = client.get("/api/audit", params={"object_id": target}, headers=people["planner"]).json()
    assert any(
        e["action"] == "project.geometry" and e["username"] == "place_planner" for e in trail["events"]
    )


def test_an_invalid_polygon_is_repaired_and_the_answer_says_so(client, accounts, people, subjects):
    project = subjects["second"]
    response = client.put(
        f"/api/projects/{project}/geometry",
        json={"geometry": BOW_TIE, "version": int(_etag(client, project).strip('"'))},
        headers=people["planner"],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (
        "ST_MakeValid" in body["placement"]["repaired"]
        and "Self-intersection" in body["placement"]["repaired"]
    )
    assert body["geometry"]["type"] == "MultiPolygon"
    assert body["placements"][0]["repaired"] == body["placement"]["repaired"]


def _place_square(client, people, project_id):
    """Give ``project_id`` the square as its place (a test's own starting point)."""
    response = client.put(
        f"/api/projects/{project_id}/geometry",
        json={"geometry": SQUARE},
        headers={**people["planner"], "If-Match": _etag(client, project_id)},
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_a_point_replaces_a_polygon_and_the_audit_keeps_the_polygon(client, accounts, people, subjects):
    target = subjects["replaced"]
    _place_square(client, people, target)
    response = client.put(
        f"/api/projects/{target}/geometry",
        json={"geometry": {"type": "Point", "coordinates": [105.835, 22.155]}},
        headers={**people["planner"], "If-Match": _etag(client, target)},
    )
    assert response.status_code == 200, response.text
    assert response.json()["geometry"] == {"type": "Point", "coordinates": [105.835, 22.155]}
    last = _audits(accounts, target)[-1]
    assert json.loads(last["before"])["geometry"]["type"] == "Polygon"
    assert json.loads(last["after"])["geometry"]["type"] == "Point"
    assert len(response.json()["placements"]) == 2


def test_a_stale_version_is_412_with_the_current_record_and_nothing_written(
    client, accounts, people, subjects
):
    target = subjects["stale"]
    stale = _etag(client, target)
    first = client.put(
        f"/api/projects/{target}/geometry",
        json={"geometry": SQUARE},
        headers={**people["planner"], "If-Match": stale},
    )
    assert first.status_code == 200
    audits = len(_audits(accounts, target))
    late = client.put(
        f"/api/projects/{target}/geometry",
        json={"geometry": {"type": "Point", "coordinates": [105.9, 22.2]}},
        headers={**people["planner"], "If-Match": stale},
    )
    assert late.status_code == 412
    body = late.json()
    assert body["current"]["version"] == first.json()["version"]
    assert body["current"]["geometry"]["type"] == "Polygon"
    assert "Chuyên viên Sở KH&ĐT" in body["description"] and "nothing was written" in body["description"]
    assert len(_audits(accounts, target)) == audits
    assert client.get(f"/api/projects/{target}").json()["geometry"]["type"] == "Polygon"
    missing = client.put(
        f"/api/projects/{target}/geometry", json={"geometry": SQUARE}, headers=people["planner"]
    )
    assert missing.status_code == 428


BAD = [
    ({"type": "LineString", "coordinates": [[105.83, 22.15], [105.84, 22.16]]}, 400, "LineString"),
    ({"type": "Point", "coordinates": [431000.0, 2450000.0]}, 400, "WGS 84"),
    ({"type": "Point", "coordinates": [2.35, 48.85]}, 400, "not in Bắc Kạn"),
    ({"type": "Point", "coordinates": ["105.8", 22.1]}, 400, "is not [lon, lat]"),
    (
        {"type": "Polygon", "coordinates": [[[105.83, 22.15], [105.84, 22.15], [105.84, 22.16]]]},
        400,
        "ring 0",
    ),
    (
        {
            "type": "Polygon",
            "coordinates": [[[105.8, 22.1], [105.81, 22.1], [105.81, 22.11], [105.8, 22.12]]],
        },
        400,
        "not closed",
    ),
    (
        {"type": "Polygon", "coordinates": [[[105.5, 22.0], [106.0, 22.0], [106.0, 22.5], [105.5, 22.0]]]},
        400,
        "at most 20,000 ha",
    ),
    (
        {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": SQUARE}] * 2},
        400,
        "2 features",
    ),
    (
        {"type": "Feature", "properties": {"name": "a\x00b"}, "geometry": SQUARE},
        400,
        "geometry.properties.name",
    ),
    ({"type": "Feature", "properties": {}}, 400, "no geometry"),
    ({"type": "Topology"}, 400, "Topology"),
    (
        {"type": "LineString", "coordinates": [[105.8 + i * 1e-5, 22.1] for i in range(10_001)]},
        413,
        "10000 vertices",
    ),
]


@pytest.mark.parametrize(("geometry", "status", "named"), BAD, ids=[b[2] for b in BAD])
def test_a_bad_geometry_is_refused_naming_the_problem(
    client, accounts, people, subjects, geometry, status, named
):
    target = subjects["refused"]
    before = client.get(f"/api/projects/{target}").json()
    response = client.put(
        f"/api/projects/{target}/geometry",
        json={"geometry": geometry, "version": before["version"]},
        headers=people["planner"],
    )
    assert response.status_code == status, response.text
    assert response.json()["code"] and named in response.json()["description"]
    assert client.get(f"/api/projects/{target}").json()["version"] == before["version"]


def test_non_finite_numbers_are_refused(client, people, subjects):
    target = subjects["refused"]
    version = client.get(f"/api/projects/{target}").json()["version"]
    for literal in ("NaN", "Infinity", "1e999"):
        body = f'{{"geometry": {{"type": "Point", "coordinates": [{literal}, 22.1]}}, "version": {version}}}'
        response = client.put(
            f"/api/projects/{target}/geometry",
            content=body,
            headers={**people["planner"], "Content-Type": "application/json"},
        )
        assert response.status_code == 400, (literal, response.text)
        assert "finite" in response.json()["description"]


def test_officers_and_anonymous_callers_may_not_place(client, accounts, people, subjects):
    target = "PRJ-06"  # in the officer's district: scope is not enough, placing is for planners
    etag = _etag(client, target)
    officer = client.put(
        f"/api/projects/{target}/geometry",
        json={"geometry": SQUARE},
        headers={**people["officer"], "If-Match": etag},
    )
    assert officer.status_code == 403 and "planner" in officer.json()["description"]
    client.cookies.clear()
    anonymous = client.put(
        f"/api/projects/{target}/geometry", json={"geometry": SQUARE}, headers={"If-Match": etag}
    )
    assert anonymous.status_code == 401
    assert _etag(client, target) == etag
    me = client.get("/api/auth/me", headers=people["officer"]).json()
    assert me["may_place_projects"] is False
    assert client.get("/api/auth/me", headers=people["planner"]).json()["may_place_projects"] is True


def test_a_cookie_placement_needs_the_csrf_token(client, accounts, people, subjects):
    target = subjects["csrf"]
    me = login(client, "place_planner")
    etag = _etag(client, target)
    refused = client.put(
        f"/api/projects/{target}/geometry", json={"geometry": SQUARE}, headers={"If-Match": etag}
    )
    assert refused.status_code == 403 and "CSRF" in refused.json()["description"]
    ok = client.put(
        f"/api/projects/{target}/geometry",
        json={"geometry": SQUARE},
        headers={"If-Match": etag, "X-CSRF-Token": me["csrf_token"]},
    )
    assert ok.status_code == 200, ok.text
    client.cookies.clear()


def test_a_reload_keeps_a_digitised_place(client, engine, people, subjects):
    from geo.ingest.load import load_all

    target = subjects["reloaded"]
    _place_square(client, people, target)
    placed = client.get(f"/api/projects/{target}").json()
    assert placed["geometry_quality"] == "digitised"
    load_all(engine)
    again = client.get(f"/api/projects/{target}").json()
    assert again["geometry_quality"] == "digitised" and again["geometry"] == placed["geometry"]
