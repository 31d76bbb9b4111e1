"""Accounts: users, sessions, API tokens, login failures, provincial agencies, per-project versions.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "agency",
        sa.Column("agency_id", sa.Text(), primary_key=True),
        sa.Column("name_vi", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("valid_from", sa.Date()),
        sa.Column("valid_to", sa.Date()),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_url", sa.Text()),
        sa.CheckConstraint("agency_id ~ '^[A-Z][A-Z0-9]{1,15}$'", name="agency_id_ascii_upper"),
    )
    op.add_column("project", sa.Column("agency_id", sa.Text(), sa.ForeignKey("agency.agency_id")))
    op.add_column("project", sa.Column("agency_source", sa.Text()))
    op.add_column("project", sa.Column("version", sa.Integer(), nullable=False, server_default=sa.text("1")))
    op.create_table(
        "app_user",
        sa.Column("user_id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.Text(), nullable=False, unique=True),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column("email", sa.Text()),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("units", postgresql.ARRAY(sa.Text()), nullable=False, server_default=sa.text("'{}'")),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.text("true")),
        sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
        sa.Column("last_login_at", TZ),
        sa.Column("password_changed_at", TZ, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("role IN ('officer', 'planner', 'admin')", name="role_known"),
        sa.CheckConstraint("username ~ '^[a-z0-9][a-z0-9._-]{1,63}$'", name="username_simple"),
        sa.CheckConstraint("role <> 'officer' OR cardinality(units) > 0", name="officer_has_units"),
    )
    op.create_table(
        "user_session",
        sa.Column("session_hash", sa.Text(), primary_key=True),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("app_user.user_id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
        sa.Column("last_seen_at", TZ, nullable=False, server_default=sa.func.now()),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("revoked_at", TZ),
        sa.Column("client_address", sa.Text()),
    )
    op.create_index("user_session_user_idx", "user_session", ["user_id"])
    op.create_table(
        "api_token",
        sa.Column("token_id", sa.Integer(), primary_key=True),
        sa.Column("token_hash", sa.Text(), nullable=False, unique=True),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("app_user.user_id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("revoked_at", TZ),
        sa.Column("last_used_at", TZ),
    )
    op.create_table(
        "login_failure",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("client_address", sa.Text()),
        sa.Column("failed_at", TZ, nullable=False, server_default=sa.func.now()),
    )
    op.create_index("login_failure_user_idx", "login_failure", ["username", "failed_at"])
    op.create_index("login_failure_address_idx", "login_failure", ["client_address", "failed_at"])


def downgrade() -> None:
    op.drop_table("login_failure")
    op.drop_table("api_token")
    op.drop_table("user_session")
    op.drop_table("app_user")
    op.drop_column("project", "version")
    op.drop_column("project", "agency_source")
    op.drop_column("project", "agency_id")
    op.drop_table("agency")
