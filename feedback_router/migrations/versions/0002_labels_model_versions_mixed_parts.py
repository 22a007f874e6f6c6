"""labels, model versions, mixed parts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 06:18:37.601581
"""

import sqlalchemy as sa
from alembic import op

import feedback_router.db

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("embedding_model", sa.String(length=500), nullable=False),
        sa.Column("heads", sa.LargeBinary(), nullable=False),
        sa.Column("info", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", feedback_router.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_model_versions_active"), ["active"], unique=False)

    op.create_table(
        "feedback_labels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feedback_id", sa.Integer(), nullable=False),
        sa.Column("task", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("api_key_id", sa.Integer(), nullable=True),
        sa.Column("created_at", feedback_router.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["api_key_id"], ["api_keys.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["feedback_id"], ["feedback.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("feedback_id", "task", name="uq_feedback_label_task"),
    )
    with op.batch_alter_table("feedback_labels", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_labels_feedback_id"), ["feedback_id"], unique=False)

    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sentiment", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("sentiment_confidence", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("abuse", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("abuse_confidence", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("urgency", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("urgency_signals", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("language_confidence", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("topic", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("topic_confidence", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("evidence", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("corrected", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("span_start", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("span_end", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_feedback_abuse"), ["abuse"], unique=False)
        batch_op.create_index(batch_op.f("ix_feedback_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_feedback_sentiment"), ["sentiment"], unique=False)
        batch_op.create_index(batch_op.f("ix_feedback_topic"), ["topic"], unique=False)
        batch_op.create_index(batch_op.f("ix_feedback_urgency"), ["urgency"], unique=False)
        batch_op.create_foreign_key(
            "fk_feedback_parent_id", "feedback", ["parent_id"], ["id"], ondelete="CASCADE"
        )


def downgrade() -> None:
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_constraint("fk_feedback_parent_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_feedback_urgency"))
        batch_op.drop_index(batch_op.f("ix_feedback_topic"))
        batch_op.drop_index(batch_op.f("ix_feedback_sentiment"))
        batch_op.drop_index(batch_op.f("ix_feedback_parent_id"))
        batch_op.drop_index(batch_op.f("ix_feedback_abuse"))
        batch_op.drop_column("span_end")
        batch_op.drop_column("span_start")
        batch_op.drop_column("parent_id")
        batch_op.drop_column("corrected")
        batch_op.drop_column("evidence")
        batch_op.drop_column("topic_confidence")
        batch_op.drop_column("topic")
        batch_op.drop_column("language_confidence")
        batch_op.drop_column("urgency_signals")
        batch_op.drop_column("urgency")
        batch_op.drop_column("abuse_confidence")
        batch_op.drop_column("abuse")
        batch_op.drop_column("sentiment_confidence")
        batch_op.drop_column("sentiment")

    with op.batch_alter_table("feedback_labels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_labels_feedback_id"))

    op.drop_table("feedback_labels")
    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_model_versions_active"))

    op.drop_table("model_versions")
