"""Tickets out of the API."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class TicketRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    feedback_id: int | None  # None for a cluster's own ticket
    cluster_id: int | None
    sink: str
    destination: str
    team: str
    title: str
    body: str
    priority: str | None  # board: the item's urgency (low, normal, high); Jira: the priority name sent
    status: str
    created_at: datetime
    delivery: str  # pending | sending | delivered | failed
    attempts: int
    available_at: datetime | None  # when a pending delivery's next attempt is due
    last_error: str | None  # why the last attempt failed, in the outside system's words
    external_key: str | None  # Jira issue key, Slack channel/ts, webhook delivery id
    external_url: str | None
    delivered_at: datetime | None
