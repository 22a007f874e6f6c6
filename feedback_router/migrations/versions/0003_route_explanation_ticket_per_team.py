"""route explanation, one board ticket per item and team

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 08:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.add_column(sa.Column("route_explanation", sa.JSON(), nullable=True))

    # An item routed again to another team gets a ticket on that team's board as well.
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_constraint("uq_ticket_feedback_sink", type_="unique")
        batch_op.create_unique_constraint("uq_ticket_feedback_sink_team", ["feedback_id", "sink", "team"])


def downgrade() -> None:
    # The old schema holds one ticket per item and sink: the first one stays.
    op.execute(
        "DELETE FROM tickets WHERE id NOT IN (SELECT min_id FROM "
        "(SELECT MIN(id) AS min_id FROM tickets GROUP BY feedback_id, sink) AS firsts)"
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_constraint("uq_ticket_feedback_sink_team", type_="unique")
        batch_op.create_unique_constraint("uq_ticket_feedback_sink", ["feedback_id", "sink"])

    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_column("route_explanation")
