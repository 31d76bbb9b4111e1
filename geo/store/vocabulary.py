"""Vocabularies the database checks: one Python enum each, and the CHECK built from it."""

from enum import StrEnum


class ProjectStatus(StrEnum):
    """A project's implementation status (CHECK on project.status and project_status_event.status)."""

    proposed = "proposed"
    planned = "planned"
    preparation = "preparation"
    site_clearance = "site_clearance"
    under_construction = "under_construction"
    completed = "completed"
    suspended = "suspended"
    unclear = "unclear"
    category = "category"


class GeometryQuality(StrEnum):
    """How a place's geometry was obtained (CHECK ``geometry_quality_known`` on admin_unit, zone, project,
    protected_area)."""

    exact = "exact"  # as the source published it
    approximate = "approximate"  # built by planview from what the source says (e.g. a commune), labelled
    schematic = "schematic"  # a line through only the points a source names; never screened
    digitised = "digitised"  # drawn or uploaded in planview by a planner (who and when: the audit trail)
    none = "none"  # no place published


def check_in(column: str, vocabulary: type[StrEnum]) -> str:
    """The SQL of a CHECK that ``column`` holds one of the vocabulary's values."""
    return f"{column} IN (" + ", ".join(f"'{v.value}'" for v in vocabulary) + ")"
