"""Data versions per area, the append-only audit trail, and the project status vocabulary as a CHECK.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A migration is a snapshot: the values are written out here, not imported from geo.plan.vocabulary.
STATUSES = (
    "proposed",
    "planned",
    "preparation",
    "site_clearance",
    "under_construction",
    "completed",
    "suspended",
    "unclear",
    "category",
)
STATUS_CHECK = "status IN (" + ", ".join(f"'{s}'" for s in STATUSES) + ")"
AREAS = (
    "admin_units",
    "catalog",
    "plan_layers",
    "zones",
    "projects",
    "project_places",
    "rules",
    "plan_facts",
)


def upgrade() -> None:
    op.create_table(
        "data_area_version",
        sa.Column("area", sa.Text(), primary_key=True),
        sa.Column("version", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
        sa.Column("changed_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
        sa.Column("note", sa.Text()),
    )
    values = ", ".join(f"('{a}')" for a in AREAS)
    op.execute(
        "INSERT INTO data_area_version (area, version, changed_at, note) "
        f"SELECT a.area, d.version, d.changed_at, 'as of migration 0007' FROM (VALUES {values}) a(area), "
        "data_version d WHERE d.id = 1"
    )
    op.create_table(
        "audit_event",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("user_id", sa.BigInteger()),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("object_type", sa.Text(), nullable=False),
        sa.Column("object_id", sa.Text()),
        sa.Column("before", JSONB()),
        sa.Column("after", JSONB()),
        sa.Column("request_id", sa.Text()),
        sa.Column("client_address", sa.Text()),
    )
    op.create_index("audit_event_object_idx", "audit_event", ["object_type", "object_id"])
    op.create_index("audit_event_at_idx", "audit_event", ["at"])
    # append-only: whatever role the application connects as, a row once written stays as written
    op.execute(
        """
        CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END $$;
        CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event
            FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
        CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
            FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only();
        """
    )
    op.create_check_constraint("project_status_known", "project", STATUS_CHECK)
    op.create_check_constraint("project_status_event_status_known", "project_status_event", STATUS_CHECK)


def downgrade() -> None:
    op.drop_constraint("project_status_event_status_known", "project_status_event", type_="check")
    op.drop_constraint("project_status_known", "project", type_="check")
    op.execute("DROP TABLE audit_event")
    op.execute("DROP FUNCTION audit_event_append_only()")
    op.drop_table("data_area_version")
