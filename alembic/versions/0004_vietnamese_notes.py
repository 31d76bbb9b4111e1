"""Vietnamese notes: why a place is approximate, and the sources' status texts, in the viewer's language.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("zone", "geometry_note_vi"),
    ("zone", "status_vi"),
    ("zone", "occupancy_note_vi"),
    ("project", "geometry_note_vi"),
    ("project", "status_note_vi"),
    ("protected_area", "geometry_note_vi"),
)


def upgrade() -> None:
    for table, column in COLUMNS:
        op.add_column(table, sa.Column(column, sa.Text(), nullable=True))


def downgrade() -> None:
    for table, column in reversed(COLUMNS):
        op.drop_column(table, column)
