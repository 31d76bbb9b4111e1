"""The map page in a real browser (Debian's chromium) against a real server and the shipped data."""

import json
import re

import httpx
import pytest
from sqlalchemy import text

from tests.maps.conftest import map_idle, move_map

pytestmark = pytest.mark.browser


def visible_project_count(page) -> int:
    """Projects drawn on the map: single markers plus the numbers written on clusters."""
    singles = page.locator(".pv-project-marker").count()
    clusters = page.locator(".marker-cluster span").all_inner_texts()
    return singles + sum(int(n) for n in clusters)


def screen_point(page, lon: float, lat: float, zoom: int = 12) -> tuple[float, float]:
    """Centre the map on a place at ``zoom``; return where it is on the screen."""
    move_map(page, lat, lon, zoom)
    box = page.locator(".folium-map").bounding_box()
    point = page.evaluate(
        f"(() => {{ const p = map_planview.latLngToContainerPoint([{lat}, {lon}]); return [p.x, p.y]; }})()"
    )
    return box["x"] + point[0], box["y"] + point[1]


def click_map_at(page, lon: float, lat: float) -> None:
    """Zoom in on a place and click the map there, as a user would."""
    page.mouse.click(*screen_point(page, lon, lat))


def zone_and_project_free_point(engine, district_name: str) -> tuple[float, float]:
    """A point inside a district that no zone or located project covers (a click there reaches the map)."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                """
                WITH d AS (SELECT geom FROM admin_unit WHERE level = 'district' AND name = :name LIMIT 1),
                     taken AS (SELECT ST_Union(ST_Buffer(geom::geography, 3000)::geometry) AS g FROM (
                         SELECT geom FROM zone WHERE geom IS NOT NULL
                         UNION ALL SELECT geom FROM project WHERE geom IS NOT NULL) x)
                SELECT ST_X(p), ST_Y(p) FROM (
                    SELECT ST_PointOnSurface(ST_Difference(ST_Buffer(d.geom::geography, -1500)::geometry,
                                                           COALESCE(taken.g, 'POLYGON EMPTY'::geometry))) AS p
                    FROM d, taken) q
                """
            ),
            {"name": district_name},
        ).one()
    return float(row[0]), float(row[1])


def test_page_is_offline_and_loads_without_errors(live_server, open_page, output_dir):
    html = httpx.get(live_server + "/").text
    assert re.findall(r"https?://", html) == [], "the page must not reference any outside URL"
    assert "/static/vendor/leaflet/leaflet.js" in html

    page = open_page("/")
    assert page.pv_errors == []
    assert page.pv_external_requests() == []
    assert page.locator(".leaflet-control-scale").count() == 1
    # the drawn base: province outline and district boundaries from the API, not tiles
    assert page.locator(".leaflet-pv-base-pane path").count() >= 1
    assert page.locator(".leaflet-pv-base-lines-pane path").count() > 8
    page.mouse.move(800, 400)
    assert re.match(
        r"^\d+\.\d{5}, \d+\.\d{5} · VN-2000 X [\d.]+ Y [\d.]+$", page.locator("#pv-coords").inner_text()
    )

    transferred = decoded = 0
    for response in page.pv_responses:
        sizes = response.request.sizes()
        transferred += sizes["responseBodySize"] + sizes["responseHeadersSize"]
        try:
            decoded += len(response.body())
        except Exception:  # redirects and aborted requests have no body
            pass
    metrics = {
        "requests": len(page.pv_requests),
        "transferred_bytes": transferred,
        "decoded_bytes": decoded,
        "seconds_to_ready": round(page.pv_ready_seconds, 3),
    }
    (output_dir / "viewer_metrics.json").write_text(json.dumps(metrics, indent=2))
    page.screenshot(path=str(output_dir / "viewer_default.png"))


def test_layer_tree_lists_every_sheet_and_says_which_have_no_data(live_server, open_page):
    sheets = httpx.get(live_server + "/api/sheets").json()["sheets"]
    page = open_page("/")
    tree = page.locator("#pv-layer-tree")
    assert tree.locator("details.pv-sheet").count() == len(sheets)
    for sheet in sheets:
        summary = tree.locator(f'details[data-sheet="{sheet["sheet_id"]}"] > summary')
        assert sheet["title_vi"] in summary.text_content()  # nested sheets are collapsed, still listed
    empty = [
        s
        for s in sheets
        if not s["loaded"] and not any(k["loaded"] for k in sheets if k["parent_id"] == s["sheet_id"])
    ]
    assert empty, "the shipped data leaves some sheets without data"
    for sheet in empty:
        assert (
            "chưa có dữ liệu"
            in tree.locator(f'details[data-sheet="{sheet["sheet_id"]}"] > summary').text_content()
        )


def test_turning_a_layer_on_draws_its_features(live_server, open_page):
    page = open_page("/")
    page.click('details[data-sheet="P2"] > summary')
    page.click('details[data-sheet="P2.e"] > summary')
    lines = page.locator(".leaflet-pv-sheet-line-pane path")
    assert lines.count() == 0
    page.check('li[data-layer="rivers"] input.pv-layer-toggle')
    page.wait_for_function("document.querySelectorAll('.leaflet-pv-sheet-line-pane path').length > 0")
    rivers = httpx.get(live_server + "/api/collections/rivers/items?limit=10000").json()
    assert lines.count() == len(rivers["features"])
    assert "layers=" in page.url and "rivers" in page.url.split("layers=")[1].split("&")[0]
    page.uncheck('li[data-layer="rivers"] input.pv-layer-toggle')
    assert lines.count() == 0
    assert page.pv_errors == []


def test_status_filter_changes_the_visible_projects(live_server, open_page, engine):
    page = open_page("/")
    page.click('#pv-tabs [data-tab="projects"]')
    with engine.connect() as conn:
        total = conn.execute(text("SELECT count(*) FROM project")).scalar_one()
        located_building = conn.execute(
            text("SELECT count(*) FROM project WHERE status = 'under_construction' AND geom IS NOT NULL")
        ).scalar_one()
        building = conn.execute(
            text("SELECT count(*) FROM project WHERE status = 'under_construction'")
        ).scalar_one()
    assert building > 0
    items = page.locator("#pv-project-list .pv-project-item")
    assert items.count() == total
    before = visible_project_count(page)
    page.uncheck('#pv-filter-status input[value="under_construction"]')
    assert items.count() == total - building
    assert visible_project_count(page) == before - located_building
    assert page.locator("#pv-project-summary").inner_text() == f"Hiển thị {total - building} / {total} dự án"
    assert "status=" in page.url and "under_construction" not in page.url.split("status=")[1].split("&")[0]


def test_clicking_a_project_opens_its_card(live_server, open_page, engine):
    with engine.connect() as conn:
        project_id, name = conn.execute(
            text(
                "SELECT project_id, name_vi FROM project WHERE geom IS NOT NULL "
                "AND geometry_quality <> 'schematic' ORDER BY project_id LIMIT 1"
            )
        ).one()
    page = open_page("/")
    page.click('#pv-tabs [data-tab="projects"]')
    page.click(f'#pv-project-list li[data-project="{project_id}"] .pv-link')
    card = page.locator(f'.leaflet-popup .pv-project-card[data-project="{project_id}"]')
    card.wait_for()
    assert name in card.inner_text()
    for label in (
        "Lĩnh vực",
        "Huyện",
        "Cơ quan chủ quản",
        "Nguồn vốn",
        "Tình trạng",
        "Tiến độ",
        "Vị trí",
        "Nguồn",
    ):
        assert label in card.inner_text()
    page.locator(".leaflet-popup-close-button").click()
    page.wait_for_function("document.querySelectorAll('.leaflet-popup').length === 0")  # after the fade-out
    # and straight from a marker on the map
    page.locator(".pv-project-marker").first.click()
    assert page.locator(".leaflet-popup .pv-project-card").count() == 1


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_zone_card_speaks_the_page_language(live_server, open_page, engine, lang):
    with engine.connect() as conn:
        zone_id, note_en, note_vi, status_en, status_vi = conn.execute(
            text(
                "SELECT zone_id, geometry_note, geometry_note_vi, status, status_vi FROM zone "
                "WHERE zone_id = 'KCN-02'"
            )
        ).one()
    page = open_page(f"/?lang={lang}")
    page.click('#pv-tabs [data-tab="zones"]')
    page.click(f'#pv-zone-list li[data-zone="{zone_id}"] .pv-link')
    card = page.locator(".leaflet-popup .pv-zone-card")
    card.wait_for()
    shown, hidden = (note_vi, note_en) if lang == "vi" else (note_en, note_vi)
    assert shown in card.inner_text() and hidden not in card.inner_text()
    status_row = card.locator("dt", has_text="Tình trạng" if lang == "vi" else "Status").locator(
        "xpath=following-sibling::dd[1]"
    )
    assert status_row.inner_text() == (status_vi if lang == "vi" else status_en)


def test_a_zone_card_opened_from_the_list_is_wholly_in_sight(live_server, open_page):
    page = open_page("/", width=1400, height=1000)
    page.click('#pv-tabs [data-tab="zones"]')
    # from a nearby zone the map zooms with an animation, which used to move the card after it opened
    for zone_id in ("KCN-01", "KCN-02"):
        page.click(f'#pv-zone-list li[data-zone="{zone_id}"] .pv-link')
        card = page.locator(f'.leaflet-popup .pv-zone-card[data-zone="{zone_id}"]')
        card.wait_for()
        map_idle(page)  # past the zoom, the card's auto-pan and the previous card's fade-out
        card_box, map_box = card.bounding_box(), page.locator(".folium-map").bounding_box()
        assert card_box["y"] >= map_box["y"], zone_id
        assert card_box["y"] + card_box["height"] <= map_box["y"] + map_box["height"], zone_id


def test_project_without_a_place_is_listed_as_not_published(live_server, open_page, engine):
    with engine.connect() as conn:
        project_id = conn.execute(
            text("SELECT project_id FROM project WHERE geom IS NULL LIMIT 1")
        ).scalar_one()
    page = open_page("/")
    page.click('#pv-tabs [data-tab="projects"]')
    item = page.locator(f'#pv-project-list li[data-project="{project_id}"]')
    assert "chưa công bố vị trí" in item.inner_text()


# the planner view has every plan layer on (the province outline covers the whole map): a click must
# still ask "what the plan says here", not open one layer's popup
@pytest.mark.parametrize("url", ["/", "/?view=planner"])
def test_clicking_inside_ba_be_shows_ba_be_in_the_panel(live_server, open_page, engine, url):
    lon, lat = zone_and_project_free_point(engine, "Ba Bể")
    page = open_page(url)
    click_map_at(page, lon, lat)
    page.wait_for_selector("#pv-here-district")
    assert page.locator("#pv-here-district").inner_text() == "Ba Bể"
    assert page.locator("#pv-here-commune").inner_text() != "—"
    # the national grid coordinates, written the Vietnamese way (X north, Y east, decimal comma)
    assert re.fullmatch(
        r"VN-2000 \(TM-3, KTT 106°30′\): X = 2\.\d{3}\.\d{3}(,\d{1,2})? m, Y = \d{3}\.\d{3}(,\d{1,2})? m",
        page.locator("#pv-here-vn2000").inner_text(),
    )
    assert page.locator('#pv-tabs [data-tab="here"]').get_attribute("aria-selected") == "true"


def test_a_commune_abolished_in_2020_shows_the_unit_that_absorbed_it_and_its_2025_unit(
    live_server, open_page, engine
):
    with engine.connect() as conn:
        name, lon, lat = conn.execute(
            text(
                "SELECT name, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM admin_unit "
                "WHERE level = 'commune' AND status_2025 = 'abolished (merged 2020)' ORDER BY code LIMIT 1"
            )
        ).one()
    page = open_page("/")
    click_map_at(page, lon, lat)
    page.locator("#pv-here-commune2009").wait_for()
    assert page.locator("#pv-here-commune2009").inner_text() == f"{name} — đã giải thể (sáp nhập năm 2020)"
    assert "01/02/2020" in page.locator("#pv-here-commune").inner_text()
    assert page.locator("#pv-here-unit2025").inner_text().startswith(("Xã ", "Phường "))
    assert page.locator("#pv-here-unit2025-note").count() == 0
    # and the list of units stays readable: its values sit inside the panel, beside their labels
    panel = page.locator("#pv-panel").bounding_box()
    value = page.locator("#pv-here-district").bounding_box()
    assert value["x"] + value["width"] <= panel["x"] + panel["width"] and value["height"] < 40


def test_places_known_only_by_district_are_listed_with_a_readable_status(live_server, open_page, engine):
    with engine.connect() as conn:
        name, status_vi = conn.execute(
            text("SELECT name_vi, status_vi FROM zone WHERE zone_id = 'CCN-05'")  # Chợ Đồn, no site published
        ).one()
    lon, lat = zone_and_project_free_point(engine, "Chợ Đồn")
    page = open_page("/")
    click_map_at(page, lon, lat)
    unmapped = page.locator(".pv-here-unmapped")
    unmapped.wait_for()
    line = unmapped.locator("li", has_text=re.compile(rf"^{re.escape(name)} \(")).inner_text()
    assert status_vi in line and "status_" not in line


def test_district_view_lists_only_that_districts_projects(live_server, open_page, engine, output_dir):
    with engine.connect() as conn:
        expected = conn.execute(
            text("SELECT count(*) FROM project WHERE '061' = ANY(district_codes)")
        ).scalar_one()
    page = open_page("/?district=ba%20be")  # name without diacritics
    assert "Ba Bể" in page.locator("#pv-district-heading").inner_text()
    items = page.locator("#pv-project-list .pv-project-item")
    assert items.count() == expected > 0
    for districts in items.evaluate_all("els => els.map(e => e.dataset.districts)"):
        assert "061" in districts.split(",")
    assert page.locator("#pv-filter-district").count() == 0
    assert page.evaluate("map_planview.getZoom()") >= 10
    # Ba Bể is outlined, and only Ba Bể
    assert page.locator("path.pv-district-outline").count() == 1
    page.screenshot(path=str(output_dir / "viewer_district_ba_be.png"))
    assert page.pv_errors == []


def test_language_switch_changes_labels(live_server, open_page):
    page = open_page("/")
    assert page.locator('#pv-tabs [data-tab="layers"]').inner_text() == "Lớp bản đồ"
    page.click('#pv-lang [data-lang="en"]')
    assert page.locator('#pv-tabs [data-tab="layers"]').inner_text() == "Layers"
    assert page.locator("#pv-title").inner_text() == "Bắc Kạn Provincial Plan 2021–2030"
    assert "no data yet" in page.locator('details[data-sheet="P3"] > summary').inner_text()
    assert page.evaluate("document.documentElement.lang") == "en"
    assert "lang=en" in page.url
    page.click('#pv-tabs [data-tab="projects"]')
    assert "Showing" in page.locator("#pv-project-summary").inner_text()


def test_unknown_district_shows_a_message_and_the_map_still_works(live_server, open_page):
    page = open_page("/?district=Atlantis")
    message = page.locator("#pv-message")
    assert message.is_visible()
    assert "Atlantis" in message.inner_text()
    assert page.locator("#pv-layer-tree details.pv-sheet").count() > 0
    zoom = page.evaluate("map_planview.getZoom()")
    page.click(".leaflet-control-zoom-in")
    page.wait_for_function(f"map_planview.getZoom() > {zoom}")
    assert page.pv_errors == []


def test_malformed_permalink_shows_a_message_and_defaults(live_server, open_page):
    page = open_page("/#map=abc/1&lang=xx")
    assert page.locator("#pv-message").is_visible()
    assert "map=abc/1" in page.locator("#pv-message").inner_text()
    assert page.locator("#pv-project-list .pv-project-item").count() > 0
    assert page.pv_errors == []


def test_permalink_restores_the_map_state(live_server, open_page):
    page = open_page("/#map=11/22.4/105.6&layers=rivers&status=planned&lang=en&tab=projects")
    assert page.evaluate("map_planview.getZoom()") == 11
    assert page.locator('li[data-layer="rivers"] input.pv-layer-toggle').is_checked()
    assert page.locator('#pv-tabs [data-tab="projects"]').inner_text() == "Projects"
    statuses = page.locator("#pv-project-list .pv-project-item").evaluate_all(
        "els => els.map(e => e.dataset.status)"
    )
    assert statuses and set(statuses) == {"planned"}


def test_search_is_diacritic_blind_and_zooms_to_the_hit(live_server, open_page):
    page = open_page("/")
    zoom = page.evaluate("map_planview.getZoom()")
    page.fill("#pv-search-input", "cho don")
    hit = page.locator("#pv-search-results .pv-search-hit", has_text="Chợ Đồn").first
    hit.wait_for()
    hit.click()
    page.wait_for_function(f"map_planview.getZoom() > {zoom}")


def test_typing_a_vn2000_coordinate_takes_the_map_there(live_server, open_page):
    from pyproj import Transformer

    lon, lat = 105.8345, 22.1472  # Bắc Kạn city
    east, north = Transformer.from_crs(4326, 9213, always_xy=True).transform(lon, lat)
    page = open_page("/")
    page.fill("#pv-search-input", f"X={north:.2f} Y={east:.2f}".replace(".", ","))
    hit = page.locator("#pv-search-results .pv-search-hit").first
    hit.wait_for()
    assert "tọa độ" in hit.inner_text() and "ngoài tỉnh" not in hit.inner_text()
    page.press("#pv-search-input", "Enter")
    page.wait_for_function("map_planview.getZoom() >= 14")
    centre = page.evaluate("(() => { const c = map_planview.getCenter(); return [c.lng, c.lat]; })()")
    assert abs(centre[0] - lon) < 1e-5 and abs(centre[1] - lat) < 1e-5


def test_the_cursor_shows_vn2000_coordinates(live_server, open_page):
    from pyproj import Transformer

    lon, lat = 105.8345, 22.1472
    east, north = Transformer.from_crs(4326, 9213, always_xy=True).transform(lon, lat)
    page = open_page("/")
    page.mouse.move(*screen_point(page, lon, lat, zoom=14))
    shown = page.locator("#pv-coords").inner_text()
    x_north, y_east = (
        int(v.replace(".", "")) for v in re.search(r"VN-2000 X ([\d.]+) Y ([\d.]+)", shown).groups()
    )
    # within a pixel at z14 (~10 m) of pyproj: the browser's proj4 follows the database's definition
    assert abs(x_north - north) < 12 and abs(y_east - east) < 12
    # and the projection itself agrees with pyproj to the centimetre (the datum shift is ~200 m)
    js_east, js_north = page.evaluate(
        f"(() => proj4(JSON.parse(document.getElementById('pv-config').textContent).vn2000.proj4)"
        f".forward([{lon}, {lat}]))()"
    )
    assert abs(js_east - east) < 0.01 and abs(js_north - north) < 0.01


def test_planner_and_investor_views(live_server, open_page, output_dir):
    sheets = httpx.get(live_server + "/api/sheets").json()["sheets"]
    loaded = [layer["layer_key"] for s in sheets for layer in s["layers"] if layer["loaded"]]
    page = open_page("/?view=planner")
    for key in loaded:
        assert page.locator(f'li[data-layer="{key}"] input.pv-layer-toggle').is_checked(), key
    assert page.locator("#pv-conflicts").count() == 1
    page.screenshot(path=str(output_dir / "viewer_planner.png"))
    assert page.pv_errors == [] and page.pv_external_requests() == []

    page = open_page("/?view=investor")
    assert page.locator('#pv-tabs [data-tab="zones"]').get_attribute("aria-selected") == "true"
    assert page.locator("#pv-site-finder").count() == 1
    zones = page.locator("#pv-zone-list .pv-zone-item")
    assert zones.count() > 0
    zones.first.locator(".pv-link").click()
    card = page.locator(".leaflet-popup .pv-zone-card")
    card.wait_for()
    text_ = card.inner_text()
    assert "Diện tích quy hoạch" in text_ and "Còn trống" in text_
    page.screenshot(path=str(output_dir / "viewer_investor.png"))
    assert page.pv_errors == [] and page.pv_external_requests() == []


def test_unpublished_zone_area_is_never_shown_as_zero(live_server, open_page, engine):
    with engine.connect() as conn:
        zone_id = conn.execute(
            text("SELECT zone_id FROM zone WHERE area_available_ha IS NULL LIMIT 1")
        ).scalar_one()
    page = open_page("/?view=investor")
    item = page.locator(f'#pv-zone-list li[data-zone="{zone_id}"]')
    assert "Còn trống: chưa công bố" in item.inner_text()


def test_phone_screen_collapses_the_panel(live_server, open_page, output_dir):
    page = open_page("/", width=390, height=800)
    assert not page.locator("#pv-panel").is_visible() or page.evaluate(
        "document.getElementById('pv-panel').getBoundingClientRect().right <= 0"
    )
    page.click("#pv-panel-toggle")
    page.wait_for_function("document.getElementById('pv-panel').getBoundingClientRect().left >= 0")
    assert page.locator("#pv-layer-tree details.pv-sheet").first.is_visible()
    page.screenshot(path=str(output_dir / "viewer_phone.png"))


@pytest.mark.parametrize("url", ["/", "/?view=planner", "/?view=investor", "/?lang=en&view=investor"])
def test_no_tab_shows_placeholder_text_for_missing_values(live_server, open_page, url):
    page = open_page(url)
    tabs = page.locator("#pv-tabs [data-tab]")
    for i in range(tabs.count()):
        tabs.nth(i).click()
        tab = tabs.nth(i).get_attribute("data-tab")
        panel_text = page.locator("#pv-panel").inner_text()
        for junk in ("null", "undefined", "NaN", "[object Object]"):
            assert not re.search(rf"\b{re.escape(junk)}\b", panel_text), (tab, junk)


@pytest.mark.parametrize("width", [1280, 390])
def test_the_login_button_shows_its_padlock(live_server, open_page, width):
    page = open_page("/", width=width, height=800)
    button = page.locator("#pv-login-open")
    icon = button.locator("svg.pv-login-icon")
    box = icon.bounding_box()
    assert box and box["width"] >= 10 and box["height"] >= 10  # drawn, whatever fonts the machine has
    # no character the default fonts lack (an emoji would show as an empty box)
    assert all(ord(c) < 0x2000 for c in button.inner_text())
    if width < 600:
        assert button.inner_text().strip() == ""  # on a phone the padlock alone is the button
