"""Vietnamese geometry notes: the viewer's default language says why a place is approximate.

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

TABLES = ("zone", "project", "protected_area")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("geometry_note_vi", sa.Text(), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        op.drop_column(table, "geometry_note_vi")
