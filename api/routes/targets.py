"""The plan's targets with actual values by year and status; actual values recorded by their units."""

import asyncpg
from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from api.deps import CONNECTION, current_actor, json_or_csv
from api.responses import OrjsonResponse, csv_download
from geo.plan.actor import Actor
from geo.plan.targets import MAX_NOTES_CHARS, MAX_SOURCE_CHARS, add_actual, get_target, list_targets

router = APIRouter(prefix="/api", tags=["monitoring"])

CSV_COLUMNS = [
    "target_id", "part", "indicator_vi", "indicator_en", "comparator", "goal", "goal_text", "unit",
    "goal_year",
    "kind", "responsible_unit", "baseline_value", "baseline_year", "status", "status_year", "latest_value",
    "latest_kind", "latest_source", "source_url",
]  # fmt: skip


class ActualIn(BaseModel):
    """An actual value of a target for one year, with where it comes from."""

    model_config = ConfigDict(extra="forbid")

    year: int = Field(ge=2000, le=2100)
    value: float
    kind: str = Field(description="official or estimate")
    source: str = Field(min_length=1, max_length=MAX_SOURCE_CHARS, description="document number or URL")
    notes: str | None = Field(None, max_length=MAX_NOTES_CHARS)


def _csv_row(t: dict) -> dict:
    latest = t["by_year"][-1] if t["by_year"] else {}
    return {
        **{c: t.get(c) for c in CSV_COLUMNS},
        "baseline_value": (t["baseline"] or {}).get("value"),
        "baseline_year": (t["baseline"] or {}).get("year"),
        "latest_value": latest.get("value"),
        "latest_kind": latest.get("kind"),
        "latest_source": latest.get("source"),
    }


@router.get("/targets", summary="The plan's targets with actual values by year and a status per year")
async def targets(
    part: str | None = Query(None, description="economy, society, environment, infrastructure or defence"),
    f: str = Depends(json_or_csv),
    conn: asyncpg.Connection = CONNECTION,
) -> Response:
    """Targets grouped by the plan's parts; the vocabularies of statuses and parts come with them."""
    body = await list_targets(conn, part)
    if f == "csv":
        return csv_download([_csv_row(t) for t in body["targets"]], CSV_COLUMNS, "targets.csv")
    return OrjsonResponse(body)


@router.get("/targets/{target_id}", summary="One target: goal, baseline, actuals by year with status")
async def target(target_id: str, conn: asyncpg.Connection = CONNECTION) -> OrjsonResponse:
    """The target record, every recorded actual (who, when, source) and the status of each year."""
    return OrjsonResponse(await get_target(conn, target_id))


@router.post("/targets/{target_id}/actuals", summary="Record an actual value (responsible unit or planner)")
async def post_actual(
    target_id: str,
    actual: ActualIn,
    conn: asyncpg.Connection = CONNECTION,
    actor: Actor = Depends(current_actor),
) -> OrjsonResponse:
    """Adds a value; earlier values stay in the record (an official figure outranks an estimate)."""
    body = await add_actual(
        conn, actor, target_id, actual.year, actual.value, actual.kind, actual.source, actual.notes
    )
    return OrjsonResponse(body, status_code=201)
