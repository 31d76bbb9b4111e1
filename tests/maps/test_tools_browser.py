"""The planner/investor tools in a real browser: conflicts list, screening a footprint, site finder."""

import csv
import io
import json
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from geo.analysis import rules, screening
from tests.maps.conftest import map_idle, move_map

pytestmark = pytest.mark.browser

# Leaflet.draw ignores a click for 50 ms after each vertex (its own timer, started after the vertex
# event); this resolves on the first task after that timer, so the next click counts.
_VERTEX_READY_JS = """void (window.pvVertex = new Promise((resolve) =>
  map_planview.once('draw:drawvertex', () => queueMicrotask(() => setTimeout(resolve, 50)))))"""


def add_vertex(page, x: float, y: float) -> None:
    """Click one vertex of the shape being drawn and wait until the tool takes the next one."""
    page.evaluate(_VERTEX_READY_JS)
    page.mouse.click(x, y)
    page.evaluate("window.pvVertex")


@pytest.fixture(scope="module")
def screened(engine):
    """Rules loaded and every project screened; returns a point inside Ba Bể National Park."""
    with engine.begin() as conn:
        rules.load_rules(conn)
    screening.screen_all(engine)
    with engine.connect() as conn:
        lon, lat = conn.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p "
                "FROM layers.protected_areas WHERE name LIKE 'Vườn quốc gia%') x"
            )
        ).one()
        stored = conn.execute(text("SELECT count(*) FROM project_conflict")).scalar_one()
    return float(lon), float(lat), stored


def square(lon: float, lat: float, half: float = 0.003) -> dict:
    ring = [
        [lon - half, lat - half],
        [lon + half, lat - half],
        [lon + half, lat + half],
        [lon - half, lat + half],
    ]
    return {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "Polygon", "coordinates": [ring + [ring[0]]]},
    }


def test_planner_view_lists_conflicts_and_highlights_them(live_server, open_page, screened, output_dir):
    *_, stored = screened
    page = open_page("/?view=planner")
    assert page.locator('#pv-tabs [data-tab="tools"]').get_attribute("aria-selected") == "true"
    items = page.locator("#pv-conflicts .pv-conflict")
    items.first.wait_for()
    assert items.count() == stored
    park = page.locator('#pv-conflicts .pv-conflict[data-rule="PA-CORE"]')
    assert "Vườn quốc gia Ba Bể" in park.inner_text() and "vị trí gần đúng" in park.inner_text()
    before = page.locator(".leaflet-overlay-pane path").count()
    park.locator(".pv-conflict-show").click()
    page.wait_for_function(f"document.querySelectorAll('.leaflet-overlay-pane path').length > {before}")
    assert (
        "LU-RDD" in page.locator("#pv-conflicts .pv-inactive").text_content()
    )  # listed, not silently passed
    page.locator("#pv-conflicts .pv-severity-filter").select_option("info")
    page.wait_for_function(
        "[...document.querySelectorAll('#pv-conflicts .pv-conflict')]"
        ".every(li => li.classList.contains('pv-sev-info'))"
    )
    # the list as it stands (info only now) downloads as a spreadsheet
    with page.expect_download() as download_info:
        page.locator("#pv-conflicts-csv").click()
    download = download_info.value
    assert download.suggested_filename.endswith("-info.csv")
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8-sig"))))
    assert len(rows) == page.locator("#pv-conflicts .pv-conflict").count()
    assert {r["severity"] for r in rows} == {"info"}
    page.screenshot(path=str(output_dir / "tools_planner_conflicts.png"))
    assert page.pv_errors == [] and page.pv_external_requests() == []


def test_uploading_a_footprint_screens_it(live_server, open_page, screened, tmp_path, output_dir):
    lon, lat, stored = screened
    page = open_page("/?view=planner")
    upload = tmp_path / "footprint.geojson"
    upload.write_text(json.dumps(square(lon, lat)), encoding="utf-8")
    page.locator("#pv-screening input[name=sector]").fill("du lịch")
    page.locator("#pv-screening .pv-upload").set_input_files(str(upload))
    verdict = page.locator("#pv-screening .pv-screen-result [data-verdict]")
    verdict.wait_for()
    assert verdict.get_attribute("data-verdict") == "conflicts"
    assert page.locator('#pv-screening .pv-conflict[data-rule="PA-CORE"]').count() == 1
    page.screenshot(path=str(output_dir / "tools_screening.png"))

    # a drawn footprint far from every constraint (as the draw tool would hand it over)
    page.evaluate(f"window.planviewTools.screen({json.dumps(square(105.72, 22.02, 0.001))})")
    page.wait_for_function(
        "document.querySelector('#pv-screening [data-verdict]')?.dataset.verdict === 'consistent'"
    )
    # a self-intersecting upload gets the API's message, not a crash
    bowtie = {"type": "Polygon", "coordinates": [[[lon, lat], [lon + 0.01, lat + 0.01], [lon + 0.01, lat],
                                                  [lon, lat + 0.01], [lon, lat]]]}  # fmt: skip
    upload.write_text(json.dumps(bowtie), encoding="utf-8")
    page.locator("#pv-screening .pv-upload").set_input_files(str(upload))
    error = page.locator("#pv-screening .pv-error")
    error.wait_for()
    assert "Self-intersection" in error.inner_text() and error.get_attribute("data-status") == "422"
    assert page.pv_external_requests() == []


