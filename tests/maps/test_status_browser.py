"""Status reporting in the page: project history, the status form, the annual implementation report link."""

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import text

from tests.maps.conftest import map_idle

pytestmark = pytest.mark.browser


def located_project(engine, status_not: str) -> tuple[str, str]:
    """A project with a place on the map whose status is not ``status_not``: (id, status)."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT project_id, status FROM project WHERE geom IS NOT NULL AND status <> :s "
                "ORDER BY project_id LIMIT 1"
            ),
            {"s": status_not},
        ).one()
    return row[0], row[1]


@pytest.fixture(scope="module")
def people(database_url):
    """A planner and a Na Rì officer on this module's database."""
    from tests.api.conftest import Accounts

    accounts = Accounts(database_url)
    accounts.add("page.planner", "planner", name="Chuyên viên Sở KH&ĐT")
    accounts.add("nari.officer", "officer", ["066"], name="Cán bộ Na Rì")
    return accounts


def log_in(page, username: str):
    """Log in through the header's form, as a person would."""
    from tests.api.conftest import PASSWORD

    page.click("#pv-login-open")  # the form is folded behind one button in the header
    page.fill("#pv-login-user", username)
    page.fill("#pv-login-pass", PASSWORD)
    page.click("#pv-login-submit")
    page.locator("#pv-account-name").wait_for()


def open_project_card(page, project_id: str):
    """Open the project from the projects list; returns its panel card (record, history, form)."""
    page.click('#pv-tabs [data-tab="projects"]')
    page.click(f'#pv-project-list li[data-project="{project_id}"] .pv-link')
    detail = page.locator(f'#pv-project-detail[data-project="{project_id}"]')
    detail.locator(".pv-history").wait_for()
    return detail


def event_count(engine, project_id: str) -> int:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT count(*) FROM project_status_event WHERE project_id = :p"), {"p": project_id}
        ).scalar_one()


def test_the_first_history_row_says_it_is_the_sources_status(live_server, open_page, engine):
    with engine.connect() as conn:
        project_id, status_note_vi, source = conn.execute(
            text(
                "SELECT p.project_id, p.status_note_vi, p.source_url FROM project p WHERE p.geom IS NOT NULL "
                "AND NOT EXISTS (SELECT 1 FROM project_status_event e WHERE e.project_id = p.project_id "
                "AND e.recorded_by <> 'planview load') ORDER BY p.project_id LIMIT 1"
            )
        ).one()
    page = open_page("/")
    detail = open_project_card(page, project_id)
    oldest = detail.locator(".pv-history-event").last
    row = oldest.inner_text()
    # the source's words in Vietnamese, said to come from the published sources, with the link to them
    assert status_note_vi in row and "Theo nguồn đã công bố" in row
    assert oldest.locator("a").get_attribute("href") == source


