"""geometry_quality 'digitised': a place drawn or uploaded in planview by a planner.

Who and when live in the audit trail (``audit_event`` action ``project.geometry``, with the geometry
before and after), so the project table gains no columns.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A migration is a snapshot: the values are written out here, not imported from geo.store.vocabulary.
QUALITY_TABLES = ("admin_unit", "zone", "project", "protected_area")
QUALITY_NEW = "geometry_quality IN ('exact', 'approximate', 'schematic', 'digitised', 'none')"
QUALITY_OLD = "geometry_quality IN ('exact', 'approximate', 'schematic', 'none')"


def upgrade() -> None:
    for table in QUALITY_TABLES:
        op.drop_constraint("geometry_quality_known", table, type_="check")
        op.create_check_constraint("geometry_quality_known", table, QUALITY_NEW)


def downgrade() -> None:
    for table in QUALITY_TABLES:
        # a digitised place stays a place the planner vouched for: 'exact' is the nearest older value
        op.execute(f"UPDATE {table} SET geometry_quality = 'exact' WHERE geometry_quality = 'digitised'")
        op.drop_constraint("geometry_quality_known", table, type_="check")
        op.create_check_constraint("geometry_quality_known", table, QUALITY_OLD)
