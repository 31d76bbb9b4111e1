"""Loads the implementation cycle's data: reporting units, tasks, target monitoring and actual values."""

import csv
import re
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy import Connection, Engine, text

from geo.errors import InvalidParameter
from geo.ingest.agencies import AGENCIES_CSV, agency_reporting_units
from geo.ingest.staging import Changes, LoadError, _stage, _sync
from geo.plan.deadlines import parse_deadline
from geo.plan.projects import LOADER_RECORDED_BY
from geo.plan.units import FIRST_REPORT_YEAR
from geo.plan.vocabulary import ActualKind, UnitKind
from geo.store.settings import DATA_DIR
from geo.store.versions import bump

PLAN_DIR = DATA_DIR / "plan"
UNITS_CSV = PLAN_DIR / "reporting_units.csv"
TASKS_CSV = PLAN_DIR / "tasks.csv"
TARGET_MONITORING_CSV = PLAN_DIR / "target_monitoring.csv"
TARGET_ACTUALS_CSV = PLAN_DIR / "target_actuals.csv"
UNIT_COLUMNS = ["unit_id", "kind", "name_vi", "name_en", "valid_from", "valid_to", "source", "notes"]
UNIT_REQUIRED = ["unit_id", "kind", "name_vi", "source"]
TASK_COLUMNS = [
    "task_id", "title_vi", "title_en", "plan_section", "lead_unit", "co_units", "deadline_text",
    "project_ids", "target_ids", "source", "notes",
]  # fmt: skip
TASK_REQUIRED = ["task_id", "title_vi", "plan_section", "lead_unit", "source"]
# A task whose lead is "*" is given to every unit in force at its (first) deadline: one task per unit.
EVERY_UNIT = "*"
CUSTOM_MARK = "planview: loaded from"
PLAN_ISSUED = date(2024, 1, 29)


def _nfc(value: str | None) -> str | None:
    value = unicodedata.normalize("NFC", value.strip()) if value is not None else None
    return value or None


