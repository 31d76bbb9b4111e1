"""The 2020–2025 communes as NQ 855/NQ-UBTVQH14 made them, a full crosswalk, zone status news, schematic lines.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUALITY_TABLES = ("admin_unit", "zone", "project", "protected_area")
QUALITY_NEW = "geometry_quality IN ('exact', 'approximate', 'schematic', 'none')"
QUALITY_OLD = "geometry_quality IN ('exact', 'approximate', 'none')"


def upgrade() -> None:
    op.add_column("admin_unit", sa.Column("geometry_note_vi", sa.Text(), nullable=True))
    op.add_column("admin_unit", sa.Column("area_km2_published", sa.Double(), nullable=True))
    op.add_column("admin_unit", sa.Column("area_published_source", sa.Text(), nullable=True))
    op.add_column(
        "admin_crosswalk",
        sa.Column("old_period", sa.Text(), server_default="2020-2025", nullable=False),
    )
    op.add_column("admin_crosswalk", sa.Column("via_code", sa.Text(), nullable=True))
    op.add_column("admin_crosswalk", sa.Column("via_name", sa.Text(), nullable=True))
    op.drop_constraint("crosswalk_pair", "admin_crosswalk", type_="unique")
    op.create_unique_constraint("crosswalk_pair", "admin_crosswalk", ["old_code", "old_period", "new_code"])
    op.create_check_constraint("old_period_known", "admin_crosswalk", "old_period IN ('2009', '2020-2025')")
    op.add_column("zone", sa.Column("status_source", sa.Text(), nullable=True))
    op.add_column("sheet_layer", sa.Column("data_quality", postgresql.JSONB(), nullable=True))
    for table in QUALITY_TABLES:
        op.drop_constraint("geometry_quality_known", table, type_="check")
        op.create_check_constraint("geometry_quality_known", table, QUALITY_NEW)
    op.create_table(
        "zone_status_event",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("zone_id", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=True),
        sa.Column("status_vi", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("data_version", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["zone_id"], ["zone.zone_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_zone_status_event_zone_id"), "zone_status_event", ["zone_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_zone_status_event_zone_id"), table_name="zone_status_event")
    op.drop_table("zone_status_event")
    for table in QUALITY_TABLES:
        op.execute(
            f"UPDATE {table} SET geometry_quality = 'approximate' WHERE geometry_quality = 'schematic'"
        )
        op.drop_constraint("geometry_quality_known", table, type_="check")
        op.create_check_constraint("geometry_quality_known", table, QUALITY_OLD)
    op.drop_column("sheet_layer", "data_quality")
    op.drop_column("zone", "status_source")
    op.drop_constraint("old_period_known", "admin_crosswalk", type_="check")
    op.drop_constraint("crosswalk_pair", "admin_crosswalk", type_="unique")
    op.execute("DELETE FROM admin_crosswalk WHERE old_period <> '2020-2025'")
    op.create_unique_constraint("crosswalk_pair", "admin_crosswalk", ["old_code", "new_code"])
    op.drop_column("admin_crosswalk", "via_name")
    op.drop_column("admin_crosswalk", "via_code")
    op.drop_column("admin_crosswalk", "old_period")
    op.drop_column("admin_unit", "area_published_source")
    op.drop_column("admin_unit", "area_km2_published")
    op.drop_column("admin_unit", "geometry_note_vi")
