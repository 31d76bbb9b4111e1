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


def check_in(column: str, vocabulary: type[StrEnum]) -> str:
    """The SQL of a CHECK that ``column`` holds one of the vocabulary's values."""
    return f"{column} IN (" + ", ".join(f"'{v.value}'" for v in vocabulary) + ")"
