"""The viewer's "In bản đồ / Print" dialog opens the print layout and the PDF of the current view."""

from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = pytest.mark.browser


def test_print_dialog_opens_layout_of_current_view(open_page, live_server):
    page = open_page("/#map=12/22.30000/105.90000&layers=priority_projects,industrial_zones&lang=vi")
    button = page.locator("#pv-print-button")
    assert button.locator(".pv-print-label").inner_text() == "In bản đồ"
    button.click()
    dialog = page.locator("#pv-print-dialog")
    dialog.wait_for(state="visible")
    assert "In bản đồ theo tỉ lệ" in dialog.inner_text() and "Khổ giấy" in dialog.inner_text()
    page.select_option("#pv-print-form select[name=paper]", "A3")
    page.select_option("#pv-print-form select[name=scale]", "100000")
    href = page.locator("#pv-print-open").get_attribute("href")
    query = {k: v[0] for k, v in parse_qs(urlsplit(href).query).items()}
    assert query["paper"] == "A3" and query["orientation"] == "landscape" and query["scale"] == "100000"
    lon, lat = (float(v) for v in query["center"].split(","))
    assert abs(lon - 105.9) < 0.01 and abs(lat - 22.3) < 0.01  # the map's centre
    assert set(query["layers"].split(",")) == {"priority_projects", "industrial_zones"}
    assert page.locator("#pv-print-pdf").get_attribute("href") == href.replace("/print?", "/api/print.pdf?")

    layout = page.context.new_page()
    layout.goto(live_server + href)
    assert "Sơ đồ P12" in layout.locator(".pv-title").inner_text()
    assert "Tỉ lệ 1:100.000" in layout.locator(".pv-header").inner_text()
    assert "Dự án ưu tiên đầu tư" in layout.locator(".pv-panel").inner_text()
    # the layout's PDF link is the same request
    assert layout.locator("#pv-print-pdf").get_attribute("href").startswith("/api/print.pdf?")

    page.locator("#pv-print-form button[type=submit]").click()
    dialog.wait_for(state="hidden")
    page.locator("#pv-lang [data-lang=en]").click()
    assert (
        button.locator(".pv-print-label").inner_text() == "Print" and button.get_attribute("title") == "Print"
    )
    button.click()
    page.select_option("#pv-print-form select[name=scale]", "fit")
    href = page.locator("#pv-print-open").get_attribute("href")
    query = {k: v[0] for k, v in parse_qs(urlsplit(href).query).items()}
    assert query["scale"] == "fit" and len(query["bbox"].split(",")) == 4 and query["lang"] == "en"
    assert page.pv_errors == [] and page.pv_external_requests() == []


def test_print_button_on_a_phone_is_a_glyph_that_still_opens_the_dialog(open_page):
    page = open_page("/", width=400, height=760)
    button = page.locator("#pv-print-button")
    assert button.get_attribute("title") == "In bản đồ"
    assert not button.locator(".pv-print-label").is_visible()
    search = page.locator("#pv-search-input").bounding_box()
    assert search["width"] >= 80  # the search box keeps room to type
    button.click()
    page.locator("#pv-print-dialog").wait_for(state="visible")
