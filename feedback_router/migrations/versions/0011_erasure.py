"""erasure and retention: when an item was anonymised, and received_at indexed for the retention sweep

Revision ID: 0010_erasure
Revises: 0010_signin
Create Date: 2026-12-07 21:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

from feedback_router.db import UTCDateTime

revision = "0010_erasure"
down_revision = "0010_signin"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erased_at", UTCDateTime(timezone=True), nullable=True))
    op.create_index("ix_feedback_received_at", "feedback", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_feedback_received_at", table_name="feedback")
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_column("erased_at")
