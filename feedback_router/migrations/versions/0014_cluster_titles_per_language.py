"""cluster titles per language, taken from a representative report (issue 15): clusters.titles

Revision ID: 0013_cluster_titles
Revises: 0010_redaction
Create Date: 2026-12-08 00:00:00.000000

Existing clusters keep their title until they are next retitled: at the next re-clustering
(every CLUSTER_RECLUSTER_SECONDS) or when a report joins them.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_cluster_titles"
down_revision = "0013_cluster_returns"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clusters") as batch:
        batch.add_column(sa.Column("titles", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("clusters") as batch:
        batch.drop_column("titles")
