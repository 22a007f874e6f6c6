"""failed sign-ins and API key attempts, counted per client address and per account

Revision ID: 0010_signin
Revises: 0009
Create Date: 2026-12-07 21:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

from feedback_router.db import UTCDateTime

revision = "0010_signin"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "auth_attempts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("account", sa.String(100), nullable=True),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_auth_attempts_address_at", "auth_attempts", ["address", "at"])
    op.create_index("ix_auth_attempts_account_at", "auth_attempts", ["account", "at"])


def downgrade() -> None:
    op.drop_table("auth_attempts")
