"""clusters, author notices, webhook receipts, digests; tickets for clusters and their status

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 09:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

from feedback_router.db import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "clusters",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("team", sa.String(32), nullable=False, index=True),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("title_locked", sa.Boolean(), nullable=False),
        sa.Column("vector_sum", sa.LargeBinary(), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        _when("first_seen", False),
        _when("last_seen", False),
        sa.Column(
            "merged_into_id",
            sa.Integer(),
            sa.ForeignKey("clusters.id", ondelete="SET NULL", name="fk_clusters_merged_into_id"),
            nullable=True,
        ),
        _when("resolved_at"),
        _when("synced_at"),
        sa.Column("synced_size", sa.Integer(), nullable=False),
        _when("created_at", False),
        _when("updated_at", False),
    )
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cluster_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("cluster_similarity", sa.Float(), nullable=True))
        batch_op.create_foreign_key(
            "fk_feedback_cluster_id", "clusters", ["cluster_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_index("ix_feedback_cluster_id", ["cluster_id"])
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.alter_column("feedback_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("cluster_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("external_status", sa.String(64), nullable=True))
        batch_op.add_column(sa.Column("linked_to", sa.String(200), nullable=True))
        batch_op.add_column(_when("status_changed_at"))
        batch_op.create_foreign_key(
            "fk_tickets_cluster_id", "clusters", ["cluster_id"], ["id"], ondelete="CASCADE"
        )
        batch_op.create_index("ix_tickets_cluster_id", ["cluster_id"])
        batch_op.create_unique_constraint(
            "uq_ticket_cluster_team_destination", ["cluster_id", "team", "destination"]
        )
    op.create_table(
        "author_notices",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "feedback_id",
            sa.Integer(),
            sa.ForeignKey("feedback.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column(
            "ticket_id",
            sa.Integer(),
            sa.ForeignKey("tickets.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("external_ref", sa.String(200), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        _when("created_at", False),
        _when("sent_at"),
        sa.UniqueConstraint("feedback_id", "ticket_id", name="uq_author_notice_feedback_ticket"),
    )
    op.create_table(
        "webhook_receipts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("delivery_id", sa.String(200), nullable=False),
        _when("received_at", False),
        sa.UniqueConstraint("source", "delivery_id", name="uq_webhook_receipt_source_delivery"),
    )
    op.create_table(
        "digests",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("community", sa.String(64), nullable=False, index=True),
        sa.Column("language", sa.String(8), nullable=False),
        _when("period_start", False),
        _when("period_end", False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("markdown", sa.Text(), nullable=False),
        _when("created_at", False),
        _when("updated_at", False),
        _when("approved_at"),
        sa.Column(
            "approved_by", sa.Integer(), sa.ForeignKey("api_keys.id", ondelete="SET NULL"), nullable=True
        ),
        _when("published_at"),
        sa.Column("published_url", sa.String(2048), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("digests")
    op.drop_table("webhook_receipts")
    op.drop_table("author_notices")
    op.execute("DELETE FROM tickets WHERE feedback_id IS NULL")  # cluster tickets have no item
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_constraint("uq_ticket_cluster_team_destination", type_="unique")
        batch_op.drop_index("ix_tickets_cluster_id")
        batch_op.drop_constraint("fk_tickets_cluster_id", type_="foreignkey")
        batch_op.drop_column("status_changed_at")
        batch_op.drop_column("linked_to")
        batch_op.drop_column("external_status")
        batch_op.drop_column("cluster_id")
        batch_op.alter_column("feedback_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_index("ix_feedback_cluster_id")
        batch_op.drop_constraint("fk_feedback_cluster_id", type_="foreignkey")
        batch_op.drop_column("cluster_similarity")
        batch_op.drop_column("cluster_id")
    op.drop_table("clusters")
