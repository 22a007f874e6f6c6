"""Clusters in and out of the API."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from typing_extensions import TypedDict  # pydantic reads typing's only from Python 3.12

from feedback_router.feedback.schemas import TicketSummary
from feedback_router.schemas import Id, InputModel


class ClusterTitle(BaseModel):
    text: str = Field(description="The key sentence of a report in this language, redacted and cut")
    feedback_id: int = Field(description="The report it comes from")


class ClusterRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    team: str
    status: str
    title: str = Field(description="The manager's name for it, else its title in its reports' main language")
    title_locked: bool = Field(description="Renamed by a manager: that name stands for every language")
    titles: dict[str, ClusterTitle] = Field(description="Per language of its reports, a title from one")
    size: int
    first_seen: datetime
    last_seen: datetime
    merged_into_id: int | None
    resolved_at: datetime | None


class ClusterItem(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    text: str
    source: str
    language: str | None
    kind: str | None
    sentiment: str | None
    received_at: datetime
    written_at: datetime  # on its source's clock: what trends count
    cluster_similarity: float | None


class Quote(TypedDict):
    feedback_id: int
    text: str
    author: str | None


class Return(TypedDict):
    """A new report brought a resolved cluster back: which, when, and when it had been resolved."""

    feedback_id: int | None  # None once that report was deleted
    came_back_at: datetime
    resolved_at: datetime


class ClusterSummary(TypedDict):
    """Counts, trend, sources, languages, sentiment mix and the most representative quotes."""

    count: int
    this_week: int
    last_week: int
    trend: str
    sources: dict[str, int]
    languages: dict[str, int]
    sentiment: dict[str, int]
    quotes: list[Quote]
    newest: list[Quote]
    came_back: Return | None


class ReclusterStats(TypedDict):
    """What a re-clustering did: the items it saw, how many kept their cluster, merges and splits."""

    items: int
    stability: float
    merges: int
    splits: int


class ClusterDetail(ClusterRead):
    """A cluster with its counts, trend, mix, quotes, tickets and items."""

    summary: ClusterSummary
    tickets: list[TicketSummary]
    items: list[ClusterItem]


class MergeIn(InputModel):
    model_config = ConfigDict(extra="forbid")

    into: Id = Field(description="The cluster that takes this one's items")


class SplitIn(InputModel):
    model_config = ConfigDict(extra="forbid")

    feedback_ids: list[Id] = Field(min_length=1, description="Items that move to a new cluster")


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class ClusterPatch(InputModel):
    model_config = ConfigDict(extra="forbid")

    title: Name | None = Field(
        description="The manager's name for the cluster, in every language; null: back to the titles "
        "taken from its reports"
    )
