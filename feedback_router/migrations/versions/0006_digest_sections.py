"""digests: the figures behind a draft; a digest of every community has none

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 12:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("digests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sections", sa.JSON(), nullable=True))
        batch_op.alter_column("community", existing_type=sa.String(64), nullable=True)


def downgrade() -> None:
    op.execute("UPDATE digests SET community = '' WHERE community IS NULL")
    with op.batch_alter_table("digests", schema=None) as batch_op:
        batch_op.alter_column("community", existing_type=sa.String(64), nullable=False)
        batch_op.drop_column("sections")