def test_drawing_a_footprint_screens_it_without_leaving_the_tool(live_server, open_page, screened):
    lon, lat, _ = screened
    page = open_page("/?view=planner")
    here_requests = []
    page.on("request", lambda r: here_requests.append(r.url) if "/api/here" in r.url else None)
    move_map(page, lat, lon, 13)
    box = page.locator(".folium-map").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.locator("#pv-screening .pv-draw").click()
    corners = [(cx - 60, cy - 40), (cx + 60, cy - 40), (cx + 60, cy + 40), (cx - 60, cy + 40)]
    for x, y in corners:
        add_vertex(page, x, y)
    # back on the first vertex closes the shape, and the map then zooms onto it
    page.evaluate("void (window.pvMoveEnd = new Promise((r) => map_planview.once('moveend', r)))")
    page.mouse.click(*corners[0])
    verdict = page.locator("#pv-screening .pv-screen-result [data-verdict]")
    verdict.wait_for()
    assert verdict.get_attribute("data-verdict") == "conflicts"  # it lies in the Ba Bể park core
    # the vertices were not "what is here" clicks: the panel stayed on the tool, nothing was asked
    assert page.locator('#pv-tabs [data-tab="tools"]').get_attribute("aria-selected") == "true"
    assert here_requests == []
    # and once drawn, a click on the map asks "what is here" again (east of the province: no feature there)
    page.evaluate("window.pvMoveEnd")  # the zoom onto the drawn footprint ends first
    map_idle(page)
    page.evaluate("void map_planview.setView([22.2, 106.3], 9, {animate: false})")
    x, y = page.evaluate(
        "(() => { const p = map_planview.latLngToContainerPoint([22.2, 106.45]); return [p.x, p.y]; })()"
    )
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.locator("#pv-here-district").wait_for()
    assert len(here_requests) == 1


def test_project_card_shows_its_conflicts(live_server, open_page, screened):
    page = open_page("/")
    page.click('#pv-tabs [data-tab="projects"]')
    page.click('#pv-project-list li[data-project="PRJ-11"] .pv-link')
    # The panel draws the card at once and again when the project's record (its history) has come, and
    # every drawing fetches the card's conflicts anew: wait for the last drawing, then for its verdict.
    detail = page.locator('#pv-project-detail[data-project="PRJ-11"]')
    detail.locator(".pv-history").wait_for()
    conflicts = detail.locator('.pv-project-card[data-project="PRJ-11"] .pv-card-conflicts')
    verdict = conflicts.locator("[data-verdict]")
    verdict.wait_for()
    assert verdict.get_attribute("data-verdict") == "conflicts"
    assert "PA-CORE" in verdict.get_attribute("data-rules").split()
    assert "PA-CORE" in verdict.get_attribute("title")
    # the sheet's link is drawn together with the verdict, beside it
    sheet = verdict.locator("xpath=following-sibling::a[starts-with(@href, '/projects/PRJ-11/conformity')]")
    expect(sheet).to_have_count(1)
    before = page.locator(".leaflet-overlay-pane path").count()
    verdict.click()
    page.wait_for_function(f"document.querySelectorAll('.leaflet-overlay-pane path').length > {before}")


def test_investor_view_opens_on_the_site_finder(live_server, open_page, screened, output_dir):
    page = open_page("/?view=investor")
    finder = page.locator("#pv-site-finder")
    assert finder.is_visible()
    sites = finder.locator(".pv-site")
    sites.first.wait_for()
    assert sites.count() > 10
    assert "chưa công bố" in finder.locator(".pv-site-results").inner_text()  # unknown, never 0
    assert finder.locator('.pv-site a[href^="/sites/"]').count() == sites.count()
    finder.locator("input[name=min_available_ha]").fill("10")
    finder.locator(".pv-find").click()
    page.wait_for_function("document.querySelector('#pv-site-finder .pv-excluded summary')")
    summary = finder.locator(".pv-excluded summary").inner_text()
    assert "chưa công bố diện tích trống" in summary
    page.screenshot(path=str(output_dir / "tools_site_finder.png"))
    assert page.pv_errors == [] and page.pv_external_requests() == []


def test_conformity_sheet_prints_on_a4(live_server, chromium, screened, output_dir):
    context = chromium.new_context(viewport={"width": 900, "height": 1200})
    page = context.new_page()
    page.goto(live_server + "/projects/PRJ-11/conformity", wait_until="networkidle")
    # the footprint and the overlapping part, among the commune outlines, roads and places around them
    assert page.locator('svg.pv-sheet-map [data-layer="footprint"] path').count() == 1
    assert page.locator('svg.pv-sheet-map [data-layer="conflict"] path').count() >= 1
    assert page.locator('svg.pv-sheet-map [data-layer="communes"] path').count() >= 3
    assert page.locator('[data-verdict="conflicts"]').count() == 1
    page.screenshot(path=str(output_dir / "conformity_PRJ-11.png"), full_page=True)
    pdf = page.pdf(format="A4")  # the print stylesheet lays it out on A4 pages
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    (output_dir / "conformity_PRJ-11.pdf").write_bytes(pdf)
    context.close()