def _read(path: Path, columns: list[str], required: list[str], what: str) -> list[dict]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            missing = [c for c in columns if c not in (reader.fieldnames or [])]
            if missing:
                raise LoadError(f"{path.name}: {what} CSV lacks the columns {', '.join(missing)}")
            rows = [{c: _nfc(r.get(c)) for c in columns} for r in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise LoadError(f"{path}: cannot read the {what} CSV ({exc})") from None
    seen: set[str] = set()
    for line, row in enumerate(rows, start=2):
        for c in required:
            if not row[c]:
                raise LoadError(f"{path.name} line {line}: {c} is empty")
        if row[columns[0]] in seen:
            raise LoadError(f"{path.name} line {line}: {columns[0]} {row[columns[0]]!r} appears twice")
        seen.add(row[columns[0]])
    if not rows:
        raise LoadError(f"{path.name}: no {what} rows")
    return rows


def _date(value: str | None, where: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise LoadError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from None


def read_units(path: Path) -> list[dict]:
    """The reporting units of a CSV (columns as data/plan/reporting_units.csv), checked."""
    rows = _read(path, UNIT_COLUMNS, UNIT_REQUIRED, "reporting-unit")
    kinds = [k.value for k in UnitKind]
    for line, row in enumerate(rows, start=2):
        where = f"{path.name} line {line}"
        if row["kind"] not in kinds:
            raise LoadError(f"{where}: kind {row['kind']!r} is not one of {', '.join(kinds)}")
        row["valid_from"] = _date(row["valid_from"], where)
        row["valid_to"] = _date(row["valid_to"], where)
        if row["valid_from"] and row["valid_to"] and row["valid_from"] > row["valid_to"]:
            raise LoadError(f"{where}: valid_from is after valid_to")
    return rows


def shipped_units() -> list[dict]:
    """The shipped reporting units: districts and 2025 units from reporting_units.csv, agencies from
    agencies.csv (the one list of agencies, also the ``agency`` table)."""
    units = read_units(UNITS_CSV)
    listed = [u["unit_id"] for u in units if u["kind"] == UnitKind.agency.value]
    if listed:
        raise LoadError(
            f"{UNITS_CSV.name} lists agencies ({', '.join(listed)}): agencies come from {AGENCIES_CSV.name}"
        )
    return units + agency_reporting_units()


def _in_force(unit: dict, day: date) -> bool:
    return (unit["valid_from"] is None or unit["valid_from"] <= day) and (
        unit["valid_to"] is None or unit["valid_to"] >= day
    )


def _list(value: str | None) -> list[str]:
    return [p.strip() for p in re.split(r"[;,]", value or "") if p.strip()]


def expand_tasks(path: Path, units: list[dict]) -> list[dict]:
    """Task rows of a CSV, checked against ``units``; a lead of "*" becomes one task per unit."""
    rows = _read(path, TASK_COLUMNS, TASK_REQUIRED, "task")
    by_id = {u["unit_id"]: u for u in units}
    tasks = []
    for line, row in enumerate(rows, start=2):
        where = f"{path.name} line {line}"
        try:
            deadline = parse_deadline(row["deadline_text"], FIRST_REPORT_YEAR)
        except InvalidParameter as exc:
            raise LoadError(f"{where}: {exc}") from None
        co_units = _list(row["co_units"])
        for unit in [row["lead_unit"], *co_units]:
            if unit != EVERY_UNIT and unit not in by_id:
                raise LoadError(f"{where}: unit {unit!r} is not a reporting unit")
        base = {
            "title_vi": row["title_vi"],
            "title_en": row["title_en"],
            "plan_section": row["plan_section"],
            "co_units": co_units,
            "deadline_text": deadline.text or None,
            "recurrence": deadline.recurrence,
            "project_ids": _list(row["project_ids"]),
            "target_ids": _list(row["target_ids"]),
            "source": row["source"],
            "notes": row["notes"],
        }
        if row["lead_unit"] != EVERY_UNIT:
            tasks.append(
                {**base, "task_id": row["task_id"], "lead_unit": row["lead_unit"], "deadline": deadline.due}
            )
            continue
        for unit in units:
            due = deadline.due
            if deadline.recurrence == "yearly":
                # a yearly task reaches every unit in force at one of its deadlines, from its first one on
                start = max(due, unit["valid_from"] or due)
                due = due.replace(year=start.year)
                if due < start:
                    due = due.replace(year=start.year + 1)
                if unit["valid_to"] is not None and unit["valid_to"] < due:
                    continue
            elif not _in_force(unit, due or PLAN_ISSUED):
                continue
            tasks.append(
                {
                    **base,
                    "task_id": f"{row['task_id']}-{unit['unit_id']}",
                    "lead_unit": unit["unit_id"],
                    "deadline": due,
                }
            )
    return tasks


def _custom_origin(conn: Connection, table: str) -> str | None:
    comment = conn.execute(text(f"SELECT obj_description('{table}'::regclass, 'pg_class')")).scalar()
    if comment and comment.startswith(CUSTOM_MARK):
        return comment[len(CUSTOM_MARK) :].strip()
    return None


def _mark(conn: Connection, table: str, path: Path | None) -> None:
    origin = f"{CUSTOM_MARK} {path.name}" if path else "shipped"
    conn.execute(text(f"COMMENT ON TABLE {table} IS '{origin.replace(chr(39), chr(39) * 2)}'"))


def _sync_units(conn: Connection, units: list[dict], changes: Changes) -> None:
    ids = {u["unit_id"] for u in units}
    kept = conn.execute(text("SELECT DISTINCT unit_id FROM unit_report")).scalars().all()
    dropped = sorted(u for u in kept if u not in ids)
    if dropped:
        raise LoadError(f"the unit list drops units that have reports: {', '.join(dropped)}")
    _stage(conn, "reporting_unit", UNIT_COLUMNS, units)
    # tasks of units that go away go with them (they are re-expanded from the task list below)
    conn.execute(text("DELETE FROM task WHERE lead_unit NOT IN (SELECT unit_id FROM _stage_reporting_unit)"))
    changes.add("reporting_unit", _sync(conn, "reporting_unit", ["unit_id"], UNIT_COLUMNS, delete=True))


TASK_DB_COLUMNS = [
    "task_id", "title_vi", "title_en", "plan_section", "lead_unit", "co_units", "deadline", "deadline_text",
    "recurrence", "project_ids", "target_ids", "source", "notes",
]  # fmt: skip


def _sync_tasks(conn: Connection, tasks: list[dict], changes: Changes) -> None:
    # the definition is replaced; status, progress and history of tasks that stay are kept
    _stage(conn, "task", TASK_DB_COLUMNS, tasks)
    changes.add("task", _sync(conn, "task", ["task_id"], TASK_DB_COLUMNS, delete=True))


def load_units_and_tasks(
    conn: Connection, changes: Changes, units_csv: Path | None = None, tasks_csv: Path | None = None
) -> None:
    """Load the units and tasks: a file given replaces the list; a plain reload keeps a province's list."""
    units_path = units_csv or (None if _custom_origin(conn, "reporting_unit") else UNITS_CSV)
    if units_path is not None:
        units = shipped_units() if units_path.resolve() == UNITS_CSV.resolve() else read_units(units_path)
        _sync_units(conn, units, changes)
        _mark(
            conn,
            "reporting_unit",
            units_csv if units_csv and units_csv.resolve() != UNITS_CSV.resolve() else None,
        )
    units = [
        dict(r._mapping)
        for r in conn.execute(
            text("SELECT unit_id, valid_from, valid_to FROM reporting_unit ORDER BY unit_id")
        )
    ]
    tasks_path = tasks_csv or (None if _custom_origin(conn, "task") else TASKS_CSV)
    if tasks_path is not None:
        _sync_tasks(conn, expand_tasks(tasks_path, units), changes)
        custom = tasks_csv is not None and tasks_csv.resolve() != TASKS_CSV.resolve()
        _mark(conn, "task", tasks_csv if custom else None)


def _number(value: str | None, where: str) -> Decimal:
    try:
        return Decimal((value or "").replace(",", "."))
    except InvalidOperation:
        raise LoadError(f"{where}: {value!r} is not a number") from None


def load_target_monitoring(conn: Connection, changes: Changes) -> None:
    """Each target's part of the plan, goal year, mode, responsible unit and published baseline."""
    rows = []
    with open(TARGET_MONITORING_CSV, encoding="utf-8") as f:
        for line, r in enumerate(csv.DictReader(f), start=2):
            where = f"{TARGET_MONITORING_CSV.name} line {line}"
            rows.append(
                {
                    "target_id": r["target_id"],
                    "part": r["part"] or None,
                    "goal_year": int(r["goal_year"]) if r["goal_year"] else None,
                    "mode": r["mode"] or None,
                    "responsible_unit": r["responsible_unit"] or None,
                    "responsible_basis": _nfc(r["responsible_basis"]),
                    "baseline_value": _number(r["baseline_value"], where) if r["baseline_value"] else None,
                    "baseline_year": int(r["baseline_year"]) if r["baseline_year"] else None,
                    "baseline_source": _nfc(r["baseline_source"]),
                }
            )
    columns = list(rows[0])
    _stage(conn, "plan_target", columns, rows)
    sets = ", ".join(f"{c} = s.{c}" for c in columns[1:])
    old = ", ".join("t." + c for c in columns[1:])
    new = ", ".join("s." + c for c in columns[1:])
    differs = f"({old}) IS DISTINCT FROM ({new})"
    changes.add(
        "plan_target",
        conn.execute(
            text(
                f"UPDATE plan_target t SET {sets} FROM _stage_plan_target s "
                f"WHERE t.target_id = s.target_id AND {differs}"
            )
        ).rowcount,
    )


def actual_kind(wording: str) -> str:
    """'official' when the source's wording says so, 'estimate' for ước/dự ước/estimate."""
    low = wording.lower()
    if low.startswith(ActualKind.official.value):
        return ActualKind.official.value
    if "estimate" in low or "ước" in low:
        return ActualKind.estimate.value
    raise LoadError(f"{TARGET_ACTUALS_CSV.name}: kind {wording!r} is neither official nor an estimate")


def read_actuals(path: Path = TARGET_ACTUALS_CSV) -> list[dict]:
    """The published actual values matched to a target and a whole year (others are left out)."""
    rows = []
    with open(path, encoding="utf-8") as f:
        for line, r in enumerate(csv.DictReader(f), start=2):
            if not r["target_id"] or not re.fullmatch(r"\d{4}", r["year"] or ""):
                continue  # no matching target, or a quarter: not a yearly value of a target
            rows.append(
                {
                    "target_id": r["target_id"],
                    "year": int(r["year"]),
                    "value": _number(r["value"], f"{path.name} line {line}"),
                    "kind": actual_kind(r["kind"]),
                    "kind_text": _nfc(r["kind"]),
                    "source": r["source_url"],
                    "confidence": r["confidence"] or None,
                    "notes": _nfc(r["notes"]),
                    "recorded_by": LOADER_RECORDED_BY,
                }
            )
    return rows


def load_actuals(conn: Connection, changes: Changes) -> None:
    """Make the loader's actuals equal to the file; values recorded by users are never touched."""
    columns = [
        "target_id",
        "year",
        "value",
        "kind",
        "kind_text",
        "source",
        "confidence",
        "notes",
        "recorded_by",
    ]
    _stage(conn, "target_actual", columns, read_actuals())
    key = " AND ".join(f"t.{c} IS NOT DISTINCT FROM s.{c}" for c in columns)
    removed = conn.execute(
        text(
            f"""DELETE FROM target_actual t WHERE t.recorded_by = :by
                AND NOT EXISTS (SELECT 1 FROM _stage_target_actual s WHERE {key})"""
        ),
        {"by": LOADER_RECORDED_BY},
    ).rowcount
    added = conn.execute(
        text(
            f"""INSERT INTO target_actual ({", ".join(columns)})
                SELECT {", ".join(columns)} FROM _stage_target_actual s
                WHERE NOT EXISTS (SELECT 1 FROM target_actual t WHERE {key})"""
        )
    ).rowcount
    changes.add("target_actual", removed + added)


def load_cycle(conn: Connection, changes: Changes) -> None:
    """The cycle's shipped data, inside the caller's load transaction."""
    load_units_and_tasks(conn, changes)
    load_target_monitoring(conn, changes)
    load_actuals(conn, changes)


def replace_units_or_tasks(engine: Engine, units_csv: Path | None, tasks_csv: Path | None) -> dict[str, int]:
    """``planview load --units/--tasks``: replace the lists in one transaction; return the counts."""
    changes = Changes()
    with engine.begin() as conn:
        load_units_and_tasks(conn, changes, units_csv, tasks_csv)
        if changes.total:
            detail = ", ".join(f"{t} {n}" for t, n in sorted(changes.by_table.items()))
            bump(conn, changes.areas(), f"planview load: {detail}")
        counts = conn.execute(
            text(
                "SELECT (SELECT count(*) FROM reporting_unit) AS reporting_units, "
                "(SELECT count(*) FROM task) AS tasks"
            )
        ).one()
    return {**dict(counts._mapping), "rows_changed": changes.total}
