"""titles redacted whole before their cut: ticket titles, cluster titles and unsent thank-you notes
written before cut first, so half an IBAN or phone number could stay in them

Revision ID: 0010_redaction
Revises: 0010_erasure
Create Date: 2026-12-07 21:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

from integrations.redact import redact_then_cut

revision = "0010_redaction"
down_revision = "0010_erasure"
branch_labels = None
depends_on = None

TITLE_LENGTH = 80  # tickets.service.TITLE_LENGTH when this was written
NOT_SENT = ("pending", "manual", "failed")

feedback = sa.table("feedback", sa.column("id", sa.Integer), sa.column("text", sa.Text),
                    sa.column("cluster_id", sa.Integer))  # fmt: skip
tickets = sa.table("tickets", sa.column("id", sa.Integer), sa.column("feedback_id", sa.Integer),
                   sa.column("title", sa.String))  # fmt: skip
clusters = sa.table("clusters", sa.column("id", sa.Integer), sa.column("title", sa.String),
                    sa.column("title_locked", sa.Boolean))  # fmt: skip
notices = sa.table("author_notices", sa.column("id", sa.Integer), sa.column("feedback_id", sa.Integer),
                   sa.column("status", sa.String), sa.column("message", sa.Text))  # fmt: skip


def _cut_first(text: str) -> str:
    """The title as it was made before this revision: cut, not redacted."""
    line = " ".join(text.split())
    return line if len(line) <= TITLE_LENGTH else line[: TITLE_LENGTH - 1].rsplit(" ", 1)[0] + "…"


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(tickets.c.id, feedback.c.text).join(feedback, feedback.c.id == tickets.c.feedback_id)
    )
    for ticket_id, text in rows.all():
        if redact_then_cut(text, TITLE_LENGTH) == _cut_first(text):
            continue
        connection.execute(
            tickets.update()
            .where(tickets.c.id == ticket_id)
            .values(title=redact_then_cut(text, TITLE_LENGTH))
        )
    # A cluster still titled by one of its reports (not by key phrases, not renamed) gets that report's title.
    titled = connection.execute(
        sa.select(clusters.c.id, clusters.c.title, feedback.c.text)
        .join(feedback, feedback.c.cluster_id == clusters.c.id)
        .where(sa.not_(clusters.c.title_locked))
    )
    for cluster_id, title, text in titled.all():
        if title == _cut_first(text):
            connection.execute(
                clusters.update()
                .where(clusters.c.id == cluster_id)
                .values(title=redact_then_cut(text, TITLE_LENGTH))
            )
    unsent = connection.execute(
        sa.select(notices.c.id, notices.c.message, feedback.c.text)
        .join(feedback, feedback.c.id == notices.c.feedback_id)
        .where(notices.c.status.in_(NOT_SENT))
    )
    for notice_id, message, text in unsent.all():
        quoted, redacted = _cut_first(text), redact_then_cut(text, TITLE_LENGTH)
        if quoted != redacted and quoted in message:
            message = message.replace(quoted, redacted)
            connection.execute(notices.update().where(notices.c.id == notice_id).values(message=message))


def downgrade() -> None:
    """Nothing to undo: the redacted titles stay."""
