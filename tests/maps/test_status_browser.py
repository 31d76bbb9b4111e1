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


def open_project_card(page, project_id: str):
    """Open the project from the projects list; returns its panel card (record, history, form)."""
    page.click('#pv-tabs [data-tab="projects"]')
    page.click(f'#pv-project-list li[data-project="{project_id}"] .pv-link')
    detail = page.locator(f'#pv-project-detail[data-project="{project_id}"]')
    detail.locator("form.pv-status-form").wait_for()
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


def test_status_change_shows_in_history_marker_and_api(live_server, open_page, engine):
    project_id, old_status = located_project(engine, "under_construction")
    page = open_page("/")
    detail = open_project_card(page, project_id)
    assert "Lịch sử tình trạng" in detail.inner_text()
    assert "Cập nhật tình trạng" in detail.inner_text()
    summary_before = page.locator(".pv-filter-status[data-status=under_construction] .pv-count").inner_text()

    detail.locator("#pv-status-select").select_option("under_construction")
    detail.locator("#pv-status-progress").fill("35")
    detail.locator("#pv-status-note").fill("Đã khởi công gói thầu số 1")
    detail.locator("#pv-status-by").fill("Phòng Kinh tế huyện")
    detail.locator("#pv-status-submit").click()
    detail.locator(".pv-ok").wait_for()

    first = detail.locator(".pv-history-event").first
    assert first.get_attribute("data-status") == "under_construction"
    row = first.inner_text()
    assert "Đang thi công" in row and "35%" in row and "Đã khởi công gói thầu số 1" in row
    assert "Phòng Kinh tế huyện" in row
    assert str(dt.date.today().year) in row  # the date, written in full
    assert "Đang thi công" in detail.locator(".pv-badge").inner_text()

    record = httpx.get(f"{live_server}/api/projects/{project_id}").json()
    assert record["status"] == "under_construction"
    newest = record["history"][0]
    assert (newest["status"], newest["recorded_by"], newest["progress_pct"]) == (
        "under_construction",
        "Phòng Kinh tế huyện",
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

    # the name is remembered for the next report
    assert page.evaluate("localStorage.getItem('planview.recordedBy')") == "Phòng Kinh tế huyện"
    assert old_status != "under_construction"
    assert page.pv_errors == []


def test_map_card_opens_the_panel_card_even_with_the_panel_closed(live_server, open_page, output_dir):
    page = open_page("/")
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


def test_status_change_without_a_name_shows_the_error_and_records_nothing(live_server, open_page, engine):
    project_id, old_status = located_project(engine, "completed")
    before = event_count(engine, project_id)
    page = open_page("/")
    detail = open_project_card(page, project_id)
    page.evaluate("localStorage.removeItem('planview.recordedBy')")
    detail.locator("#pv-status-select").select_option("completed")
    detail.locator("#pv-status-by").fill("")
    detail.locator("#pv-status-submit").click()
    error = detail.locator(".pv-error.pv-form-message")
    error.wait_for()
    assert "recorded_by" in error.inner_text()
    assert "Không lưu được" in error.inner_text()
    assert event_count(engine, project_id) == before
    assert httpx.get(f"{live_server}/api/projects/{project_id}").json()["status"] == old_status
    assert detail.locator(".pv-badge").inner_text() != "Hoàn thành"
    item = page.locator(f'#pv-project-list li[data-project="{project_id}"]')
    assert item.get_attribute("data-status") == old_status


def test_english_labels(live_server, open_page, engine):
    project_id, _ = located_project(engine, "completed")
    page = open_page("/#lang=en")
    detail = open_project_card(page, project_id)
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
