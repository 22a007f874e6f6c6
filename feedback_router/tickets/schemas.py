"""Tickets out of the API."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class TicketRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    feedback_id: int
    sink: str
    team: str
    title: str
    body: str
    status: str
    created_at: datetime
