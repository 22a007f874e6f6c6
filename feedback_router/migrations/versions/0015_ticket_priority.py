"""tickets.priority: the priority an urgent item's ticket was given (board: the urgency; Jira: its name)

Revision ID: 0013_ticket_priority
Revises: 0010_redaction
Create Date: 2026-12-07 23:50:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_ticket_priority"
down_revision = "0013_cluster_titles"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("priority", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("priority")
