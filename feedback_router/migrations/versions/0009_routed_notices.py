"""author notices of a second kind: where a message forwarded by the Slack shortcut was routed

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ROUTED = sa.text("kind = 'routed'")


def upgrade() -> None:
    with op.batch_alter_table("author_notices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="resolved"))
        batch_op.alter_column("ticket_id", existing_type=sa.Integer(), nullable=True)
    with op.batch_alter_table("author_notices", schema=None) as batch_op:
        batch_op.alter_column("kind", existing_type=sa.String(16), server_default=None)
    # Partial: a routed notice has no ticket, so (feedback_id, ticket_id) cannot keep it to one per item.
    op.create_index(
        "uq_author_notice_routed",
        "author_notices",
        ["feedback_id"],
        unique=True,
        sqlite_where=ROUTED,
        postgresql_where=ROUTED,
    )


def downgrade() -> None:
    op.drop_index("uq_author_notice_routed", table_name="author_notices")
    op.execute("DELETE FROM author_notices WHERE kind = 'routed'")
    with op.batch_alter_table("author_notices", schema=None) as batch_op:
        batch_op.alter_column("ticket_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("kind")
