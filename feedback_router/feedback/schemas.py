"""Feedback in and out of the API."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StrictBool,
    StringConstraints,
    UrlConstraints,
    field_validator,
    model_validator,
)

from classifiers.labels import KINDS, SENTIMENTS
from feedback_router.errors import FieldError
from feedback_router.feedback.models import Source
from feedback_router.routing.rules import RouteExplanation, Slug, TeamName
from feedback_router.schemas import InputModel, Moment

MAX_TEXT = 10_000
MAX_URL = 2048

Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class Author(InputModel):
    model_config = ConfigDict(extra="forbid")

    handle: Short
    display_name: Short | None = None
    email: EmailStr | None = None


class FeedbackCreate(InputModel):
    """One piece of feedback as a member wrote it."""

    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT)]
    source: Source = Source.api
    author: Author | None = None
    url: Annotated[AnyHttpUrl, UrlConstraints(max_length=MAX_URL)] | None = None
    external_id: Short | None = None
    created_at: Moment | None = None
    language: Annotated[str, StringConstraints(pattern=r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})?$")] | None = None
    metadata: dict[str, Annotated[str, StringConstraints(max_length=2000)]] = Field(
        default_factory=dict, max_length=50
    )

    @field_validator("url")
    @classmethod
    def _stored_length(cls, value: AnyHttpUrl | None) -> AnyHttpUrl | None:
        # The limit counts the address as stored: percent-encoding can make it several times longer.
        if value is not None and len(str(value)) > MAX_URL:
            raise ValueError(f"URL should have at most {MAX_URL} characters once encoded")
        return value

    @field_validator("metadata", mode="before")
    @classmethod
    def _flat_strings(cls, value: Any) -> Any:
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(item, str):
                    raise ValueError(f"metadata must be a flat object of strings; '{key}' is not a string")
        return value


def _left_out_not_null(schema: dict[str, Any]) -> None:
    """LabelsIn's schema as its validator reads: kind, sentiment and abuse may be left out, not null."""
    schema["minProperties"] = 1
    for name in ("kind", "sentiment", "abuse"):
        field = schema["properties"][name]
        (given,) = [s for s in field.pop("anyOf") if s.get("type") != "null"]
        field.pop("default", None)
        field.update(given)


class LabelsIn(InputModel):
    """A manager's correction: any of the labels, each optional; topic null means "no topic"."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_left_out_not_null)

    kind: Literal[KINDS] | None = None  # type: ignore[valid-type]
    sentiment: Literal[SENTIMENTS] | None = None  # type: ignore[valid-type]
    abuse: StrictBool | None = None  # true or false, as the schema says; not 0, 1 or "yes"
    topic: Slug | None = None

    @model_validator(mode="after")
    def _something_given(self) -> "LabelsIn":
        if not self.model_fields_set:
            raise ValueError("give at least one of kind, sentiment, abuse, topic")
        for name in self.model_fields_set - {"topic"}:
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class FeedbackAccepted(BaseModel):
    id: int
    status: str


class BatchItemResult(BaseModel):
    index: int
    status: str  # accepted | duplicate | rejected
    id: int | None = None
    errors: list[FieldError] = []


class BatchResult(BaseModel):
    accepted: int
    duplicates: int
    rejected: int
    results: list[BatchItemResult]


class TicketSummary(BaseModel):
    """A ticket of the item and how its delivery went: the Jira key and link once it is there."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    sink: str
    destination: str
    team: str
    title: str
    status: str
    delivery: str
    attempts: int
    last_error: str | None
    external_key: str | None
    external_url: str | None


class FeedbackRead(BaseModel):
    id: int
    text: str
    source: str
    author: Author | None
    url: str | None
    external_id: str | None
    created_at: datetime | None
    received_at: datetime
    language: str | None
    metadata: dict[str, str]
    forwarded_by: str | None  # the user, key or Slack member who sent it in for its author
    status: str
    failure_reason: str | None
    kind: str | None
    kind_confidence: float | None
    kind_scores: dict[str, float] | None
    kind_evidence: list[dict[str, Any]] | None
    model_version: str | None
    sentiment: str | None
    sentiment_confidence: float | None
    abuse: bool | None
    abuse_confidence: float | None
    urgency: str | None
    urgency_signals: list[dict[str, str]] | None
    language_confidence: float | None
    topic: str | None
    topic_confidence: float | None
    evidence: dict[str, list[dict[str, Any]]] | None
    corrected: dict[str, Any] | None
    parent_id: int | None
    span: tuple[int, int] | None
    parts: list[int]
    team: str | None
    route_rule: str | None
    route_reason: str | None
    route_explanation: RouteExplanation | None
    processed_at: datetime | None
    cluster_id: int | None  # its cluster of similar reports (see /v1/clusters)
    cluster_similarity: float | None
    tickets: list[TicketSummary]


Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


class RouteIn(InputModel):
    """A manager's choice of team for an item, with any labels corrected at the same time (triage)."""

    model_config = ConfigDict(extra="forbid")

    team: TeamName
    note: Note | None = None  # kept in the stored reason
    labels: LabelsIn | None = None  # corrections stored with the choice, in the same transaction


class FeedbackFilter(InputModel):
    """Which items to list: each field given must match; ``changed_since`` keeps items received or
    processed after that moment (the web inbox's live update asks with it)."""

    kind: str | None = None
    team: str | None = None
    status: str | None = None
    source: str | None = None
    language: str | None = None
    sentiment: str | None = None
    topic: str | None = None
    changed_since: Moment | None = None


class ForwardedPart(BaseModel):
    """A part of a forwarded mixed message, routed on its own."""

    id: int
    kind: str | None
    team: str | None


class ForwardResult(BaseModel):
    """What became of a forwarded item, for the one who forwarded it (bookmarklet, extension)."""

    id: int
    status: str
    kind: str | None
    team: str | None  # None when it was split: each of its parts has one
    route_reason: str | None
    url: str  # the item in the web app
    parts: list[ForwardedPart] = []  # a mixed message's parts and where each went


class FeedbackPage(BaseModel):
    items: list[FeedbackRead]
    next_cursor: str | None


TRIAGE_ORDER = (
    "what teaches the model most first: items like many others, the less certain first; "
    "near-duplicates of items above after the others; items without kind scores last, oldest first"
)


class TriagePage(FeedbackPage):
    order: str = Field(default=TRIAGE_ORDER, description="How the items are ordered")
