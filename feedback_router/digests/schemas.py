"""Digests in and out of the API, and the figures a digest is written from."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, computed_field, model_validator

from feedback_router.schemas import InputModel, Moment

Language = Literal["en", "de"]
Community = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
MAX_MARKDOWN = 100_000


class DigestCreate(InputModel):
    """What to draft: a community (or every one), a language and a period (default: the last 7 days)."""

    model_config = ConfigDict(extra="forbid")

    community: Community | None = None
    language: Language
    period_start: Moment | None = None
    period_end: Moment | None = None


class DigestUpdate(InputModel):
    """A community manager's edit of a draft."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})

    title: Title | None = None
    markdown: Annotated[str, StringConstraints(min_length=1, max_length=MAX_MARKDOWN)] | None = None

    @model_validator(mode="after")
    def _something_given(self) -> "DigestUpdate":
        if self.title is None and self.markdown is None:
            raise ValueError("give a title, a markdown text or both")
        return self


# -- the figures ---------------------------------------------------------------------------------


class Theme(BaseModel):
    """A cluster the community wrote about in the period: its items then, and in the period before."""

    cluster_id: int
    title: str
    count: int
    previous_count: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def change(self) -> int:
        """The trend: items in the period minus items in the period before."""
        return self.count - self.previous_count


class WorkItem(BaseModel):
    """A cluster, or an item outside any cluster, with a ticket in progress or resolved."""

    cluster_id: int | None = None
    feedback_id: int | None = None
    title: str
    reports: int  # the community's items behind it, at any time
    status: str | None  # the tracker's own status name ("In Progress", "Done")
    changed_at: datetime | None = None


class Quote(BaseModel):
    feedback_id: int
    text: str
    author: str | None


class Praise(BaseModel):
    count: int
    quotes: list[Quote] = []


class DigestSections(BaseModel):
    """Everything a digest says, before it is written out in a language."""

    themes: list[Theme] = []
    themes_more: int = 0  # themes beyond the ones listed
    in_progress: list[WorkItem] = []
    in_progress_more: int = 0
    shipped: list[WorkItem] = []
    shipped_more: int = 0
    came_back: list[WorkItem] = []  # resolved problems that a new report brought back
    came_back_more: int = 0
    praise: Praise = Field(default_factory=lambda: Praise(count=0))


# -- out -----------------------------------------------------------------------------------------


class DigestSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    community: str | None
    language: str
    period_start: datetime
    period_end: datetime
    status: str
    title: str
    created_at: datetime
    updated_at: datetime
    approved_at: datetime | None
    approved_by: int | None
    published_at: datetime | None
    published_url: str | None
    last_error: str | None


class DigestRead(DigestSummary):
    """A digest with its text: ``markdown`` as stored, ``html`` rendered from it."""

    markdown: str
    html: str
    sections: DigestSections | None
