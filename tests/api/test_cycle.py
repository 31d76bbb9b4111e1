"""The yearly cycle through the API: drafts, submission, return, acceptance, board, documents, targets."""

import io
import subprocess
from datetime import date, datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from geo.plan.actor import ANONYMOUS, Actor, Role
from geo.store.versions import Area, bump

NA_RI = "066"
NGAN_SON = "062"
PLANNER = Actor(username="skhdt.planner", role=Role.planner)
NA_RI_OFFICER = Actor(username="nari.officer", role=Role.officer, units=(NA_RI,))
FOREST_OFFICER = Actor(username="snn.officer", role=Role.officer, units=("SNNPTNT",))
BA_BE_2025_OFFICER = Actor(username="babe.officer", role=Role.officer, units=("01906",))
VN = timezone(timedelta(hours=7))


class Acting:
    """Switches the client between real accounts (a Bearer token each) and anonymous."""

    def __init__(self, client, tokens):
        self.client, self.tokens = client, tokens

    def be(self, actor):
        if actor.is_anonymous:
            self.client.headers.pop("Authorization", None)
        else:
            self.client.headers["Authorization"] = f"Bearer {self.tokens[actor.username]}"


@pytest.fixture(scope="module")
def acting(client, accounts):
    """Who the next requests come from: the three accounts of this module, or nobody."""
    tokens = {}
    for actor in (PLANNER, NA_RI_OFFICER, FOREST_OFFICER, BA_BE_2025_OFFICER):
        accounts.add(actor.username, actor.role.value, actor.units)
        tokens[actor.username] = accounts.token(actor.username)
    client.cookies.clear()
    yield Acting(client, tokens)
    client.headers.pop("Authorization", None)


def test_the_shipped_cycle_data(client, engine):
    units = client.get("/api/reporting-units").json()["units"]
    kinds = {k: sum(u["kind"] == k for u in units) for k in ("district", "commune_2025", "agency")}
    assert kinds["district"] == 8 and kinds["commune_2025"] == 37 and kinds["agency"] >= 10
    assert all(u["source"] for u in units)
    names = {u["unit_id"]: u["name_vi"] for u in units}
    assert names[NA_RI] == "UBND huyện Na Rì" and names["SKHDT"] == "Sở Kế hoạch và Đầu tư tỉnh Bắc Kạn"
    tasks = client.get("/api/tasks", params={"unit": NA_RI}).json()["tasks"]
    by_id = {t["task_id"]: t for t in tasks}
    review = by_id[f"KH56-IV1-RASOAT-{NA_RI}"]
    assert review["deadline"] == "2024-03-31" and review["deadline_text"] == "quý I/2024"
    assert review["plan_section"] == "IV.1" and "56/KH-UBND" in review["source"]
    yearly = by_id[f"KH56-V1-BAOCAO-{NA_RI}"]
    assert yearly["recurrence"] == "yearly" and yearly["deadline"] == "2024-10-20"
    # a 2025 unit gets the yearly report task from its first cycle, not the 2024 one-off tasks
    commune = client.get("/api/tasks", params={"unit": "01906"}).json()["tasks"]
    assert [t["task_id"] for t in commune] == ["KH56-V1-BAOCAO-01906"]
    assert commune[0]["deadline"] == "2025-10-20"


def test_target_status_on_known_values(client, engine):
    targets = {t["target_id"]: t for t in client.get("/api/targets").json()["targets"]}
    year = lambda tid, y: next(r for r in targets[tid]["by_year"] if r["year"] == y)  # noqa: E731
    # GRDP growth > 7.5 %/year: 7.4 in 2024, the mean of 6.01, 6.33, 7.4 is below too
    assert year("T-01", 2024)["value"] == 7.4 and year("T-01", 2024)["status"] == "behind"
    # services growth > 8 %: 8.9 in 2024
    assert year("T-02", 2024)["status"] == "met"
    # forest cover: maintain above 70 %; 73.38 % official in 2023
    assert year("T-40", 2023) | {"status": "met", "kind": "official", "value": 73.38} == year("T-40", 2023)
    # new-rural communes: 23 in 2023 against ≥ 70 by 2030 and no published baseline → no data
    assert year("T-49", 2023)["status"] == "no_data"
    assert targets["T-28"]["status"] == "no_data" and targets["T-28"]["by_year"] == []
    assert targets["T-13"]["assessed"] is False and targets["T-13"]["status"] is None
    statuses = [s["id"] for s in client.get("/api/targets").json()["statuses"]]
    assert statuses == ["met", "on_track", "behind", "no_data"]


