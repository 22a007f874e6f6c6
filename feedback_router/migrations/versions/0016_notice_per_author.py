"""one thank-you per author and resolved ticket: author notices get the author's key, duplicates
written before (an author with several reports in one cluster was listed once per report) are merged

Revision ID: 0013_notice_author
Revises: 0010_redaction
Create Date: 2026-12-08 00:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_notice_author"
down_revision = "0013_ticket_priority"
branch_labels = None
depends_on = None

NOT_SENT = ("pending", "manual", "failed")

feedback = sa.table("feedback", sa.column("id", sa.Integer), sa.column("parent_id", sa.Integer),
                    sa.column("source", sa.String), sa.column("author_handle", sa.String),
                    sa.column("author_email", sa.String))  # fmt: skip
notices = sa.table("author_notices", sa.column("id", sa.Integer), sa.column("feedback_id", sa.Integer),
                   sa.column("ticket_id", sa.Integer), sa.column("kind", sa.String),
                   sa.column("status", sa.String), sa.column("lease_token", sa.String),
                   sa.column("author_key", sa.String))  # fmt: skip


def _author_key(
    item_id: int, parent_id: int | None, source: str, handle: str | None, email: str | None
) -> str:
    """loopback.notices.author_key when this was written."""
    if handle:
        return f"{source}:{handle.strip().removeprefix('@').lower()}"[:400]
    if email:
        return f"email:{email.strip().lower()}"[:400]
    return f"report:{parent_id or item_id}"


def upgrade() -> None:
    with op.batch_alter_table("author_notices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("author_key", sa.String(400), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(
            notices.c.id,
            notices.c.ticket_id,
            notices.c.status,
            notices.c.lease_token,
            feedback.c.id,
            feedback.c.parent_id,
            feedback.c.source,
            feedback.c.author_handle,
            feedback.c.author_email,
        )
        .join(feedback, feedback.c.id == notices.c.feedback_id)
        .where(notices.c.kind == "resolved")
        .order_by(notices.c.id)
    ).all()
    groups: dict[tuple[int, str], list[tuple[int, str, str | None]]] = {}
    for notice_id, ticket_id, status, lease_token, *author in rows:
        groups.setdefault((ticket_id, _author_key(*author)), []).append((notice_id, status, lease_token))
    for (_, key), group in groups.items():
        # The one kept: one already sent, else the oldest. The other unsent ones go; others already sent
        # (nothing can take them back) stay as history, without the key, so the index holds.
        kept = next((n for n in group if n[1] == "sent"), group[0])
        connection.execute(notices.update().where(notices.c.id == kept[0]).values(author_key=key))
        for notice_id, status, lease_token in group:
            if notice_id == kept[0]:
                continue
            if status in NOT_SENT and lease_token is None:
                connection.execute(notices.delete().where(notices.c.id == notice_id))
    op.create_index(
        "uq_author_notice_ticket_author", "author_notices", ["ticket_id", "author_key"], unique=True
    )


def downgrade() -> None:
    op.drop_index("uq_author_notice_ticket_author", table_name="author_notices")
    with op.batch_alter_table("author_notices", schema=None) as batch_op:
        batch_op.drop_column("author_key")
