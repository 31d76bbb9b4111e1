"""The monitoring page in Debian's chromium: the targets dashboard and an officer's report form."""

import pytest


@pytest.fixture(scope="module")
def officer(database_url) -> str:
    """A real officer account of Na Rì on this module's database."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.api.conftest import Accounts

    # in a thread of its own: the browser's driver already runs an event loop in this one
    with ThreadPoolExecutor(1) as pool:
        add = pool.submit(Accounts(database_url).add, "nari.officer", "officer", ["066"], name="Cán bộ Na Rì")
        return add.result()


def log_in(page, live_server, username):
    """Log the page's browser context in through the API (the session cookie is then the page's)."""
    from tests.api.conftest import PASSWORD

    response = page.context.request.post(
        f"{live_server}/api/auth/login", data={"username": username, "password": PASSWORD}
    )
    assert response.ok, response.text()


def real_errors(page):
    """Script errors; a refused request of who-am-I (logged out) is the browser's log line, not a fault."""
    failed = [r.url for r in page.pv_responses if r.status >= 400 and not r.url.endswith("/api/auth/me")]
    return failed + [e for e in page.pv_errors if "Failed to load resource" not in e]


@pytest.mark.browser
def test_targets_dashboard_groups_by_part_with_charts_and_sources(open_page):
    page = open_page("/monitoring")
    parts = page.locator(".pv-part")
    assert parts.count() == 5
    assert parts.first.locator("h2").inner_text() == "Về kinh tế"
    forest = page.locator('[data-target="T-40"]')
    assert forest.locator("[data-status]").get_attribute("data-status") == "met"
    assert forest.locator("[data-status]").inner_text() == "đạt"
    assert forest.locator("canvas").count() >= 1
    grdp = page.locator('[data-target="T-01"]')
    assert grdp.locator("[data-status]").get_attribute("data-status") == "behind"
    # hovering the chart names the year's value and its source
    box = grdp.locator(".u-over").bounding_box()
    page.mouse.move(box["x"] + 2, box["y"] + box["height"] / 2)
    hover = grdp.locator(".pv-hover")
    page.wait_for_function("el => el.textContent.startsWith('2022')", arg=hover.element_handle())
    assert "6,01" in hover.inner_text() and "dantocmiennui.vn" in hover.inner_text()
    assert page.locator('[data-part="defence"] .pv-none').count() == 1
    assert page.pv_external_requests() == [] and real_errors(page) == []


@pytest.mark.browser
def test_an_officer_fills_and_submits_the_report_form(open_page, live_server, officer):
    page = open_page("/monitoring")
    log_in(page, live_server, officer)
    page.goto(f"{live_server}/monitoring#tab=unit&year=2024")
    page.reload(wait_until="networkidle")
    page.wait_for_selector("body[data-ready=true]")
    assert "Cán bộ Na Rì" in page.locator("#pv-mon-who").inner_text()
    assert page.locator("#pv-unit option").all_inner_texts() == ["066 · UBND huyện Na Rì"]
    assert page.locator("#pv-unit-report").is_visible()
    assert "UBND huyện Na Rì" in page.locator("#pv-unit-state").inner_text()
    assert page.locator('#pv-unit-tasks tr.pv-overdue[data-task="KH56-IV1-RASOAT-066"]').count() == 1
    # the officer marks the overdue task completed from the table
    page.select_option('tr[data-task="KH56-IV1-RASOAT-066"] select', "completed")
    page.wait_for_selector('tr[data-task="KH56-IV1-RASOAT-066"]:not(.pv-overdue) td[data-status="completed"]')
    page.fill("#pv-difficulties", "Thiếu vốn đối ứng cho dự án đường")
    page.fill("#pv-proposals", "<b>Đề nghị</b> bổ sung vốn")
    page.click("#pv-save")
    page.wait_for_selector('#pv-form-status[data-result="200"]')
    page.click("#pv-submit")
    page.wait_for_selector('#pv-unit-state[data-state="submitted"]')
    assert "trễ" in page.locator("#pv-form-status").inner_text()
    assert page.locator("#pv-difficulties").is_disabled()
    # the text came back as text, not markup
    assert page.locator("#pv-proposals").input_value() == "<b>Đề nghị</b> bổ sung vốn"
    events = page.locator("#pv-unit-events li").all_inner_texts()
    assert len(events) == 3 and all("nari.officer" in e for e in events)
    assert real_errors(page) == []


@pytest.mark.browser
def test_the_time_slider_shows_statuses_as_of_a_day(open_page):
    page = open_page("/monitoring#tab=history")
    assert page.locator("#pv-history-map .leaflet-interactive").count() > 0
    slider = page.locator("#pv-day")
    slider.evaluate("el => { el.value = 0; el.dispatchEvent(new Event('change')); }")
    page.wait_for_function(
        "() => document.getElementById('pv-day-counts').textContent.startsWith('chưa có ghi nhận')"
    )
    assert page.locator("#pv-day-label").input_value() < page.evaluate(
        "new Date().toISOString().slice(0, 10)"
    )