@pytest.fixture
def t49_restored(engine):
    """T-49's baseline and actuals as they were after the test (other tests read T-49's shipped state)."""
    with engine.connect() as conn:
        baseline = conn.execute(
            text("SELECT baseline_value, baseline_year FROM plan_target WHERE target_id = 'T-49'")
        ).one()
        actuals = set(conn.execute(text("SELECT id FROM target_actual WHERE target_id = 'T-49'")).scalars())
    yield
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE plan_target SET baseline_value = :v, baseline_year = :y WHERE target_id = 'T-49'"),
            {"v": baseline.baseline_value, "y": baseline.baseline_year},
        )
        conn.execute(
            text("DELETE FROM target_actual WHERE target_id = 'T-49' AND NOT id = ANY(:kept)"),
            {"kept": list(actuals)},
        )
        bump(conn, (Area.monitoring,), "test: T-49 restored")


def test_on_track_against_the_straight_path(client, engine, acting, t49_restored):
    # a baseline of 10 communes in 2020 (set here for the test) draws the path 10 → 70 by 2030
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE plan_target SET baseline_value = 10, baseline_year = 2020 WHERE target_id = 'T-49'")
        )
    acting.be(FOREST_OFFICER)
    response = client.post(
        "/api/targets/T-49/actuals",
        json={"year": 2024, "value": 40, "kind": "estimate", "source": "test: report of the department"},
    )
    assert response.status_code == 201, response.text
    by_year = {r["year"]: r for r in response.json()["by_year"]}
    assert by_year[2024]["status"] == "on_track" and by_year[2024]["expected"] == 34  # 10 + 60 × 4/10
    assert by_year[2023]["status"] == "behind" and by_year[2023]["expected"] == 28
    recorded = [a for a in response.json()["actuals"] if a["year"] == 2024]
    assert recorded[0]["recorded_by"] == "snn.officer"
    with engine.connect() as conn:
        audit = conn.execute(
            text(
                "SELECT username, after->>'value' FROM audit_event WHERE action = 'target.actual' "
                "AND object_id = 'T-49'"
            )
        ).all()
    assert audit == [("snn.officer", "40.0")]


def test_an_officer_is_refused_on_another_units_target_and_report(client, acting):
    acting.be(NA_RI_OFFICER)
    refused = client.post(
        "/api/targets/T-40/actuals", json={"year": 2024, "value": 72, "kind": "estimate", "source": "x"}
    )
    assert refused.status_code == 403 and "SNNPTNT" in refused.json()["description"]
    assert client.get(f"/api/reports/2024/units/{NGAN_SON}").status_code == 403
    put = client.put(f"/api/reports/2024/units/{NGAN_SON}", json={"difficulties": "x", "version": 0})
    assert put.status_code == 403
    acting.be(ANONYMOUS)
    assert client.get(f"/api/reports/2024/units/{NA_RI}").status_code == 401
    assert (
        client.post(
            "/api/targets/T-40/actuals", json={"year": 2024, "value": 72, "kind": "estimate", "source": "x"}
        ).status_code
        == 401
    )
    acting.be(NA_RI_OFFICER)
    assert client.get("/api/reports/2024").status_code == 403  # the board is the planners'