def test_status_change_shows_in_history_marker_and_api(live_server, open_page, engine, people):
    project_id, old_status = located_project(engine, "under_construction")
    page = open_page("/")
    log_in(page, "page.planner")
    assert "Chuyên viên quy hoạch" in page.locator("#pv-account").inner_text()
    detail = open_project_card(page, project_id)
    assert "Lịch sử tình trạng" in detail.inner_text()
    assert "Cập nhật tình trạng" in detail.inner_text()
    summary_before = page.locator(".pv-filter-status[data-status=under_construction] .pv-count").inner_text()

    detail.locator("#pv-status-select").select_option("under_construction")
    detail.locator("#pv-status-progress").fill("35")
    detail.locator("#pv-status-note").fill("Đã khởi công gói thầu số 1")
    detail.locator("#pv-status-submit").click()
    detail.locator(".pv-ok").wait_for()

    first = detail.locator(".pv-history-event").first
    assert first.get_attribute("data-status") == "under_construction"
    row = first.inner_text()
    assert "Đang thi công" in row and "35%" in row and "Đã khởi công gói thầu số 1" in row
    assert "Chuyên viên Sở KH&ĐT" in row and "đã xác thực" in row  # the verified author
    assert str(dt.date.today().year) in row  # the date, written in full
    assert "Đang thi công" in detail.locator(".pv-badge").inner_text()

    record = httpx.get(f"{live_server}/api/projects/{project_id}").json()
    assert record["status"] == "under_construction"
    newest = record["history"][0]
    assert (newest["status"], newest["recorded_by"], newest["progress_pct"]) == (
        "under_construction",
        "Chuyên viên Sở KH&ĐT",
        35,
    )
    # the live count of the status filter went up by one, the marker took the new colour
    summary_after = page.locator(".pv-filter-status[data-status=under_construction] .pv-count").inner_text()
    assert int(summary_after.strip("()")) == int(summary_before.strip("()")) + 1
    page.click(f'#pv-project-list li[data-project="{project_id}"] .pv-link')
    page.locator(f'.leaflet-popup .pv-project-card[data-project="{project_id}"]').wait_for()
    marker = page.locator(f'.leaflet-marker-icon.pv-project-marker[title="{record["name_vi"]}"] span').first
    colour = marker.evaluate("e => e.style.background")
    assert colour == "rgb(230, 85, 13)"  # under_construction, maps/styles.py

    assert old_status != "under_construction"
    assert page.pv_errors == []


def test_map_card_opens_the_panel_card_even_with_the_panel_closed(live_server, open_page, output_dir, people):
    page = open_page("/")
    log_in(page, "page.planner")
    page.click("#pv-panel-toggle")
    assert page.evaluate("document.body.classList.contains('pv-panel-closed')")
    page.locator(".pv-project-marker").first.click()
    popup = page.locator(".leaflet-popup .pv-project-card")
    popup.wait_for()
    shown_id = popup.get_attribute("data-project")
    popup.locator(".pv-open-detail").click()
    detail = page.locator(f'#pv-project-detail[data-project="{shown_id}"]')
    detail.locator("form.pv-status-form").wait_for()
    assert not page.evaluate("document.body.classList.contains('pv-panel-closed')")
    assert detail.is_visible()
    map_idle(page)  # the panel has slid in
    page.screenshot(path=str(output_dir / "viewer_status_card.png"))


def test_a_stale_form_shows_who_changed_it_and_records_nothing(live_server, open_page, engine, people):
    project_id, old_status = located_project(engine, "completed")
    page = open_page("/")
    log_in(page, "page.planner")
    detail = open_project_card(page, project_id)
    # someone else saves in between (a Bearer script of the Na Rì officer would be refused: a planner's)
    token = people.token("page.planner")
    etag = httpx.get(f"{live_server}/api/projects/{project_id}").headers["etag"]
    other = httpx.post(
        f"{live_server}/api/projects/{project_id}/status",
        json={"status": "suspended"},
        headers={"Authorization": f"Bearer {token}", "If-Match": etag},
    )
    assert other.status_code == 200, other.text
    before = event_count(engine, project_id)
    detail.locator("#pv-status-select").select_option("completed")
    detail.locator("#pv-status-submit").click()
    error = detail.locator(".pv-conflict-message")
    error.wait_for()
    assert "Chuyên viên Sở KH&ĐT" in error.inner_text() and "kể từ khi bạn mở" in error.inner_text()
    assert event_count(engine, project_id) == before
    error.locator("#pv-status-reload").click()
    detail.locator(".pv-badge", has_text="Tạm dừng").wait_for()


