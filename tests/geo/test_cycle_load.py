"""Deadlines in Vietnamese wording; the units and tasks loaders, replaced by a province's own lists."""

import csv
from datetime import date

import pytest
from sqlalchemy import text

from geo.errors import InvalidParameter
from geo.ingest.cycle import TASKS_CSV, UNITS_CSV, replace_units_or_tasks
from geo.ingest.load import LoadError, load_all
from geo.plan.deadlines import last_occurrence, next_occurrence, parse_deadline
from geo.plan.tasks import with_due


@pytest.mark.parametrize(
    ("wording", "due", "recurrence"),
    [
        ("quý I/2024", date(2024, 3, 31), None),
        ("trong quý I năm 2024", date(2024, 3, 31), None),
        ("Quý IV/2025", date(2025, 12, 31), None),
        ("tháng 6/2025", date(2025, 6, 30), None),
        ("tháng 2 năm 2024", date(2024, 2, 29), None),
        ("ngày 15/8/2024", date(2024, 8, 15), None),
        ("trước ngày 31 tháng 12 năm 2025", date(2025, 12, 31), None),
        ("năm 2026", date(2026, 12, 31), None),
        ("trước ngày 20 tháng 10 hằng năm", date(2024, 10, 20), "yearly"),
        ("ngày 20/10 hàng năm", date(2024, 10, 20), "yearly"),
        ("thường xuyên", None, None),
        ("", None, None),
    ],
)
def test_deadline_wordings(wording, due, recurrence):
    parsed = parse_deadline(wording, 2024)
    assert (parsed.due, parsed.recurrence, parsed.text) == (due, recurrence, wording.strip())


@pytest.mark.parametrize("wording", ["sớm nhất có thể", "quý V/2024", "ngày 31/2/2024", "hằng năm"])
def test_unreadable_deadlines_are_refused_by_name(wording):
    with pytest.raises(InvalidParameter, match="deadline"):
        parse_deadline(wording, 2024)


def test_a_yearly_deadline_comes_round():
    first = date(2024, 10, 20)
    assert next_occurrence(first, "yearly", date(2026, 12, 1)) == date(2027, 10, 20)
    assert next_occurrence(first, "yearly", date(2026, 10, 20)) == date(2026, 10, 20)
    assert next_occurrence(first, None, date(2026, 12, 1)) == first
    assert last_occurrence(first, "yearly", date(2025, 6, 30)) == first
    assert last_occurrence(first, "yearly", date(2026, 10, 20)) == date(2026, 10, 20)
    assert last_occurrence(first, None, date(2024, 10, 19)) is None


def test_a_task_falls_due_only_while_its_lead_unit_exists():
    yearly = {"deadline": "2024-10-20", "recurrence": "yearly", "status": "not_started"}
    ends = {**yearly, "lead_unit_valid_to": "2025-06-30"}
    # before the unit's end: the next report, then nothing after the last one it lives to see
    assert with_due(dict(ends), date(2024, 9, 1))["next_due"] == "2024-10-20"
    ending = with_due(dict(ends), date(2025, 1, 1))
    assert ending["next_due"] is None and ending["ended"] and ending["last_due"] == "2024-10-20"
    assert ending["ended_reason_en"] == "The lead unit ends on 30/06/2025: nothing falls due after 20/10/2024"
    assert with_due(dict(yearly), date(2026, 12, 1))["next_due"] == "2027-10-20"
    # a one-off task due after its unit's end never falls due; one missed before it stops being overdue
    late = with_due({**ends, "deadline": "2025-12-31", "recurrence": None}, date(2025, 1, 1))
    assert late["next_due"] is None and late["last_due"] is None and late["overdue"] is False
    assert late["ended_reason_vi"] == "Đơn vị chủ trì kết thúc ngày 30/06/2025: không còn hạn"
    missed = {**ends, "deadline": "2024-03-31", "recurrence": None}
    assert with_due(dict(missed), date(2025, 6, 30))["overdue"] is True
    after = with_due(dict(missed), date(2025, 7, 1))
    assert after["overdue"] is False and after["ended"] and after["last_due"] == "2024-03-31"


def _counts(engine):
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT (SELECT count(*) FROM reporting_unit), (SELECT count(*) FROM task), "
                "(SELECT count(*) FROM target_actual), "
                "(SELECT count(DISTINCT target_id) FROM target_actual)"
            )
        ).one()


def test_agencies_are_one_list_with_one_validity(engine):
    """agencies.csv feeds both the agency table and the agency reporting units: they cannot disagree."""
    with engine.connect() as conn:
        units = conn.execute(
            text(
                "SELECT unit_id, name_vi, name_en, valid_from, valid_to FROM reporting_unit "
                "WHERE kind = 'agency' ORDER BY unit_id"
            )
        ).all()
        agencies = conn.execute(
            text("SELECT agency_id, name_vi, name_en, valid_from, valid_to FROM agency ORDER BY agency_id")
        ).all()
    assert units == agencies and len(units) == 18
    # the end of Bắc Kạn province is the latest they can have ended; the notes say the real end is unknown
    assert {u.valid_to for u in units} == {date(2025, 6, 30)}
    assert not [r for r in csv.DictReader(open(UNITS_CSV, encoding="utf-8")) if r["kind"] == "agency"]


def test_shipped_counts_and_a_province_list_replaces_them(engine, tmp_path):
    units, tasks, actuals, with_actuals = _counts(engine)
    assert (units, actuals, with_actuals) == (63, 17, 8)
    assert tasks == 26 + 26 + 26 + (26 + 37) + 1
    # the province's own lists, same columns: two units and one task
    rows = list(csv.DictReader(open(UNITS_CSV, encoding="utf-8")))
    mine = tmp_path / "units.csv"
    with open(mine, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows([r for r in rows if r["unit_id"] == "066"])
        # a province's list names its departments itself
        writer.writerow(
            {"unit_id": "SKHDT", "kind": "agency", "name_vi": "Sở Kế hoạch và Đầu tư", "source": "x"}
        )
    annex = tmp_path / "tasks.csv"
    with open(annex, "w", newline="", encoding="utf-8") as f:
        header = next(csv.reader(open(TASKS_CSV, encoding="utf-8")))
        writer = csv.DictWriter(f, fieldnames=header)
        writer.writeheader()
        writer.writerow(
            {
                "task_id": "PL-01",
                "title_vi": "Lập quy hoạch chung đô thị Nà Phặc",
                "plan_section": "Biểu",
                "lead_unit": "066",
                "co_units": "SKHDT",
                "deadline_text": "quý II/2025",
                "source": "Biểu kèm theo KH 56 (bản của tỉnh)",
            }
        )
    summary = replace_units_or_tasks(engine, mine, annex)
    assert (summary["reporting_units"], summary["tasks"]) == (2, 1)
    with engine.connect() as conn:
        task = conn.execute(text("SELECT deadline, co_units FROM task WHERE task_id = 'PL-01'")).one()
    assert task == (date(2025, 6, 30), ["SKHDT"])
    # a plain reload (make run) keeps the province's lists
    load_all(engine)
    assert _counts(engine)[:2] == (2, 1)
    bad = tmp_path / "bad.csv"
    bad.write_text(open(annex, encoding="utf-8").read().replace("quý II/2025", "sớm"), encoding="utf-8")
    with pytest.raises(LoadError, match="line 2.*deadline"):
        replace_units_or_tasks(engine, None, bad)
    # the shipped lists come back when named
    replace_units_or_tasks(engine, UNITS_CSV, TASKS_CSV)
    assert _counts(engine)[:2] == (units, tasks)