def test_the_cycle_end_to_end(client, engine, acting, tmp_path):
    year = 2024
    url = f"/api/reports/{year}/units/{NA_RI}"
    acting.be(NA_RI_OFFICER)
    draft = client.get(url)
    assert draft.status_code == 200 and draft.json()["state"] == "draft" and draft.json()["version"] == 0
    assert any(t["task_id"] == f"KH56-V1-BAOCAO-{NA_RI}" for t in draft.json()["tasks"])
    assert draft.json()["projects"] and all(p["project_id"] for p in draft.json()["projects"])
    # a write must name the version it read
    assert client.put(url, json={"difficulties": "Thiếu vốn"}).status_code == 428
    saved = client.put(
        url,
        json={"difficulties": '=HYPERLINK("http://x")', "proposals": "Bổ sung vốn"},
        headers={"If-Match": '"0"'},
    )
    assert saved.status_code == 200, saved.text
    assert saved.headers["ETag"] == '"1"'
    stale = client.put(url, json={"difficulties": "older", "version": 0})
    assert stale.status_code == 412 and stale.json()["current"]["version"] == 1
    submitted = client.post(url + "/submit", json={"version": 1})
    assert submitted.status_code == 200, submitted.text
    body = submitted.json()
    expected_late = (datetime.now(VN).date() - date(year, 10, 20)).days
    assert body["state"] == "submitted" and body["late"] and body["late_days"] == expected_late
    assert client.put(url, json={"difficulties": "x", "version": body["version"]}).status_code == 409
    # the officer cannot decide; the planner returns it with a reason
    assert client.post(url + "/accept", json={"version": body["version"]}).status_code == 403
    acting.be(PLANNER)
    assert client.post(url + "/return", json={"version": body["version"]}).status_code == 400
    returned = client.post(
        url + "/return", json={"version": body["version"], "reason": "Thiếu số liệu dự án"}
    )
    assert returned.status_code == 200 and returned.json()["state"] == "returned"
    assert returned.json()["return_reason"] == "Thiếu số liệu dự án"
    acting.be(NA_RI_OFFICER)
    corrected = client.put(
        url,
        json={
            "difficulties": '=HYPERLINK("http://x")',
            "proposals": "Bổ sung vốn đối ứng",
            "version": returned.json()["version"],
        },
    )
    assert corrected.status_code == 200 and corrected.json()["state"] == "returned"
    resubmitted = client.post(
        url + "/submit", headers={"If-Match": f'"{corrected.json()["version"]}"'}, json={}
    )
    assert resubmitted.status_code == 200 and resubmitted.json()["state"] == "submitted"
    acting.be(PLANNER)
    accepted = client.post(url + "/accept", json={"version": resubmitted.json()["version"]})
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"
    actions = [(e["action"], e["actor"]) for e in accepted.json()["events"]]
    assert actions == [
        ("save", "nari.officer"),
        ("submit", "nari.officer"),
        ("return", "skhdt.planner"),
        ("save", "nari.officer"),
        ("submit", "nari.officer"),
        ("accept", "skhdt.planner"),
    ]

    with engine.connect() as conn:
        audited = conn.execute(
            text(
                "SELECT action, username, after->>'state' FROM audit_event "
                "WHERE object_type = 'unit_report' AND object_id = :o ORDER BY id"
            ),
            {"o": f"{year}/{NA_RI}"},
        ).all()
    assert [(a, u) for a, u, _ in audited] == [(f"unit_report.{a}", u) for a, u in actions]
    assert audited[-1][2] == "accepted"

    board = client.get(f"/api/reports/{year}").json()
    rows = {b["unit_id"]: b for b in board["units"]}
    assert len(rows) == board["counts"]["units"] and NA_RI in rows and "01906" not in rows
    assert rows[NA_RI]["state"] == "accepted" and rows[NA_RI]["late_days"] == expected_late
    assert rows[NGAN_SON]["state"] is None and rows[NGAN_SON]["missing"] is True
    assert board["counts"]["accepted"] == 1 and board["counts"]["missing"] == board["counts"]["units"] - 1

    xlsx = client.get(f"/api/reports/{year}/consolidated.xlsx")
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.content))
    assert {"Nhiệm vụ", "Dự án", "Chỉ tiêu", "Khó khăn, kiến nghị", "Đơn vị chưa tiếp nhận"} <= set(
        book.sheetnames
    )
    tasks = book["Nhiệm vụ"]
    assert tasks.freeze_panes == "A2" and tasks["A1"].value == "Đơn vị"
    na_ri_rows = [r for r in tasks.iter_rows(min_row=2, values_only=True) if r[0] == "UBND huyện Na Rì"]
    assert na_ri_rows and isinstance(na_ri_rows[0][4], datetime)  # the deadline is a date cell
    words = book["Khó khăn, kiến nghị"]
    assert words["D2"].value == '=HYPERLINK("http://x")' and words["D2"].data_type == "s"
    assert words["C2"].value == expected_late and isinstance(words["C2"].value, int)
    missing = [r[0] for r in book["Đơn vị chưa tiếp nhận"].iter_rows(min_row=2, values_only=True)]
    assert NGAN_SON in missing and NA_RI not in missing
    grdp = next(
        r for r in book["Chỉ tiêu toàn tỉnh"].iter_rows(min_row=2, values_only=True) if r[0] == "T-01"
    )
    assert grdp[7] == 7.4 and grdp[4] == 7.5

    pdf = client.get(f"/api/reports/{year}/consolidated.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf.content)
    words = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "UBND huyện Na Rì" in words and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in words
    assert "UBND huyện Ngân Sơn" in words  # listed as missing

    unit_xlsx = client.get(f"/api/reports/{year}/units/{NA_RI}.xlsx")
    assert unit_xlsx.status_code == 200
    assert (
        load_workbook(io.BytesIO(unit_xlsx.content))["Khó khăn, kiến nghị"]["A2"].value == "UBND huyện Na Rì"
    )


def test_an_on_time_submission_is_not_late(client, acting):
    year = datetime.now(VN).year + 1
    # Bắc Kạn's departments ended with the province (30/06/2025 at the latest): they report no more
    acting.be(FOREST_OFFICER)
    gone = client.put(f"/api/reports/{year}/units/SNNPTNT", json={"difficulties": "Không", "version": 0})
    assert gone.status_code == 404 and "not in force" in gone.json()["description"]
    url = f"/api/reports/{year}/units/01906"
    acting.be(BA_BE_2025_OFFICER)
    saved = client.put(url, json={"difficulties": "Không", "version": 0})
    assert saved.status_code == 200
    body = client.post(url + "/submit", json={"version": saved.json()["version"]}).json()
    assert body["state"] == "submitted" and body["late"] is False and body["late_days"] == 0
    acting.be(PLANNER)
    board = client.get(f"/api/reports/{year}").json()
    assert board["days_to_deadline"] > 0 and board["counts"]["missing"] == 0
    # a district no longer reports after the 2025 reform, nor does a department of Bắc Kạn; the 2025 units do
    reporting = {b["unit_id"] for b in board["units"]}
    assert NA_RI not in reporting and "SNNPTNT" not in reporting and "01906" in reporting


def test_task_update_by_its_units_officer(client, acting):
    task_id = f"KH56-IV1-RASOAT-{NA_RI}"
    acting.be(NA_RI_OFFICER)
    current = client.get(f"/api/tasks/{task_id}")
    # quý I/2024 passed with nothing recorded, but Na Rì ended on 30/06/2025: nothing is due from it now
    assert current.json() | {"overdue": False, "ended": True, "last_due": "2024-03-31"} == current.json()
    etag = current.headers["ETag"]
    done = client.patch(
        f"/api/tasks/{task_id}", json={"status": "completed", "progress_pct": 100}, headers={"If-Match": etag}
    )
    assert (
        done.status_code == 200 and done.json()["status"] == "completed" and done.json()["overdue"] is False
    )
    assert done.json()["history"][0]["recorded_by"] == "nari.officer"
    assert (
        client.patch(
            f"/api/tasks/{task_id}", json={"progress_pct": 90}, headers={"If-Match": etag}
        ).status_code
        == 412
    )
    assert (
        client.patch(
            f"/api/tasks/KH56-IV1-RASOAT-{NGAN_SON}", json={"progress_pct": 5, "version": 1}
        ).status_code
        == 403
    )
    assert client.patch(f"/api/tasks/{task_id}", json={"status": "done", "version": 2}).status_code == 400


def test_targets_csv_is_formula_safe(client):
    response = client.get("/api/targets", params={"f": "csv"})
    assert response.status_code == 200 and response.text.startswith("\ufefftarget_id,")
    assert "T-40" in response.text
    assert "\n=" not in response.text and ",=" not in response.text


def test_a_2025_units_report_has_the_projects_placed_inside_it(client, acting):
    acting.be(PLANNER)
    report = client.get("/api/reports/2025/units/01906")  # Xã Ba Bể
    assert report.status_code == 200
    assert "PRJ-11" in {p["project_id"] for p in report.json()["projects"]}
    # a district does not report after the reform
    assert client.get(f"/api/reports/2025/units/{NA_RI}").status_code == 404


def test_the_cycles_vocabularies_are_served_once(client):
    body = client.get("/api/vocabularies").json()
    assert [s["value"] for s in body["target_statuses"]] == ["met", "on_track", "behind", "no_data"]
    assert [s["value"] for s in body["report_states"]] == ["draft", "submitted", "returned", "accepted"]
    assert body["plan_parts"][0] == {"value": "economy", "label_vi": "Về kinh tế", "label_en": "Economy"}
    assert {s["value"] for s in body["task_statuses"]} == {
        "not_started",
        "in_progress",
        "completed",
        "cancelled",
    }


def next_20_october(today: date) -> date:
    """The yearly report's next due day on or after ``today``."""
    this_year = date(today.year, 10, 20)
    return this_year if this_year >= today else date(today.year + 1, 10, 20)


def test_a_yearly_task_stops_with_its_lead_unit(client, acting):
    # Na Rì district and Bắc Kạn's departments ended on 30/06/2025: their yearly report fell due on
    # 20/10/2024 for the last time
    for lead in (NA_RI, "SKHDT"):
        task = client.get(f"/api/tasks/KH56-V1-BAOCAO-{lead}").json()
        assert task["recurrence"] == "yearly" and task["lead_unit_valid_to"] == "2025-06-30"
        assert task["next_due"] is None and task["days_to_due"] is None and task["overdue"] is False
        assert task["ended"] is True and task["last_due"] == "2024-10-20"
        assert task["ended_reason_vi"] == (
            "Đơn vị chủ trì đã kết thúc ngày 30/06/2025: không còn hạn sau 20/10/2024"
        )
        assert (
            task["ended_reason_en"] == "The lead unit ended on 30/06/2025: nothing falls due after 20/10/2024"
        )
    listed = client.get("/api/tasks", params={"unit": NA_RI}).json()
    assert listed["counts"]["ended"] == listed["counts"]["total"] and listed["counts"]["overdue"] == 0
    assert all(t["next_due"] is None and not t["overdue"] for t in listed["tasks"])
    # nothing of an ended unit is counted overdue
    overdue = client.get("/api/tasks", params={"overdue": "true"}).json()
    assert not any(t["ended"] for t in overdue["tasks"])
    assert overdue["counts"]["overdue"] == len(overdue["tasks"])
    # a 2025 unit's yearly report goes on
    today = datetime.now(VN).date()
    ba_be = client.get("/api/tasks/KH56-V1-BAOCAO-01906").json()
    assert (
        ba_be["lead_unit_valid_to"] is None and ba_be["ended"] is False and ba_be["ended_reason_vi"] is None
    )
    assert ba_be["next_due"] == next_20_october(today).isoformat()
    assert ba_be["days_to_due"] == (next_20_october(today) - today).days
    # as of the 2024 deadline Ngân Sơn was in force: its yearly report was due then, quý I/2024 overdue
    acting.be(PLANNER)
    report = client.get(f"/api/reports/2024/units/{NGAN_SON}").json()
    tasks = {t["task_id"]: t for t in report["tasks"]}
    yearly = tasks[f"KH56-V1-BAOCAO-{NGAN_SON}"]
    assert yearly["next_due"] == "2024-10-20" and yearly["ended"] is False and yearly["days_to_due"] == 0
    assert tasks[f"KH56-IV1-RASOAT-{NGAN_SON}"]["overdue"] is True


@pytest.fixture
def na_ri_report_shared_with_duc_xuan(engine):
    """Na Rì's yearly report task with Phường Đức Xuân (2025) as co-operating unit, as it was afterwards."""
    task_id = f"KH56-V1-BAOCAO-{NA_RI}"
    with engine.begin() as conn:
        conn.execute(text("UPDATE task SET co_units = ARRAY['01840'] WHERE task_id = :t"), {"t": task_id})
        bump(conn, (Area.monitoring,), "test: a co-operating 2025 unit")
    yield task_id
    with engine.begin() as conn:
        conn.execute(text("UPDATE task SET co_units = '{}' WHERE task_id = :t"), {"t": task_id})
        bump(conn, (Area.monitoring,), "test: co-operating unit removed")


def test_a_2025_units_report_shows_an_ended_leads_task_without_a_due_date(
    client, acting, na_ri_report_shared_with_duc_xuan
):
    task_id = na_ri_report_shared_with_duc_xuan
    acting.be(PLANNER)
    report = client.get("/api/reports/2025/units/01840").json()
    tasks = {t["task_id"]: t for t in report["tasks"]}
    # as of 20/10/2025 Na Rì had ended: no due date that day, and why
    shared = tasks[task_id]
    assert shared["next_due"] is None and shared["overdue"] is False and shared["ended"] is True
    assert (
        shared["ended_reason_vi"]
        == "Đơn vị chủ trì đã kết thúc ngày 30/06/2025: không còn hạn sau 20/10/2024"
    )
    assert tasks["KH56-V1-BAOCAO-01840"]["next_due"] == "2025-10-20"
    workbook = client.get("/api/reports/2025/units/01840.xlsx")
    assert workbook.status_code == 200
    rows = {
        r[1]: r for r in load_workbook(io.BytesIO(workbook.content))["Nhiệm vụ"].iter_rows(values_only=True)
    }
    # the due cell is the last due date, the wording says the lead unit ended
    assert rows[task_id][4] == datetime(2024, 10, 20)
    assert rows[task_id][5] == (
        "trước ngày 20 tháng 10 hằng năm "
        "(Đơn vị chủ trì đã kết thúc ngày 30/06/2025: không còn hạn sau 20/10/2024)"
    )
    assert rows["KH56-V1-BAOCAO-01840"][4] == datetime(2025, 10, 20)