def test_an_anonymous_visitor_sees_no_form_and_a_lapsed_session_keeps_the_form(
    live_server, open_page, engine, people
):
    project_id, _ = located_project(engine, "completed")
    page = open_page("/")
    page.click('#pv-tabs [data-tab="projects"]')
    page.click(f'#pv-project-list li[data-project="{project_id}"] .pv-link')
    detail = page.locator(f'#pv-project-detail[data-project="{project_id}"]')
    detail.locator(".pv-history").wait_for()
    assert detail.locator("form.pv-status-form").count() == 0
    log_in(page, "page.planner")
    detail.locator("form.pv-status-form").wait_for()
    detail.locator("#pv-status-note").fill("Ghi chú đang soạn")
    with engine.begin() as conn:  # the session ends on the server (expired)
        conn.execute(text("UPDATE user_session SET expires_at = now() - interval '1 second'"))
    detail.locator("#pv-status-submit").click()
    detail.locator(".pv-error.pv-form-message", has_text="đăng nhập lại").wait_for()
    assert detail.locator("#pv-status-note").input_value() == "Ghi chú đang soạn"
    page.locator("#pv-login-open").wait_for()


def test_a_nari_officer_edits_only_nari_projects_and_history_names_them(
    live_server, open_page, engine, people
):
    page = open_page("/")
    log_in(page, "nari.officer")
    # PRJ-08 lies in Ba Bể: no form
    page.click('#pv-tabs [data-tab="projects"]')
    page.click('#pv-project-list li[data-project="PRJ-08"] .pv-link')
    other = page.locator('#pv-project-detail[data-project="PRJ-08"]')
    other.locator(".pv-history").wait_for()
    assert other.locator("form.pv-status-form").count() == 0
    # PRJ-06 (CCN Vằng Mười) lies in Na Rì: the form, a change, the officer named in the history
    detail = open_project_card(page, "PRJ-06")
    detail.locator("#pv-status-select").select_option("under_construction")
    detail.locator("#pv-status-progress").fill("60")
    detail.locator("#pv-status-submit").click()
    detail.locator(".pv-ok").wait_for()
    row = detail.locator(".pv-history-event").first.inner_text()
    assert "Cán bộ Na Rì" in row and "đã xác thực" in row
    me = page.evaluate("fetch('/api/auth/me').then(r => r.json())")
    assert "PRJ-06" in me["editable_projects"] and "PRJ-08" not in me["editable_projects"]
    assert page.pv_errors == []


def test_english_labels(live_server, open_page, engine, people):
    project_id, _ = located_project(engine, "completed")
    page = open_page("/#lang=en")
    log_in(page, "page.planner")
    assert (
        page.locator("#pv-logout").inner_text() == "Log out"
        and "Planner" in page.locator("#pv-account").inner_text()
    )
    detail = open_project_card(page, project_id)
    detail.locator("form.pv-status-form").wait_for()
    text_en = detail.inner_text()
    assert "Status history" in text_en and "Update status" in text_en and "Recorded by" in text_en
    year = dt.date.today().year
    assert page.locator("#pv-report-link").inner_text().startswith(f"Implementation report {year} (CSV)")


def test_district_view_links_the_districts_implementation_report(live_server, open_page):
    page = open_page("/?district=ba%20be")
    link = page.locator("#pv-report-link")
    assert link.is_visible()
    year = dt.date.today().year
    assert link.inner_text().startswith(f"Báo cáo thực hiện năm {year} (CSV)")
    href = link.get_attribute("href")
    parts = urlsplit(href)
    assert parts.path == "/api/reports/implementation"
    assert parse_qs(parts.query) == {"year": [str(year)], "district": ["061"], "f": ["csv"]}
    assert "hạn 20/10 hằng năm" in page.locator("#pv-report").inner_text()
    response = page.request.get(live_server + href)
    assert response.status == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.text().lstrip("\ufeff").startswith("project_id,")


def test_projects_tab_links_the_province_report_without_a_district(live_server, open_page):
    page = open_page("/")
    page.click('#pv-tabs [data-tab="projects"]')
    query = parse_qs(urlsplit(page.locator("#pv-report-link").get_attribute("href")).query)
    assert query == {"year": [str(dt.date.today().year)], "f": ["csv"]}
