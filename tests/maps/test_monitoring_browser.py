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


# letters only Vietnamese writes: an English page shows none of them in its own labels
VIETNAMESE_LETTERS = set("ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹàáèéìíòóùúýõãĩũ")


@pytest.mark.browser
def test_the_page_speaks_english_on_the_switch_and_the_map_page_passes_its_language(open_page):
    page = open_page("/?lang=en")
    assert page.locator("#pv-monitoring-link").get_attribute("href") == "/monitoring#lang=en"
    page.click("#pv-monitoring-link")
    page.wait_for_selector("body[data-ready=true] .pv-part")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator('[data-tab="targets"]').inner_text() == "Targets"
    assert page.locator(".pv-part h2").first.inner_text() == "Economy"
    assert page.locator('[data-target="T-40"] [data-status]').inner_text() == "met"
    labels = page.locator("[data-i18n]").all_text_contents()
    vietnamese = [text for text in labels if VIETNAMESE_LETTERS & set(text.replace("Bắc Kạn", "").lower())]
    assert labels and vietnamese == []
    # and back to Vietnamese in place
    page.click('#pv-lang [data-lang="vi"]')
    page.wait_for_selector("body[data-ready=true]")
    assert page.locator('[data-tab="targets"]').inner_text() == "Chỉ tiêu"
    assert page.locator(".pv-part h2").first.inner_text() == "Về kinh tế"
    assert page.locator('[data-target="T-40"] [data-status]').inner_text() == "đạt"
    assert "lang=vi" in page.url
    assert page.pv_external_requests() == [] and real_errors(page) == []


@pytest.mark.browser
def test_an_officers_form_keeps_what_was_typed_when_the_language_changes(
    open_page, live_server, database_url
):
    from tests.api.conftest import Accounts

    # an officer of a 2025 ward: the 2025 report is theirs to write (Na Rì district ended on 30/06/2025)
    ward = Accounts(database_url).add("ducxuan.officer", "officer", ["01840"], name="Cán bộ Đức Xuân")
    page = open_page("/monitoring")
    log_in(page, live_server, ward)
    page.goto(f"{live_server}/monitoring#tab=unit&year=2025")
    page.reload(wait_until="networkidle")
    page.wait_for_selector("body[data-ready=true]")
    page.fill("#pv-difficulties", "Chưa lưu: đường tỉnh 258")
    page.click('#pv-lang [data-lang="en"]')
    page.wait_for_selector("body[data-ready=true]")
    assert page.locator("#pv-unit option").all_inner_texts() == [
        "01840 · People's Committee of Phường Đức Xuân"
    ]
    assert page.locator("#pv-save").inner_text() == "Save draft"
    assert " due " in page.locator("#pv-unit-state").inner_text()
    assert page.locator("#pv-difficulties").input_value() == "Chưa lưu: đường tỉnh 258"
    assert real_errors(page) == []


@pytest.mark.browser
def test_a_task_whose_lead_unit_ended_shows_why_instead_of_a_due_date(open_page, live_server, database_url):
    from tests.api.conftest import Accounts

    accounts = Accounts(database_url)
    ward = accounts.add("ducxuan.reader", "officer", ["01840"], name="Cán bộ Đức Xuân")
    # Đức Xuân (2025) named as co-operating unit of Na Rì's yearly report (Na Rì ended on 30/06/2025)
    task_id = "KH56-V1-BAOCAO-066"
    accounts.sql("UPDATE task SET co_units = ARRAY['01840'] WHERE task_id = $1", task_id)
    try:
        page = open_page("/monitoring")
        log_in(page, live_server, ward)
        page.goto(f"{live_server}/monitoring#tab=unit&year=2025")
        page.reload(wait_until="networkidle")
        page.wait_for_selector(f'#pv-unit-tasks tr[data-task="{task_id}"]')
        ended = page.locator(f'#pv-unit-tasks tr.pv-ended[data-task="{task_id}"] td.pv-due').inner_text()
        assert ended == (
            "trước ngày 20 tháng 10 hằng năm — "
            "Đơn vị chủ trì đã kết thúc ngày 30/06/2025: không còn hạn sau 20/10/2024"
        )
        own = page.locator('#pv-unit-tasks tr[data-task="KH56-V1-BAOCAO-01840"] td.pv-due').inner_text()
        assert own == "trước ngày 20 tháng 10 hằng năm (20/10/2025)"
        page.click('#pv-lang [data-lang="en"]')
        page.wait_for_selector("body[data-ready=true]")
        english = page.locator(f'#pv-unit-tasks tr[data-task="{task_id}"] td.pv-due').inner_text()
        assert english.endswith("— The lead unit ended on 30/06/2025: nothing falls due after 20/10/2024")
        assert real_errors(page) == []
    finally:
        accounts.sql("UPDATE task SET co_units = '{}' WHERE task_id = $1", task_id)
