"""Routing rules from YAML: teams with their sinks, rules tried in order, the first match wins.

``parse``/``load`` validate a file and name every problem as ``file:line: path: reason``
(``RoutingFileError.problems``; ``.found`` holds them as ``Problem`` objects). ``decide`` is pure:
labels in, a ``RouteDecision`` out, with the rules it tried and the condition each one failed on,
so every decision can be explained.
The schema is documented in docs/routing.md.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from classifiers.labels import KINDS, SENTIMENTS, URGENCIES
from feedback_router import plugins
from feedback_router.errors import ConfigurationError
from feedback_router.feedback.models import Source
from integrations.base import RoutingSink

if TYPE_CHECKING:
    from classifiers.pipeline import Classification

DEFAULT_FILE = Path(__file__).with_name("default_routes.yaml")
TRIAGE = "triage"
MANUAL = "manual"  # the rule name of a decision a manager made by hand
V2_THRESHOLD = 0.5  # triage_below when a version 2 file sets none
ABUSE_LINE = 0.5  # the abuse model says abusive from this probability on
DEFAULT_REVIEW_MARGIN = 0.25  # moderation_review_margin when a file sets none (docs/decisions/0007)

TeamName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
SLUG = r"^[a-z0-9][a-z0-9_-]{0,63}$"  # names of teams, rules and topics
Slug = Annotated[str, StringConstraints(pattern=SLUG)]
LanguageCode = Annotated[
    str,
    BeforeValidator(lambda v: v.lower() if isinstance(v, str) else v),
    StringConstraints(pattern=r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$"),
]
AttributeName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
Keyword = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Urgency = Literal["low", "normal", "high"]


@dataclass(frozen=True)
class Problem:
    """One problem of a routing file: its 1-based line (None where YAML names none), the path of the
    setting (empty for the file as a whole) and why."""

    line: int | None
    path: str
    reason: str

    def at(self, origin: str) -> str:
        """``file:line: path: reason``, as ``feedback-router routes check`` prints it."""
        where = origin if self.line is None else f"{origin}:{self.line}"
        return f"{where}: {self.path}: {self.reason}" if self.path else f"{where}: {self.reason}"


class RoutingFileError(ConfigurationError):
    """A routing file that is not valid: ``found`` holds each problem, ``problems`` the same as
    ``file:line: path: reason`` lines."""

    def __init__(self, origin: str, found: list[Problem]) -> None:
        self.found = found
        self.problems = [problem.at(origin) for problem in found]
        super().__init__("; ".join(self.problems))


# --- what routing looks at ---------------------------------------------------------------------


@dataclass(frozen=True)
class Labels:
    """The classifier's labels and the item's own fields that rules can test."""

    kind: str
    confidence: float
    source: str = "api"
    sentiment: str | None = None
    urgency: str | None = None
    language: str | None = None
    topic: str | None = None
    abuse: bool | None = None
    abuse_confidence: float | None = None  # the abuse model's probability of abusive
    part: bool = False  # a part of a mixed message, not a whole post
    metadata: Mapping[str, str] = field(default_factory=dict, repr=False)
    text: str = field(default="", repr=False)  # never in a log line by accident

    @classmethod
    def of(
        cls,
        result: "Classification",
        *,
        text: str,
        source: str = "api",
        metadata: Mapping[str, str] | None = None,
        part: bool = False,
    ) -> "Labels":
        """The labels of a text the classifier labelled (the command line's way; items: labels_of)."""
        return cls(
            kind=result.kind,
            confidence=result.confidence,
            source=source,
            sentiment=result.sentiment,
            urgency=result.urgency,
            language=result.language,
            topic=result.topic,
            abuse=result.abuse,
            abuse_confidence=result.abuse_confidence,
            part=part,
            metadata=metadata or {},
            text=text,
        )

    def to_dict(self) -> dict[str, Any]:
        """The labels for an explanation; the text and metadata stay on the item."""
        return {
            "kind": self.kind,
            "confidence": round(self.confidence, 4),
            "sentiment": self.sentiment,
            "urgency": self.urgency,
            "language": self.language,
            "topic": self.topic,
            "abuse": self.abuse,
            "source": self.source,
        }


def _shown(value: object) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _wanted(values: list[str]) -> str:
    return values[0] if len(values) == 1 else "one of " + ", ".join(values)


def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    """Whole words, any case; spaces in a phrase match any white space; a final * any ending."""
    stem, wildcard = (keyword[:-1], True) if keyword.endswith("*") else (keyword, False)
    body = r"\s+".join(re.escape(word) for word in stem.split())
    ending = r"\w*" if wildcard else ""
    return re.compile(rf"(?<!\w){body}{ending}(?!\w)", re.IGNORECASE)


# --- the file ---------------------------------------------------------------------------------


class Condition(BaseModel):
    """All given conditions must hold; an empty condition matches everything."""

    model_config = ConfigDict(extra="forbid")

    kind: list[str] | None = None
    sentiment: list[str] | None = None
    urgency: list[str] | None = None
    min_urgency: Urgency | None = None
    language: list[LanguageCode] | None = None
    topic: list[Slug] | None = None
    abuse: bool | None = None
    source: list[str] | None = None
    author: dict[AttributeName, list[Short]] | None = None
    keywords: list[Keyword] | None = Field(default=None, min_length=1)
    min_confidence: float | None = Field(default=None, ge=0, le=1)

    @field_validator("kind", "sentiment", "urgency", "language", "topic", "source", "keywords", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("author", mode="before")
    @classmethod
    def _attribute_values(cls, value: Any) -> Any:
        """``vip: true`` means the metadata string "true"; one value or a list of them."""
        if not isinstance(value, dict):
            return value

        def text(item: Any) -> Any:
            if isinstance(item, bool):
                return "true" if item else "false"
            return str(item) if isinstance(item, int | float) else item

        return {k: [text(i) for i in v] if isinstance(v, list) else [text(v)] for k, v in value.items()}

    @field_validator("kind", "sentiment", "urgency", "source")
    @classmethod
    def _known_values(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        known = {
            "kind": KINDS,
            "sentiment": SENTIMENTS,
            "urgency": URGENCIES,
            "source": tuple(s.value for s in Source),
        }[str(info.field_name)]
        for item in value or []:
            if item not in known:
                raise ValueError(f"unknown {info.field_name} '{item}'; known: {', '.join(known)}")
        return value

    @property
    def moderates(self) -> bool:
        """Whether this condition picks items for moderation: it tests abuse: true or kind: abuse."""
        return self.abuse is True or "abuse" in (self.kind or [])

    def review(self, labels: Labels, min_confidence: float, margin: float) -> str | None:
        """Why a person should decide before this condition sends an item to moderation; None when not.

        A condition moderates when it tests ``abuse: true`` or ``kind: abuse``. A part of a mixed
        message is judged out of its context ("Bring it back please."), and a confidence within
        ``margin`` above its line (the abuse model's 0.5, or the rule's kind confidence bound) is
        little better than a coin toss: both wait in triage rather than reach moderation.
        """
        if not self.moderates:
            return None
        by_abuse = self.abuse is True
        by_kind = labels.kind == "abuse" and "abuse" in (self.kind or [])
        if labels.part:
            return "it is a part of a mixed message, judged without the rest of the post"
        if by_abuse and labels.abuse_confidence is not None:
            score, line, name = labels.abuse_confidence, ABUSE_LINE, "abuse"
        elif by_kind and not by_abuse:
            score, line, name = labels.confidence, min_confidence, "kind"
        else:
            return None
        if score < line + margin:
            return f"{name} confidence {score:.2f} is within {margin:g} of the line {line:g}"
        return None

    @cached_property
    def _keyword_patterns(self) -> list[tuple[str, re.Pattern[str]]]:
        return [(keyword, _keyword_pattern(keyword)) for keyword in self.keywords or []]

    def check(self, labels: Labels, min_confidence: float) -> tuple[str | None, list[str]]:
        """The first condition that fails (None when all hold), and those that held.

        ``min_confidence`` is the rule's own bound or, where it sets none, the triage threshold.
        """
        held: list[str] = []

        def among(name: str, value: str | None, wanted: list[str] | None) -> str | None:
            if wanted is None:
                return None
            if value not in wanted:
                return f"{name} is {_shown(value)}, rule wants {_wanted(wanted)}"
            held.append(f"{name} {value}")
            return None

        def confidence() -> str | None:
            if min_confidence <= 0:
                return None
            bound = f"{min_confidence:g}" + ("" if self.min_confidence is not None else " (triage_below)")
            if labels.confidence < min_confidence:
                return f"kind confidence {labels.confidence:.2f} under {bound}"
            held.append(f"kind confidence {labels.confidence:.2f} ≥ {bound}")
            return None

        def urgency_at_least() -> str | None:
            if self.min_urgency is None:
                return None
            rank = URGENCIES.index(labels.urgency) if labels.urgency in URGENCIES else -1
            if rank < URGENCIES.index(self.min_urgency):
                return f"urgency is {_shown(labels.urgency)}, rule wants at least {self.min_urgency}"
            held.append(f"urgency {labels.urgency} (at least {self.min_urgency})")
            return None

        def language() -> str | None:
            if self.language is None:
                return None
            value = (labels.language or "").lower()
            if not any(value == want or value.startswith(want + "-") for want in self.language):
                return f"language is {labels.language or 'unknown'}, rule wants {_wanted(self.language)}"
            held.append(f"language {labels.language}")
            return None

        def abuse() -> str | None:
            if self.abuse is None:
                return None
            if labels.abuse is not self.abuse:
                return f"abuse is {_shown(labels.abuse)}, rule wants {_shown(self.abuse)}"
            held.append(f"abuse {_shown(self.abuse)}")
            return None

        def author() -> str | None:
            for name, wanted in (self.author or {}).items():
                value = labels.metadata.get(name)
                if value not in wanted:
                    shown = "unset" if value is None else f"'{value}'"
                    return f"author {name} is {shown}, rule wants {_wanted([repr(w) for w in wanted])}"
                held.append(f"author {name} '{value}'")
            return None

        def keywords() -> str | None:
            if not self.keywords:
                return None
            for keyword, pattern in self._keyword_patterns:
                if pattern.search(labels.text):
                    held.append(f"keyword '{keyword}'")
                    return None
            return f"no keyword in the text ({', '.join(self.keywords)})"

        checks = (
            lambda: among("kind", labels.kind, self.kind),
            confidence,
            lambda: among("sentiment", labels.sentiment, self.sentiment),
            lambda: among("urgency", labels.urgency, self.urgency),
            urgency_at_least,
            language,
            lambda: among("topic", labels.topic, self.topic),
            abuse,
            lambda: among("source", labels.source, self.source),
            author,
            keywords,
        )
        for check in checks:
            failed = check()
            if failed is not None:
                return failed, held
        return None, held


class BoardSink(RoutingSink):
    """The built-in ticket board: stays inside the service, so nothing is redacted."""

    type: Literal["board"]

    @property
    def destination(self) -> str:
        return "board"

    def priority_of(self, urgency: str | None) -> str | None:
        """On the board a ticket's priority is its item's urgency: high comes first."""
        return urgency


if TYPE_CHECKING:
    Sink = RoutingSink
else:  # one model per registered integration that is a sink, told apart by their type
    Sink = Annotated[Union[(*plugins.sink_models(), BoardSink)], Field(discriminator="type")]  # noqa: UP007


class Team(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sinks: list[Sink] = Field(min_length=1)


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    when: Condition = Field(default_factory=Condition)
    team: TeamName


class RoutingConfig(BaseModel):
    """A routing file. Version 1 files have no ``teams``: each team they name gets the board."""

    model_config = ConfigDict(extra="forbid")

    version: Literal[1, 2] = 1
    triage_below: float | None = Field(default=None, ge=0, le=1)
    # A rule that sends to moderation (it tests abuse: true or kind: abuse) does not take a part of a
    # mixed message, nor an item whose confidence is less than this above the rule's line: a person
    # decides those in triage. 0 leaves only the parts to triage.
    moderation_review_margin: float = Field(default=DEFAULT_REVIEW_MARGIN, ge=0, le=0.5)
    teams: dict[TeamName, Team] = {}
    rules: list[Rule]
    default_team: TeamName = TRIAGE

    @model_validator(mode="after")
    def _implicit_board_teams(self) -> "RoutingConfig":
        if self.version == 1 and not self.teams:
            named = [rule.team for rule in self.rules] + [self.default_team]
            self.teams = {team: Team(sinks=[BoardSink(type="board")]) for team in named if team != TRIAGE}
        return self

    @property
    def threshold(self) -> float:
        """Kind confidence under which no rule matches unless it sets its own min_confidence."""
        if self.triage_below is not None:
            return self.triage_below
        return V2_THRESHOLD if self.version == 2 else 0.0

    def sinks_of(self, team: str) -> tuple[Sink, ...]:
        return tuple(self.teams[team].sinks) if team in self.teams else ()


def _cross_check(config: RoutingConfig, data: dict[str, Any]) -> list[tuple[tuple[int | str, ...], str]]:
    """What one field cannot know: teams named but not declared, names used twice, and so on."""
    problems: list[tuple[tuple[int | str, ...], str]] = []
    if config.version == 1:
        for key in ("teams", "triage_below"):
            if key in data:
                problems.append(((key,), f"needs 'version: 2' (this file says version {config.version})"))
    if TRIAGE in (data.get("teams") or {}):
        problems.append((("teams", TRIAGE), "'triage' is reserved: it is the inbox that waits for a human"))
    declared = ", ".join(sorted(set(config.teams) - {TRIAGE})) or "none"
    for index, rule in enumerate(config.rules):
        if rule.team != TRIAGE and rule.team not in config.teams:
            problems.append(
                (("rules", index, "team"), f"team '{rule.team}' is not declared under teams ({declared})")
            )
    if config.default_team != TRIAGE and config.default_team not in config.teams:
        problems.append(
            (("default_team",), f"team '{config.default_team}' is not declared under teams ({declared})")
        )
    first_of: dict[str, int] = {}
    for index, rule in enumerate(config.rules):
        if rule.name in first_of:
            problems.append(
                (("rules", index, "name"), f"rule '{rule.name}' is already rules.{first_of[rule.name]}")
            )
        first_of.setdefault(rule.name, index)
    for name, team in config.teams.items():
        seen: dict[str, int] = {}
        for index, sink in enumerate(team.sinks):
            if sink.destination in seen:
                problems.append(
                    (("teams", name, "sinks", index), f"same destination as sinks.{seen[sink.destination]}")
                )
            seen.setdefault(sink.destination, index)
    return problems


# --- decisions --------------------------------------------------------------------------------


class RuleTrial(BaseModel):
    """One rule tried: ``failed`` names the condition that did not hold, ``held`` those that did."""

    rule: str
    matched: bool
    failed: str | None = None
    held: list[str] = []


class RouteExplanation(BaseModel):
    """Why an item went where it went; stored with the item and returned by the API."""

    team: str
    rule: str | None
    reason: str
    labels: dict[str, Any]
    rules: list[RuleTrial]
    sinks: list[dict[str, Any]]


@dataclass(frozen=True)
class RouteDecision:
    """Where an item goes: the team (or triage), the rule, the team's sinks, and why."""

    team: str
    rule: str | None
    reason: str
    labels: Labels
    sinks: tuple[Sink, ...] = ()
    trials: tuple[RuleTrial, ...] = ()

    def explain(self, reason: str | None = None) -> RouteExplanation:
        return RouteExplanation(
            team=self.team,
            rule=self.rule,
            reason=reason or self.reason,
            labels=self.labels.to_dict(),
            rules=list(self.trials),
            sinks=[sink.model_dump(mode="json") for sink in self.sinks],
        )


def decide(config: RoutingConfig, labels: Labels) -> RouteDecision:
    """Try each rule in order; the first whose conditions all hold names the team.

    No match: an item whose kind confidence is under the triage threshold waits in triage,
    any other goes to ``default_team``. A moderation rule's match on a part of a mixed message, or
    near its line, waits in triage too (``Condition.review``).
    """
    trials: list[RuleTrial] = []
    for rule in config.rules:
        bound = rule.when.min_confidence if rule.when.min_confidence is not None else config.threshold
        failed, held = rule.when.check(labels, bound)
        if failed is not None:
            trials.append(RuleTrial(rule=rule.name, matched=False, failed=failed))
            continue
        trials.append(RuleTrial(rule=rule.name, matched=True, held=held))
        unsure = rule.when.review(labels, bound, config.moderation_review_margin)
        if unsure is not None:
            return RouteDecision(
                team=TRIAGE,
                rule=None,
                reason=f"rule '{rule.name}' would send it to {rule.team}, but a person decides: {unsure}",
                labels=labels,
                trials=tuple(trials),
            )
        return RouteDecision(
            team=rule.team,
            rule=rule.name,
            reason=f"rule '{rule.name}' matched: {', '.join(held) or 'it has no conditions'}",
            labels=labels,
            sinks=config.sinks_of(rule.team),
            trials=tuple(trials),
        )
    if labels.confidence < config.threshold:
        team = TRIAGE
        reason = f"kind confidence {labels.confidence:.2f} under the triage threshold {config.threshold:g}"
    else:
        team = config.default_team
        reason = (
            f"no rule matched kind {labels.kind} (confidence {labels.confidence:.2f}); default team {team}"
        )
    return RouteDecision(
        team=team, rule=None, reason=reason, labels=labels, sinks=config.sinks_of(team), trials=tuple(trials)
    )


def by_hand(config: RoutingConfig, labels: Labels, *, team: str, reason: str) -> RouteDecision:
    """A manager's choice of team, with that team's sinks; the team must be declared."""
    if team == TRIAGE or team not in config.teams:
        known = ", ".join(sorted(config.teams)) or "none"
        raise KeyError(f"unknown team '{team}'; the routing file declares {known}")
    return RouteDecision(team=team, rule=MANUAL, reason=reason, labels=labels, sinks=config.sinks_of(team))


# --- reading files ----------------------------------------------------------------------------


def _locate(tree: yaml.Node | None, loc: tuple[int | str, ...]) -> tuple[int, str]:
    """The 1-based line of the YAML node at a pydantic error location, and the path to show."""
    node = tree
    line = node.start_mark.line + 1 if node is not None else 1
    path: list[str] = []
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        if isinstance(node, yaml.MappingNode):
            found = next(((k, v) for k, v in node.value if k.value == part), None)
            if found is None:
                if not last and isinstance(part, str):
                    continue  # the tag pydantic adds for a discriminated union (a sink's type)
                if part != "[key]":
                    path.append(str(part))
                break  # a missing key: report its parent
            key, node = found
            path.append(str(part))
            line = key.start_mark.line + 1  # a key's line, also where its value starts below it
            if index + 1 < len(loc) and loc[index + 1] == "[key]":  # the key itself is wrong
                break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            path.append(str(part))
            line = node.start_mark.line + 1
        else:
            path.extend(str(p) for p in loc[index:])
            break
    return line, ".".join(path)


def parse(text: str, origin: str = "<routing>") -> RoutingConfig:
    """Parse and validate routing YAML; RoutingFileError lists each problem with its line."""
    try:
        tree = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise RoutingFileError(
            origin, [Problem(line, "", f"not valid YAML: {getattr(exc, 'problem', exc)}")]
        ) from exc
    if not isinstance(data, dict):
        raise RoutingFileError(origin, [Problem(1, "", "routing file must be a mapping with 'rules'")])
    try:
        config = RoutingConfig.model_validate(data)
    except ValidationError as exc:
        errors = [(error["loc"], error["msg"]) for error in exc.errors()]
    else:
        errors = _cross_check(config, data)
        if not errors:
            return config
    problems = []
    for loc, message in errors:
        line, path = _locate(tree, loc)
        problems.append(Problem(line, path or "file", message))
    raise RoutingFileError(origin, problems)


def load(path: Path | None) -> RoutingConfig:
    """The routing file at ``path``, or the packaged default."""
    path = path or DEFAULT_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"routing file {path} cannot be read: {exc.strerror}") from exc
    return parse(text, str(path))
