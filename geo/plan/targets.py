"""The plan's targets with their actual values by year and an honest status per year."""

import math
from decimal import Decimal

import asyncpg

from geo.errors import InvalidParameter, NotFound
from geo.plan.actor import Actor
from geo.plan.audit import record_audit
from geo.plan.scope import require_login, unit_scope_check
from geo.plan.vocabulary import PART_TITLES_VI, STATUS_TITLES_VI, ActualKind, PlanPart, TargetStatus
from geo.store.versions import Area, bump_async

MAX_SOURCE_CHARS = 500
MAX_NOTES_CHARS = 2000
# "khoảng" (~) targets are met within 5 % of the goal, "=" within 1 % (the sources round to that)
TOLERANCE = {"~": 0.05, "=": 0.01}

_TARGET = """
SELECT jsonb_build_object(
    'target_id', t.target_id, 'indicator_vi', t.indicator_vi, 'indicator_en', t.indicator_en,
    'comparator', t.comparator, 'goal', t.value, 'goal_text', t.value_text, 'unit', t.unit,
    'period', t.period, 'goal_year', t.goal_year, 'kind', t.kind, 'part', t.part, 'mode', t.mode,
    'responsible_unit', t.responsible_unit, 'responsible_unit_name', u.name_vi,
    'responsible_basis', t.responsible_basis,
    'baseline', CASE WHEN t.baseline_value IS NULL THEN NULL ELSE jsonb_build_object(
        'value', t.baseline_value, 'year', t.baseline_year, 'source', t.baseline_source) END,
    'source_url', t.source_url, 'source_url_2', t.source_url_2, 'confidence', t.confidence, 'notes', t.notes,
    'actuals', (SELECT coalesce(jsonb_agg(jsonb_build_object(
            'id', a.id, 'year', a.year, 'value', a.value, 'kind', a.kind, 'kind_text', a.kind_text,
            'source', a.source, 'confidence', a.confidence, 'notes', a.notes,
            'recorded_by', a.recorded_by, 'recorded_at', a.recorded_at) ORDER BY a.year, a.recorded_at), '[]')
        FROM target_actual a WHERE a.target_id = t.target_id))
FROM plan_target t LEFT JOIN reporting_unit u ON u.unit_id = t.responsible_unit
"""


def _num(value) -> float | None:
    return float(value) if isinstance(value, int | float | Decimal) else None


def _satisfies(value: float, comparator: str | None, goal: float) -> bool:
    if comparator == ">":
        return value > goal
    if comparator == ">=":
        return value >= goal
    if comparator == "<":
        return value < goal
    if comparator == "<=":
        return value <= goal
    tolerance = TOLERANCE.get(comparator or "=", 0.01)
    return abs(value - goal) <= tolerance * abs(goal)


def is_assessed(target: dict) -> bool:
    """Only the plan's targets with a numeric goal get a status (baselines and counts do not)."""
    return (target.get("kind") or "").startswith("target") and _num(target.get("goal")) is not None


def is_yearly_rate(target: dict) -> bool:
    """A growth rate the plan sets for every year of a period (its unit is "per year")."""
    return "/năm" in (target.get("unit") or "")


def _direction(target: dict) -> int:
    comparator = target.get("comparator")
    if comparator in (">", ">="):
        return 1
    if comparator in ("<", "<="):
        return -1
    baseline = target.get("baseline")
    goal = _num(target.get("goal"))
    if baseline and goal is not None and _num(baseline.get("value")) is not None:
        return 1 if goal >= _num(baseline["value"]) else -1
    return 0


def year_status(target: dict, year: int, value: float | None, earlier: list[float]) -> dict:
    """The status of ``target`` in ``year`` given that year's value and the values of earlier years."""
    goal = _num(target.get("goal"))
    comparator = target.get("comparator")
    if value is None:
        return {"status": TargetStatus.no_data.value, "expected": None, "reason": "no value for the year"}
    if _satisfies(value, comparator, goal):
        return {"status": TargetStatus.met.value, "expected": goal, "reason": "the goal is reached"}
    if target.get("mode") == "maintain":
        return {
            "status": TargetStatus.behind.value,
            "expected": goal,
            "reason": "a level to maintain is not held",
        }
    if is_yearly_rate(target):
        mean = sum([*earlier, value]) / (len(earlier) + 1)
        if _satisfies(mean, comparator, goal):
            return {
                "status": TargetStatus.on_track.value,
                "expected": goal,
                "reason": f"below the yearly goal, but the mean of the published years ({mean:.2f}) meets it",
            }
        return {
            "status": TargetStatus.behind.value,
            "expected": goal,
            "reason": f"below the yearly goal and the mean of the published years ({mean:.2f}) too",
        }
    baseline = target.get("baseline") or {}
    base_value, base_year = _num(baseline.get("value")), baseline.get("year")
    goal_year = target.get("goal_year")
    direction = _direction(target)
    if base_value is None or not base_year or not goal_year or goal_year <= base_year or direction == 0:
        return {
            "status": TargetStatus.no_data.value,
            "expected": None,
            "reason": "no published baseline to draw the path from, and the goal is not reached",
        }
    share = min(max((year - base_year) / (goal_year - base_year), 0.0), 1.0)
    expected = base_value + (goal - base_value) * share
    ahead = (value - expected) * direction >= 0
    return {
        "status": (TargetStatus.on_track if ahead else TargetStatus.behind).value,
        "expected": round(expected, 4),
        "reason": f"the straight path from {base_value:g} ({base_year}) to {goal:g} ({goal_year}) "
        f"asks for {expected:.2f} in {year}",
    }


