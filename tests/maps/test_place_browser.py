"""Planners place projects in the page: draw a polygon or a point with Leaflet.draw, save, see who did it."""

import json

import httpx
import pytest
from sqlalchemy import text

from tests.maps.conftest import map_idle, move_map
from tests.maps.test_status_browser import log_in, open_project_card
from tests.maps.test_tools_browser import add_vertex

pytestmark = pytest.mark.browser

PLANNER_NAME = "Chuyên viên Sở KH&ĐT"


@pytest.fixture(scope="module")
def people(database_url):
    """Two planners and a Na Rì officer on this module's database."""
    from tests.api.conftest import Accounts

    accounts = Accounts(database_url)
    accounts.add("place.planner", "planner", name=PLANNER_NAME)
    accounts.add("other.planner", "planner", name="Chuyên viên khác")
    accounts.add("nari.officer", "officer", ["066"], name="Cán bộ Na Rì")
    return accounts


def unplaced_projects(engine) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT project_id FROM project WHERE geom IS NULL AND NOT is_category "
                    "ORDER BY project_id"
                )
            ).scalars()
        )


def footprint_paths(page) -> int:
    return page.locator(".leaflet-pv-footprints-pane path").count()


def test_a_planner_draws_a_polygon_and_the_card_and_history_name_them(live_server, open_page, engine, people):
    project_id = unplaced_projects(engine)[0]
    page = open_page("/")
    log_in(page, "place.planner")
    detail = open_project_card(page, project_id)
    row = page.locator(f'#pv-project-list li[data-project="{project_id}"]')
    assert row.locator(".pv-approx").count() == 1  # "no location" in the list before
    paths = footprint_paths(page)
    detail.locator("#pv-place-edit").click()
    move_map(page, 22.155, 105.835, 14)
    box = page.locator(".folium-map").bounding_box()
    cx, cy = box["x"] + box["width"] * 0.6, box["y"] + box["height"] / 2
    detail.locator("#pv-place-polygon").click()
    corners = [(cx - 60, cy - 40), (cx + 60, cy - 40), (cx + 60, cy + 40), (cx - 60, cy + 40)]
    for x, y in corners:
        add_vertex(page, x, y)
    page.mouse.click(*corners[0])  # back on the first vertex closes the shape: it is now up for editing
    page.locator(".leaflet-editing-icon").first.wait_for()
    map_idle(page)
    detail.locator("#pv-place-save").click()
    detail.locator(".pv-ok", has_text="Đã lưu vị trí").wait_for()

    card = detail.locator(".pv-project-card")
    placed = card.locator(".pv-placed-by").inner_text()
    assert placed.startswith(f"Số hóa bởi {PLANNER_NAME} lúc ")
    assert "do cán bộ quy hoạch số hóa" in card.inner_text()  # the quality's label, from /api/vocabularies
    history = detail.locator(".pv-place-history").inner_text()
    assert PLANNER_NAME in history and "đã xác thực" in history
    # the map shows the new place: one more footprint, and the list no longer says "no location"
    assert footprint_paths(page) == paths + 1
    assert row.locator(".pv-approx").count() == 0
    with engine.connect() as conn:
        quality, kind = conn.execute(
            text("SELECT geometry_quality, GeometryType(geom) FROM project WHERE project_id = :p"),
            {"p": project_id},
        ).one()
        who = conn.execute(
            text("SELECT username FROM audit_event WHERE object_id = :p AND action = 'project.geometry'"),
            {"p": project_id},
        ).scalar_one()
    assert (quality, kind, who) == ("digitised", "POLYGON", "place.planner")
    audit = page.evaluate(f"fetch('/api/audit?object_id={project_id}').then(r => r.json())")
    assert any(
        e["username"] == "place.planner" and e["action"] == "project.geometry" for e in audit["events"]
    )
    assert page.pv_errors == []


def test_a_place_saved_by_someone_else_meanwhile_is_a_412_with_who_and_a_reload(
    live_server, open_page, engine, people
):
    project_id = unplaced_projects(engine)[0]
    page = open_page("/#lang=en")
    log_in(page, "place.planner")
    detail = open_project_card(page, project_id)
    detail.locator("#pv-place-edit").click()
    # another planner places it through the API while this page has the project open
    token = people.token("other.planner")
    etag = httpx.get(f"{live_server}/api/projects/{project_id}").headers["etag"]
    saved = httpx.put(
        f"{live_server}/api/projects/{project_id}/geometry",
        json={"geometry": {"type": "Point", "coordinates": [105.84, 22.16]}},
        headers={"Authorization": f"Bearer {token}", "If-Match": etag},
    )
    assert saved.status_code == 200, saved.text
    move_map(page, 22.155, 105.835, 14)
    box = page.locator(".folium-map").bounding_box()
    detail.locator("#pv-place-point").click()
    page.mouse.click(box["x"] + box["width"] * 0.6, box["y"] + box["height"] / 2)
    page.locator(".leaflet-marker-draggable").first.wait_for()
    detail.locator("#pv-place-save").click()
    conflict = detail.locator(".pv-conflict-message")
    conflict.wait_for()
    assert "Changed by Chuyên viên khác at" in conflict.inner_text()
    conflict.locator("#pv-place-reload").click()
    detail.locator(".pv-placed-by", has_text="Digitised by Chuyên viên khác").wait_for()
    with engine.connect() as conn:
        assert (
            conn.execute(
                text("SELECT ST_AsText(geom) FROM project WHERE project_id = :p"), {"p": project_id}
            ).scalar_one()
            == "POINT(105.84 22.16)"
        )
    # the browser logs the refused PUT itself; nothing else may go wrong
    assert [e for e in page.pv_errors if "status of 412" not in e] == []


