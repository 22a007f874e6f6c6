"""tickets become the delivery outbox for Jira, Slack and webhooks

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 09:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

from feedback_router.db import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("destination", sa.String(2100), nullable=False, server_default="board"))
        batch_op.add_column(sa.Column("config", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("delivery", sa.String(16), nullable=False, server_default="delivered"))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("available_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("lease_token", sa.String(64), nullable=True))
        batch_op.add_column(sa.Column("leased_until", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_error", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("external_key", sa.String(200), nullable=True))
        batch_op.add_column(sa.Column("external_url", sa.String(2048), nullable=True))
        batch_op.add_column(sa.Column("delivered_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.drop_constraint("uq_ticket_feedback_sink_team", type_="unique")
        batch_op.create_unique_constraint(
            "uq_ticket_feedback_team_destination", ["feedback_id", "team", "destination"]
        )
        batch_op.create_index("ix_tickets_due", ["delivery", "available_at"])


def downgrade() -> None:
    # The old schema knows only the board: tickets for outside systems go.
    op.execute("DELETE FROM tickets WHERE sink <> 'board'")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_due")
        batch_op.drop_constraint("uq_ticket_feedback_team_destination", type_="unique")
        batch_op.create_unique_constraint("uq_ticket_feedback_sink_team", ["feedback_id", "sink", "team"])
        for column in (
            "delivered_at",
            "external_url",
            "external_key",
            "last_error",
            "leased_until",
            "lease_token",
            "available_at",
            "attempts",
            "delivery",
            "config",
            "destination",
        ):
            batch_op.drop_column(column)
