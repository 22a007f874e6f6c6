"""Routing rules from YAML: validated with line numbers, evaluated first match wins."""

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from classifiers import KINDS
from feedback_router.errors import ConfigurationError
from feedback_router.feedback.models import Source

DEFAULT_FILE = Path(__file__).with_name("default_routes.yaml")
TRIAGE = "triage"

TeamName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]


class Condition(BaseModel):
    """All given fields must hold; an empty condition matches everything."""

    model_config = ConfigDict(extra="forbid")

    kind: list[str] | None = None
    source: list[str] | None = None
    min_confidence: float | None = Field(default=None, ge=0, le=1)

    @field_validator("kind", "source", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("kind", "source")
    @classmethod
    def _known_values(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        known = KINDS if info.field_name == "kind" else [s.value for s in Source]
        for item in value or []:
            if item not in known:
                raise ValueError(f"unknown {info.field_name} '{item}'; known: {', '.join(known)}")
        return value


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    when: Condition = Field(default_factory=Condition)
    team: TeamName


class RoutingConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(default=1, ge=1, le=1)
    rules: list[Rule]
    default_team: TeamName = TRIAGE


@dataclass(frozen=True)
class RouteDecision:
    team: str
    rule: str | None
    reason: str


def _line_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """The 1-based line of the YAML node at a pydantic error location."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == part), None)
            if node is None:  # the key is missing or extra: report its parent
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            break
        line = node.start_mark.line + 1
    return line


def parse(text: str, origin: str = "<routing>") -> RoutingConfig:
    """Parse and validate routing YAML; ConfigurationError names the line and the reason."""
    try:
        tree = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{origin}:{mark.line + 1}" if mark else origin
        raise ConfigurationError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from exc
    if not isinstance(data, dict):
        raise ConfigurationError(f"{origin}:1: routing file must be a mapping with 'rules'")
    try:
        return RoutingConfig.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"])
            problems.append(f"{origin}:{_line_of(tree, error['loc'])}: {where}: {error['msg']}")
        raise ConfigurationError("; ".join(problems)) from exc


def load(path: Path | None) -> RoutingConfig:
    path = path or DEFAULT_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"routing file {path} cannot be read: {exc.strerror}") from exc
    return parse(text, str(path))


@lru_cache(maxsize=8)
def load_cached(path: Path | None) -> RoutingConfig:
    """The rules for the API process; workers hold their own copy."""
    return load(path)


def decide(config: RoutingConfig, *, kind: str, confidence: float, source: str) -> RouteDecision:
    for rule in config.rules:
        when = rule.when
        if when.kind is not None and kind not in when.kind:
            continue
        if when.source is not None and source not in when.source:
            continue
        if when.min_confidence is not None and confidence < when.min_confidence:
            continue
        return RouteDecision(
            team=rule.team,
            rule=rule.name,
            reason=f"rule '{rule.name}' matched: kind {kind} (confidence {confidence:.2f}), source {source}",
        )
    return RouteDecision(
        team=config.default_team,
        rule=None,
        reason=f"no rule matched kind {kind} (confidence {confidence:.2f}); "
        f"default team {config.default_team}",
    )
