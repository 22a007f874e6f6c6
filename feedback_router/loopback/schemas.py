"""What the loop-back routes answer."""

from datetime import datetime

from pydantic import BaseModel

from feedback_router.feedback.schemas import Author


class TicketChange(BaseModel):
    """A ticket a Jira event was applied to."""

    id: int
    status: str  # ours: open | resolved
    external_status: str  # Jira's name for it
    change: str  # resolved | reopened | unchanged


class JiraWebhookResult(BaseModel):
    """The answer to Jira: always 200 once the signature holds, so Jira does not retry what we ignore."""

    duplicate: bool | None = None  # this delivery was applied before
    ignored: str | None = None  # why nothing was applied
    issue: str | None = None
    tickets: list[TicketChange] | None = None
    notices: int | None = None  # authors to be told, written now


class DiscourseWebhookResult(BaseModel):
    id: int | None = None
    status: str | None = None
    duplicate: bool | None = None  # the post was captured before
    ignored: str | None = None  # why it is not feedback


class NoticeRead(BaseModel):
    """An author to be told that their report was resolved, and how."""

    id: int
    status: str  # pending | sent | manual | failed
    channel: str  # discourse | slack | email | manual
    message: str  # what to send, in the author's language
    address: str | None  # where to answer: the post, the Slack thread, the e-mail address
    feedback_id: int
    ticket_id: int
    ticket_key: str | None  # the Jira issue that was resolved
    cluster_id: int | None  # the problem it was resolved as, when the ticket is a cluster's
    reports: list[int]  # the author's reports it answers (one notice per author, however many they wrote)
    author: Author | None
    text: str
    url: str | None
    language: str | None
    attempts: int
    last_error: str | None
    external_ref: str | None  # the reply's link once sent, or who answered by hand
    created_at: datetime
    sent_at: datetime | None


class NoticePage(BaseModel):
    items: list[NoticeRead]
    next_cursor: str | None