def test_a_planner_uploads_a_geojson_file_and_an_invalid_polygon_is_repaired(
    live_server, open_page, engine, people
):
    project_id = unplaced_projects(engine)[0]
    page = open_page("/#lang=en")
    log_in(page, "place.planner")
    detail = open_project_card(page, project_id)
    detail.locator("#pv-place-edit").click()
    # a bow tie (its ring crosses itself) in a one-feature FeatureCollection, as a GIS program exports it
    ring = [[105.83, 22.15], [105.84, 22.16], [105.84, 22.15], [105.83, 22.16], [105.83, 22.15]]
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"ten": "khu đất"},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        ],
    }
    detail.locator("#pv-place-file").set_input_files(
        files=[
            {
                "name": "khu.geojson",
                "mimeType": "application/geo+json",
                "buffer": json.dumps(collection).encode(),
            }
        ]
    )
    page.locator(".leaflet-editing-icon").first.wait_for()  # the file's shape is up for editing
    detail.locator("#pv-place-save").click()
    saved = detail.locator(".pv-ok", has_text="Location saved.")
    saved.wait_for()
    assert "has been repaired" in saved.inner_text() and "Self-intersection" in saved.inner_text()
    assert "Digitised by Chuyên viên Sở KH&ĐT at" in detail.locator(".pv-placed-by").inner_text()
    with engine.connect() as conn:
        kind = conn.execute(
            text("SELECT GeometryType(geom) FROM project WHERE project_id = :p"), {"p": project_id}
        ).scalar_one()
    assert kind == "MULTIPOLYGON"
    assert page.pv_errors == []


def test_a_planner_drags_a_vertex_of_the_current_place(live_server, open_page, engine, people):
    token = people.token("place.planner")
    project_id = unplaced_projects(engine)[0]
    square = [[105.83, 22.15], [105.84, 22.15], [105.84, 22.16], [105.83, 22.16], [105.83, 22.15]]
    etag = httpx.get(f"{live_server}/api/projects/{project_id}").headers["etag"]
    placed = httpx.put(
        f"{live_server}/api/projects/{project_id}/geometry",
        json={"geometry": {"type": "Polygon", "coordinates": [square]}},
        headers={"Authorization": f"Bearer {token}", "If-Match": etag},
    )
    assert placed.status_code == 200, placed.text
    page = open_page("/")
    log_in(page, "place.planner")
    detail = open_project_card(page, project_id)
    detail.locator("#pv-place-edit").click()  # the current place is up for editing, fitted in view
    page.locator(".leaflet-editing-icon").first.wait_for()
    map_idle(page)
    # the vertex handle of the north-east corner, dragged 40 px further east
    x, y = page.evaluate(
        "(() => { const p = map_planview.latLngToContainerPoint([22.16, 105.84]); return [p.x, p.y]; })()"
    )
    box = page.locator(".folium-map").bounding_box()
    page.mouse.move(box["x"] + x, box["y"] + y)
    page.mouse.down()
    page.mouse.move(box["x"] + x + 20, box["y"] + y, steps=5)
    page.mouse.move(box["x"] + x + 40, box["y"] + y, steps=5)
    page.mouse.up()
    detail.locator("#pv-place-save").click()
    detail.locator(".pv-ok", has_text="Đã lưu vị trí").wait_for()
    with engine.connect() as conn:
        east = conn.execute(
            text("SELECT ST_XMax(geom) FROM project WHERE project_id = :p"), {"p": project_id}
        ).scalar_one()
    assert east > 105.8405  # the dragged corner moved east; the rest of the square stayed
    assert page.pv_errors == []


def test_an_officer_gets_no_location_controls(live_server, open_page, people):
    page = open_page("/")
    log_in(page, "nari.officer")
    detail = open_project_card(page, "PRJ-06")
    detail.locator("form.pv-status-form").wait_for()  # the officer may change its status, not its place
    assert detail.locator("#pv-place-edit").count() == 0
