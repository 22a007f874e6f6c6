"""recurring problems: a resolved cluster brought back by a new report (cluster_returns), and the
comment that tells its Jira issue, delivered through an outbox (ticket_comments); clusters first and
last seen when their reports were written (Feedback.written_at), not when they arrived

Revision ID: 0013_cluster_returns
Revises: 0010_redaction
Create Date: 2026-12-07 23:45:00.000000
"""

import sqlalchemy as sa
from alembic import op

from feedback_router.db import UTCDateTime

revision = "0013_cluster_returns"
down_revision = "0010_redaction"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cluster_returns",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "cluster_id", sa.Integer(), sa.ForeignKey("clusters.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "feedback_id", sa.Integer(), sa.ForeignKey("feedback.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("resolved_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("came_back_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("cluster_id", "resolved_at", name="uq_cluster_return_resolution"),
    )
    op.create_index("ix_cluster_returns_cluster_id", "cluster_returns", ["cluster_id"])
    op.create_index("ix_cluster_returns_came_back_at", "cluster_returns", ["came_back_at"])
    op.create_table(
        "ticket_comments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False),
        sa.Column("ref", sa.String(100), nullable=False, unique=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("delivery", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("available_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("lease_token", sa.String(64), nullable=True),
        sa.Column("leased_until", UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("external_id", sa.String(200), nullable=True),
        sa.Column("delivered_at", UTCDateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_ticket_comments_ticket_id", "ticket_comments", ["ticket_id"])
    # Feedback.written_at as it is today: the source's time, never after the arrival.
    written = (
        "CASE WHEN f.created_at IS NOT NULL AND f.created_at < f.received_at THEN f.created_at "
        "ELSE f.received_at END"
    )
    members = "FROM feedback f WHERE f.cluster_id = clusters.id"
    op.execute(
        f"UPDATE clusters SET first_seen = (SELECT MIN({written}) {members}), "
        f"last_seen = (SELECT MAX({written}) {members}) WHERE EXISTS (SELECT 1 {members})"
    )


def downgrade() -> None:
    op.drop_table("ticket_comments")
    op.drop_table("cluster_returns")
