"""author notices are sent with retries and a lease; schedule marks for periodic work (Jira polling)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 14:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

from feedback_router.db import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("author_notices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("available_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("lease_token", sa.String(64), nullable=True))
    with op.batch_alter_table("author_notices", schema=None) as batch_op:
        batch_op.alter_column("attempts", existing_type=sa.Integer(), server_default=None)
    op.create_table(
        "schedule_marks",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("ran_at", UTCDateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("schedule_marks")
    with op.batch_alter_table("author_notices", schema=None) as batch_op:
        batch_op.drop_column("lease_token")
        batch_op.drop_column("available_at")
        batch_op.drop_column("attempts")
