"""Reads never write: screening is refreshed by the writes that change its inputs, never by a GET."""

import pytest
from sqlalchemy import text

from geo.analysis import screening


def next_xid(engine) -> int:
    """The next transaction id of the cluster: it moves when any transaction writes anything."""
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_snapshot_xmax(pg_current_snapshot())::text")).scalar_one())


def stored_screening(engine):
    with engine.connect() as conn:
        return (
            conn.execute(
                text("SELECT data_version, rules_signature, evaluated_at FROM screening_state")
            ).one(),
            conn.execute(
                text(
                    "SELECT project_id, rule_code, constraint_fid, overlap_ha FROM project_conflict "
                    "ORDER BY 1, 2, 3"
                )
            ).all(),
        )


@pytest.fixture(scope="module")
def screened_project(engine):
    with engine.connect() as conn:
        project_id = conn.execute(
            text("SELECT project_id FROM project_conflict ORDER BY project_id LIMIT 1")
        ).scalar_one_or_none()
    assert project_id, "the loaded data has screened conflicts (the loader screens)"
    return project_id


@pytest.fixture(scope="module")
def planner(accounts) -> dict:
    accounts.add("rnw_planner", "planner")
    return accounts.bearer("rnw_planner")


def change_status(client, planner, project_id, **body):
    """A status change by a planner naming the version it read."""
    etag = client.get(f"/api/projects/{project_id}").headers["etag"]
    return client.post(f"/api/projects/{project_id}/status", json=body, headers={**planner, "If-Match": etag})


def test_a_status_change_leaves_the_stored_screening_valid(client, engine, screened_project, planner):
    before = stored_screening(engine)
    response = change_status(client, planner, screened_project, status="suspended", note="test")
    assert response.status_code == 200, response.text
    assert stored_screening(engine) == before
    assert screening.screen_all(engine)["recomputed"] is False
    assert stored_screening(engine)[0].evaluated_at == before[0].evaluated_at


def test_a_get_burst_after_writes_writes_nothing(client, engine, screened_project, planner):
    for status in ("preparation", "under_construction"):
        response = change_status(client, planner, screened_project, status=status)
        assert response.status_code == 200, response.text
    screening_before = stored_screening(engine)
    xid_before = next_xid(engine)
    urls = [
        "/api/conflicts",
        "/api/conflicts?f=csv",
        f"/api/projects/{screened_project}/conflicts",
        f"/api/projects/{screened_project}/conformity",
        f"/projects/{screened_project}/conformity",
        "/api/conflict-rules",
        "/api/sites",
        "/api/sites/KCN-01",
        "/sites/KCN-01",
        "/api/projects",
        f"/api/projects/{screened_project}",
        "/api/districts",
        "/api/collections",
        "/api/collections/projects/items",
        "/api/collections/communes/items?limit=5",
        "/api/sheets",
        "/api/search?q=ba%20be",
        "/api/here?lon=105.83&lat=22.15",
        "/api/tiles/WebMercatorQuad/8/203/113?collections=projects,communes",
        "/healthz",
        "/",
    ]
    for url in urls * 2:
        response = client.get(url)
        assert response.status_code == 200, (url, response.text[:300])
    assert next_xid(engine) == xid_before, "a GET wrote to the database"
    assert stored_screening(engine) == screening_before


def test_a_project_edit_keeps_the_etags_of_what_it_does_not_touch(client, screened_project, planner):
    untouched = [
        "/api/collections/communes/items?limit=5",
        "/api/collections/communes",
        "/api/collections/settlements/items?limit=5",
        "/api/collections/industrial_zones/items",
        "/api/tiles/WebMercatorQuad/8/203/113?collections=communes,districts",
        "/api/sheets",
    ]
    touched = ["/api/collections/projects/items", "/api/collections/priority_projects/items"]
    before = {url: client.get(url).headers["etag"] for url in untouched + touched}
    response = change_status(client, planner, screened_project, status="planned")
    assert response.status_code == 200, response.text
    for url in untouched:
        again = client.get(url, headers={"If-None-Match": before[url]})
        assert again.status_code == 304, url
    for url in touched:
        again = client.get(url, headers={"If-None-Match": before[url]})
        assert again.status_code == 200 and again.headers["etag"] != before[url], url
