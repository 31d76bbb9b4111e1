"""The yearly implementation cycle: reporting units, tasks, target actuals, unit reports.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TARGET_COLUMNS = (
    ("part", sa.Text()),
    ("goal_year", sa.Integer()),
    ("mode", sa.Text()),
    ("responsible_unit", sa.Text()),
    ("responsible_basis", sa.Text()),
    ("baseline_value", sa.Numeric()),
    ("baseline_year", sa.Integer()),
    ("baseline_source", sa.Text()),
)


def upgrade() -> None:
    op.create_table(
        "reporting_unit",
        sa.Column("unit_id", sa.Text(), primary_key=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("name_vi", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text()),
        sa.Column("valid_from", sa.Date()),
        sa.Column("valid_to", sa.Date()),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text()),
        sa.CheckConstraint("kind IN ('district', 'commune_2025', 'agency')", name="reporting_unit_kind"),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_from IS NULL OR valid_from <= valid_to", name="reporting_unit_validity"
        ),
    )
    for name, type_ in TARGET_COLUMNS:
        op.add_column("plan_target", sa.Column(name, type_, nullable=True))
    op.create_check_constraint(
        "plan_target_part",
        "plan_target",
        "part IS NULL OR part IN ('economy', 'society', 'environment', 'infrastructure', 'defence')",
    )
    op.create_check_constraint("plan_target_mode", "plan_target", "mode IS NULL OR mode IN ('maintain')")
    op.create_table(
        "task",
        sa.Column("task_id", sa.Text(), primary_key=True),
        sa.Column("title_vi", sa.Text(), nullable=False),
        sa.Column("title_en", sa.Text()),
        sa.Column("plan_section", sa.Text(), nullable=False),
        sa.Column("lead_unit", sa.Text(), sa.ForeignKey("reporting_unit.unit_id"), nullable=False),
        sa.Column("co_units", ARRAY(sa.Text()), nullable=False, server_default="{}"),
        sa.Column("deadline", sa.Date()),
        sa.Column("deadline_text", sa.Text()),
        sa.Column("recurrence", sa.Text()),
        sa.Column("project_ids", ARRAY(sa.Text()), nullable=False, server_default="{}"),
        sa.Column("target_ids", ARRAY(sa.Text()), nullable=False, server_default="{}"),
        sa.Column("status", sa.Text(), nullable=False, server_default="not_started"),
        sa.Column("progress_pct", sa.Numeric()),
        sa.Column("progress_note", sa.Text()),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text()),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("updated_by", sa.Text()),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
        sa.CheckConstraint(
            "status IN ('not_started', 'in_progress', 'completed', 'cancelled')", name="task_status"
        ),
        sa.CheckConstraint("recurrence IS NULL OR recurrence IN ('yearly')", name="task_recurrence"),
        sa.CheckConstraint("progress_pct IS NULL OR progress_pct BETWEEN 0 AND 100", name="task_progress"),
    )
    op.create_index("task_lead_unit", "task", ["lead_unit"])
    op.create_table(
        "task_status_event",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("task_id", sa.Text(), sa.ForeignKey("task.task_id", ondelete="CASCADE"), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("progress_pct", sa.Numeric()),
        sa.Column("note", sa.Text()),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("task_status_event_task", "task_status_event", ["task_id"])
    op.create_table(
        "target_actual",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column(
            "target_id", sa.Text(), sa.ForeignKey("plan_target.target_id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("value", sa.Numeric(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("kind_text", sa.Text()),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("confidence", sa.Text()),
        sa.Column("notes", sa.Text()),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("kind IN ('official', 'estimate')", name="target_actual_kind"),
        sa.CheckConstraint("year BETWEEN 2000 AND 2100", name="target_actual_year"),
    )
    op.create_index("target_actual_target_year", "target_actual", ["target_id", "year"])
    op.create_table(
        "unit_report",
        sa.Column("year", sa.Integer(), primary_key=True),
        sa.Column("unit_id", sa.Text(), sa.ForeignKey("reporting_unit.unit_id"), primary_key=True),
        sa.Column("state", sa.Text(), nullable=False, server_default="draft"),
        sa.Column("difficulties", sa.Text()),
        sa.Column("proposals", sa.Text()),
        sa.Column("content", JSONB()),
        sa.Column("submitted_at", sa.DateTime(timezone=True)),
        sa.Column("submitted_by", sa.Text()),
        sa.Column("late_days", sa.Integer()),
        sa.Column("return_reason", sa.Text()),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("decided_by", sa.Text()),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("updated_by", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint(
            "state IN ('draft', 'submitted', 'returned', 'accepted')", name="unit_report_state"
        ),
        sa.CheckConstraint("late_days IS NULL OR late_days >= 0", name="unit_report_late_days"),
    )
    op.create_table(
        "unit_report_event",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("actor_role", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["year", "unit_id"], ["unit_report.year", "unit_report.unit_id"], ondelete="CASCADE"
        ),
        sa.CheckConstraint(
            "action IN ('save', 'submit', 'return', 'accept')", name="unit_report_event_action"
        ),
    )
    op.create_index("unit_report_event_report", "unit_report_event", ["year", "unit_id"])


def downgrade() -> None:
    op.drop_table("unit_report_event")
    op.drop_table("unit_report")
    op.drop_table("target_actual")
    op.drop_table("task_status_event")
    op.drop_table("task")
    op.drop_constraint("plan_target_mode", "plan_target")
    op.drop_constraint("plan_target_part", "plan_target")
    for name, _ in reversed(TARGET_COLUMNS):
        op.drop_column("plan_target", name)
    op.drop_table("reporting_unit")