def _chosen_by_year(actuals: list[dict]) -> dict[int, dict]:
    # an official figure wins over an estimate; within a kind the newest recorded one
    chosen: dict[int, dict] = {}
    for a in sorted(actuals, key=lambda a: (a["kind"] == ActualKind.official.value, a["recorded_at"])):
        chosen[a["year"]] = a
    return chosen


def assess(target: dict) -> dict:
    """Add ``by_year`` (value, kind, source, status) and the latest ``status`` to a target record."""
    chosen = _chosen_by_year(target["actuals"])
    by_year, earlier = [], []
    for year in sorted(chosen):
        a = chosen[year]
        value = _num(a["value"])
        row = {"year": year, "value": value, "kind": a["kind"], "source": a["source"], "notes": a["notes"]}
        if is_assessed(target):
            row.update(year_status(target, year, value, earlier))
        by_year.append(row)
        earlier.append(value)
    target["by_year"] = by_year
    target["assessed"] = is_assessed(target)
    latest = by_year[-1] if by_year and target["assessed"] else None
    target["status"] = (
        latest["status"] if latest else (TargetStatus.no_data.value if target["assessed"] else None)
    )
    target["status_year"] = latest["year"] if latest else None
    return target


async def list_targets(conn: asyncpg.Connection, part: str | None = None) -> dict:
    """Every target with actuals by year and status, grouped by the plan's parts, and the vocabularies."""
    if part is not None and part not in PlanPart.__members__:
        raise InvalidParameter(f"part must be one of {', '.join(PlanPart)}; got {part!r}")
    rows = await conn.fetch(_TARGET + " WHERE ($1::text IS NULL OR t.part = $1) ORDER BY t.target_id", part)
    targets = [assess(r[0]) for r in rows]
    return {"targets": targets, **vocabularies()}


def vocabularies() -> dict:
    """The status, part and actual-kind vocabularies with their Vietnamese titles, for pages."""
    return {
        "statuses": [{"id": s.value, "title_vi": STATUS_TITLES_VI[s]} for s in TargetStatus],
        "parts": [{"id": p.value, "title_vi": PART_TITLES_VI[p]} for p in PlanPart],
        "actual_kinds": [k.value for k in ActualKind],
    }


async def get_target(conn: asyncpg.Connection, target_id: str) -> dict:
    """One target with its actuals and status by year; 404 when unknown."""
    record = await conn.fetchval(_TARGET + " WHERE t.target_id = $1", target_id)
    if record is None:
        raise NotFound(f"target {target_id!r} does not exist")
    return assess(record)


def check_actual(year: int, value: float, kind: str, source: str, notes: str | None) -> tuple:
    """Validate an actual value; 400 naming the field."""
    if not 2000 <= year <= 2100:
        raise InvalidParameter(f"year must be between 2000 and 2100; got {year}")
    if not math.isfinite(value):
        raise InvalidParameter("value must be a finite number")
    if kind not in ActualKind.__members__:
        raise InvalidParameter(f"kind must be one of {', '.join(ActualKind)}; got {kind!r}")
    source = (source or "").strip()
    if not source:
        raise InvalidParameter("source is required: the document or URL the value comes from")
    if len(source) > MAX_SOURCE_CHARS:
        raise InvalidParameter(f"source: at most {MAX_SOURCE_CHARS} characters")
    if notes is not None and len(notes) > MAX_NOTES_CHARS:
        raise InvalidParameter(f"notes: at most {MAX_NOTES_CHARS} characters")
    return year, value, kind, source, (notes or "").strip() or None


async def add_actual(
    conn: asyncpg.Connection,
    actor: Actor,
    target_id: str,
    year: int,
    value: float,
    kind: str,
    source: str,
    notes: str | None = None,
) -> dict:
    """Record an actual value (the responsible unit's officer or a planner); rows are only ever added."""
    require_login(actor)
    year, value, kind, source, notes = check_actual(year, value, kind, source, notes)
    async with conn.transaction():
        unit = await conn.fetchrow(
            "SELECT target_id, responsible_unit FROM plan_target WHERE target_id = $1 FOR UPDATE", target_id
        )
        if unit is None:
            raise NotFound(f"target {target_id!r} does not exist")
        unit_scope_check(actor, unit["responsible_unit"] or "(none)", f"an actual value of {target_id}")
        await conn.execute(
            """INSERT INTO target_actual (target_id, year, value, kind, kind_text, source, notes, recorded_by,
                                          recorded_at)
               VALUES ($1, $2, $3, $4, $4, $5, $6, $7, clock_timestamp())""",
            target_id, year, value, kind, source, notes, actor.username,
        )  # fmt: skip
        after = {"year": year, "value": value, "kind": kind, "source": source, "notes": notes}
        await record_audit(conn, actor, "target.actual", "target", target_id, None, after)
        await bump(conn, f"actual {year} of {target_id} recorded by {actor.username}")
    return await get_target(conn, target_id)


async def bump(conn: asyncpg.Connection, note: str) -> int:
    """Bump the monitoring cycle's data area (and the overall version) in the caller's transaction."""
    return await bump_async(conn, Area.monitoring, note)
