"""Routing files and routing explanations in and out of the API."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from feedback_router.feedback.models import Source
from feedback_router.feedback.schemas import MAX_TEXT
from feedback_router.routing.rules import RouteExplanation
from feedback_router.schemas import InputModel


class RoutingProblem(BaseModel):
    """One problem of a routing file, as ``feedback-router routes check`` reports it."""

    line: int | None = Field(description="1-based line in the file; null where YAML names none")
    path: str = Field(description="the setting, e.g. rules.0.team; empty for the file as a whole")
    reason: str


class RoutingCheck(BaseModel):
    """A routing file checked: ``valid`` as ``routes check`` says; the counts when it is valid.

    ``missing_settings`` names the outside tools the file sends to that this service has no settings
    for: a valid file with any of them cannot be applied (``serve`` would refuse it at start too).
    """

    valid: bool
    errors: list[RoutingProblem] = []
    rules: int = 0
    teams: int = 0
    missing_settings: list[str] = []


class RoutingApplied(BaseModel):
    """A routing file written in place and reloaded."""

    rules: int
    teams: int
    file: str
    backup: str | None = Field(description="where the previous file was kept; null when there was none")


class ExplainIn(InputModel):
    """A text to classify and route, as ``feedback-router route --explain`` does."""

    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT)]
    source: Source = Source.api
    metadata: dict[str, Annotated[str, StringConstraints(max_length=2000)]] = Field(
        default_factory=dict, max_length=50, description="the item's metadata, e.g. author attributes"
    )


class PartExplanation(RouteExplanation):
    """One part of a mixed message, routed on its own as the service routes it."""

    start: int
    end: int
    text: str


class TextExplanation(RouteExplanation):
    """Why a text would go where it goes: the labels, every rule tried, the team and its sinks;
    a mixed message also explains each of its parts."""

    text: str
    parts: list[PartExplanation] = []
