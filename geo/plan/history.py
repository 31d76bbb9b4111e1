"""Project statuses as of a chosen day, from the status history (the time slider of the monitoring page)."""

from datetime import date, timedelta

import asyncpg

from geo.errors import InvalidParameter
from geo.plan.units import deadline_end

_AS_OF = """
SELECT jsonb_build_object(
    'type', 'FeatureCollection',
    'features', coalesce(jsonb_agg(jsonb_build_object(
        'type', 'Feature', 'id', p.project_id,
        'geometry', ST_AsGeoJSON(ST_PointOnSurface(p.geom), 6)::jsonb,
        'properties', jsonb_build_object(
            'project_id', p.project_id, 'name_vi', p.name_vi, 'status', last.status,
            'progress_pct', last.progress_pct, 'recorded_at', last.recorded_at,
            'recorded_by', last.recorded_by,
            'geometry_quality', p.geometry_quality, 'district_codes', to_jsonb(p.district_codes)))
        ORDER BY p.project_id), '[]'::jsonb))
FROM project p
LEFT JOIN LATERAL (
    SELECT e.status, e.progress_pct, e.recorded_at, e.recorded_by FROM project_status_event e
    WHERE e.project_id = p.project_id AND e.recorded_at < $1 ORDER BY e.recorded_at DESC, e.id DESC LIMIT 1
) last ON true
WHERE NOT p.is_category AND p.geom IS NOT NULL
"""


async def history_span(conn: asyncpg.Connection) -> dict:
    """The first and last day of the recorded project history (the slider's range)."""
    row = await conn.fetchrow(
        "SELECT min(recorded_at) AS first, max(recorded_at) AS last FROM project_status_event"
    )
    return {"first": row["first"], "last": row["last"]}


async def projects_as_of(conn: asyncpg.Connection, day: str) -> dict:
    """Projects with a place, each with the newest status recorded by the end of ``day`` (or none yet)."""
    try:
        when = date.fromisoformat(day)
    except ValueError:
        raise InvalidParameter(f"date must be YYYY-MM-DD; got {day!r}") from None
    if not date(2000, 1, 1) <= when <= date.today() + timedelta(days=366):
        raise InvalidParameter(f"date must be between 2000-01-01 and next year; got {day}")
    collection = await conn.fetchval(_AS_OF, deadline_end(when))
    counts: dict[str, int] = {}
    for feature in collection["features"]:
        status = feature["properties"]["status"] or "none"
        counts[status] = counts.get(status, 0) + 1
    return {**collection, "as_of": when.isoformat(), "counts": counts, "span": await history_span(conn)}
