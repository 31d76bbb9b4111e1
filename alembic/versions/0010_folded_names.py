"""Folded names stored beside the names the search reads (generated columns of fold_vi).

The search compared fold_vi(name) of every candidate with the folded query on each request: ~10 µs a
call (normalize + a 67-letter translate), 12 ms of a 15 ms search. Generated columns are folded once,
on every write that changes a name, whoever writes it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, folded column, name column)
FOLDED = (
    ("admin_unit", "name_fold", "name"),
    ("admin_unit", "full_name_fold", "full_name"),
    ("admin_crosswalk", "new_name_fold", "new_name"),
    ("zone", "name_fold", "name_vi"),
    ("project", "name_fold", "name_vi"),
)


def upgrade() -> None:
    for table, column, source in FOLDED:
        op.add_column(table, sa.Column(column, sa.Text(), sa.Computed(f"fold_vi({source})", persisted=True)))


def downgrade() -> None:
    for table, column, _ in FOLDED:
        op.drop_column(table, column)
