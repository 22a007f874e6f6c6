"""The small interfaces the service talks to, one per capability, and the models they exchange.

An outside system plugs in by implementing one of these protocols (structurally: no base class to
inherit). Arguments and results are pydantic models, so a call site never builds loose dicts and a
mistake is caught where the model is built, not at the remote end.

Failures are raised as the classes in :mod:`integrations.errors`; an implementation never retries by
itself (the service's tasks own retries and backoff), never logs secrets and never returns ``None``
to mean "failed".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Protocol, get_args, runtime_checkable

from pydantic import AfterValidator, AnyHttpUrl, BaseModel, ConfigDict, Field, StringConstraints

from integrations.redact import redact_then_cut

__all__ = [
    "Capability",
    "CommunityPublisher",
    "Delivered",
    "Integration",
    "LabelValue",
    "Notification",
    "Notifier",
    "OutletContext",
    "PostRef",
    "RoutingSink",
    "SinkMessage",
    "SinkOutlet",
    "StatusCategory",
    "TicketRef",
    "TicketRequest",
    "TicketSink",
    "TicketStatus",
    "TicketStatusSource",
    "TicketUpdate",
]

SUMMARY_MAX = 255  # Jira's limit, a sensible one for any tracker


def _single_line(value: str) -> str:
    """Collapse whitespace (trackers reject newlines in summaries) and cut to SUMMARY_MAX.

    A summary that has to be cut is redacted first, whatever the sink's setting: cut, half an IBAN
    or phone number would pass a redacting sink unrecognised.
    """
    value = " ".join(value.split())
    if len(value) > SUMMARY_MAX:
        value = redact_then_cut(value, SUMMARY_MAX)
    if not value:
        raise ValueError("summary must not be empty")
    return value


# Labels travel into JQL and Jira rejects labels with whitespace: keep them to a safe alphabet.
Label = Annotated[str, StringConstraints(pattern=r"^[\w.:+/@#-]+$", max_length=255)]
Summary = Annotated[str, AfterValidator(_single_line)]
ProjectKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]*$", max_length=100)]
Ref = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][\w.:-]*$", max_length=100)]


class TicketRequest(BaseModel):
    """A ticket to create in an outside tracker.

    Attributes:
        ref: our id for the subject, used as a label on the ticket (``"fr-42"``); it makes the ticket
            findable after an unclear failure (:meth:`TicketSink.find`). Sinks always add it.
        summary: one line; whitespace is collapsed, and one longer than 255 characters is redacted
            and cut (:func:`~integrations.redact.redact_then_cut`).
        description: plain text with a little Markdown: blank lines separate paragraphs, lines
            starting with ``> `` are a quote, lines starting with ``- `` or ``* `` a bullet list.
        labels: further labels (``"feedback-router"``, ``"kind:bug"``), no whitespace.
        priority: the tracker's priority name (``"High"``), or ``None`` for its default.
        components: component names (our topics), which must exist in the project.
        project: the tracker's project key (``"FR"``).
        issue_type: the tracker's issue type name.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    ref: Ref
    summary: Summary
    description: str = ""
    labels: list[Label] = Field(default_factory=list)
    priority: str | None = None
    components: list[str] = Field(default_factory=list)
    project: ProjectKey
    issue_type: str = "Task"

    @property
    def all_labels(self) -> list[str]:
        """The labels to set on the ticket: ``labels`` and then ``ref``, each once, in order."""
        return list(dict.fromkeys([*self.labels, self.ref]))


class TicketUpdate(BaseModel):
    """Changes to an existing ticket; fields left ``None`` (or empty) stay as they are.

    Attributes:
        summary: a new summary (normalised like :attr:`TicketRequest.summary`).
        description: a new description, same format as :attr:`TicketRequest.description`.
        priority: a new priority name.
        components: the new complete list of components.
        add_labels: labels to add; existing labels are kept.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    summary: Summary | None = None
    description: str | None = None
    priority: str | None = None
    components: list[str] | None = None
    add_labels: list[Label] = Field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """True when there is nothing to change."""
        return (
            self.summary is None
            and self.description is None
            and self.priority is None
            and self.components is None
            and not self.add_labels
        )


class TicketRef(BaseModel):
    """Where a ticket lives in the outside tracker.

    Attributes:
        key: the human key (``"FR-12"``); use it for later calls.
        id: the tracker's stable internal id (``"10012"``).
        url: the page a person opens in a browser.
    """

    model_config = ConfigDict(frozen=True)

    key: str
    id: str
    url: str


@runtime_checkable
class TicketSink(Protocol):
    """A tracker that holds tickets (Jira, the built-in board, ...).

    There is no idempotency key on create in most trackers: exactly-once is built by the caller,
    who stores a delivery row first, creates with ``ref`` as a label, and after an
    :class:`~integrations.errors.UnclearOutcomeError` calls :meth:`find` before creating again.
    """

    def create(self, request: TicketRequest) -> TicketRef:
        """Create a ticket.

        Args:
            request: what to create; ``request.ref`` is added as a label.

        Returns:
            The created ticket.

        Raises:
            RetryableIntegrationError: try again later (``UnclearOutcomeError``: find first).
            PermanentIntegrationError: the request or the configuration is wrong.
        """
        ...

    def find(self, ref: str, project: str) -> TicketRef | None:
        """Look a ticket up by our label.

        Args:
            ref: our id label, as in :attr:`TicketRequest.ref`.
            project: the project key to search in.

        Returns:
            The oldest ticket carrying the label, or ``None``. A ticket created seconds ago may not
            be found yet where the tracker's search is eventually consistent (Jira Cloud).
        """
        ...

    def add_comment(self, key: str, text: str) -> str:
        """Add a comment to a ticket.

        Args:
            key: the ticket key (:attr:`TicketRef.key`).
            text: plain text, same format as :attr:`TicketRequest.description`.

        Returns:
            The tracker's id of the new comment.
        """
        ...

    def update(self, key: str, update: TicketUpdate) -> None:
        """Change fields of a ticket (e.g. a cluster ticket that grew).

        Args:
            key: the ticket key (:attr:`TicketRef.key`).
            update: the changes; an empty update sends nothing.
        """
        ...


StatusCategory = Literal["new", "indeterminate", "done"]


class TicketStatus(BaseModel):
    """Where a ticket stands in its tracker's workflow.

    Attributes:
        name: the tracker's own status name (``"In Review"``, ``"Won't Do"``); workflows differ.
        category: what the status means whatever its name: ``"new"`` (not started), ``"indeterminate"``
            (in progress) or ``"done"`` (finished, whether fixed or declined); ``None`` when the tracker
            does not say.
    """

    model_config = ConfigDict(frozen=True)

    name: str
    category: StatusCategory | None = None


@runtime_checkable
class TicketStatusSource(Protocol):
    """A tracker whose ticket statuses can be polled (the fallback when its webhooks are not set up)."""

    def statuses(self, keys: list[str]) -> dict[str, TicketStatus]:
        """The current status of each ticket.

        Args:
            keys: ticket keys (:attr:`TicketRef.key`); duplicates are asked for once.

        Returns:
            Key → status for the tickets that were found. A key that is missing was deleted, moved out of
            reach or is not visible to our account (or, on an eventually consistent search, too new).
        """
        ...


class PostRef(BaseModel):
    """A post in a forum: the first post of a topic, or a reply.

    Attributes:
        id: the forum's post id.
        topic_id: the topic (thread) the post is in.
        post_number: its position in the topic, 1 for the first post.
        url: the page a person opens in a browser.
    """

    model_config = ConfigDict(frozen=True)

    id: int
    topic_id: int
    post_number: int = 1
    url: str


@runtime_checkable
class CommunityPublisher(Protocol):
    """A community forum we write to: digests as new topics, thanks as replies (Discourse)."""

    def create_topic(self, title: str, raw: str, category: int | None = None) -> PostRef:
        """Open a topic.

        Args:
            title: one line.
            raw: the body, Markdown.
            category: the forum's category id, or ``None`` for its default.

        Returns:
            The topic's first post.

        Raises:
            RetryableIntegrationError: try again later (``UnclearOutcomeError``: it may exist already).
            PermanentIntegrationError: rejected (too short, duplicate title, no permission, ...).
        """
        ...

    def reply(self, topic_id: int, raw: str) -> PostRef:
        """Reply in a topic.

        Args:
            topic_id: :attr:`PostRef.topic_id` of the topic.
            raw: the body, Markdown.

        Returns:
            The new post.
        """
        ...


class LabelValue(BaseModel):
    """One automated label on a feedback item with the model's confidence (0..1) in it."""

    model_config = ConfigDict(frozen=True)

    value: str
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)


class Notification(BaseModel):
    """A message about one feedback item (or cluster) for people: Slack, outgoing webhooks, mail.

    Attributes:
        title: one line, e.g. ``"Bug report from the forum"``.
        text: the feedback itself, shown as a quote.
        author: who wrote it, as the source names them.
        source: where it came from (``"forum"``, ``"app_review"``, ...).
        link: the original post, if it has a public address.
        item_url: the item in our web UI.
        labels: label name → value and confidence (``{"kind": LabelValue(value="bug", confidence=0.93)}``).
        reason: why it was routed here (the rule or the nearest examples).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str = Field(min_length=1)
    text: str
    author: str | None = None
    source: str | None = None
    link: AnyHttpUrl | None = None
    item_url: AnyHttpUrl | None = None
    labels: dict[str, LabelValue] = Field(default_factory=dict)
    reason: str | None = None


@runtime_checkable
class Notifier(Protocol):
    """Something that tells people about a feedback item (Slack, an outgoing webhook, mail)."""

    def send(self, notification: Notification) -> str | None:
        """Deliver one notification.

        Args:
            notification: what to say.

        Returns:
            An external reference to the delivered message when the system gives one (Slack:
            ``"<channel id>/<ts>"``), else ``None``.

        Raises:
            RetryableIntegrationError: try again later.
            PermanentIntegrationError: the configuration or the message is wrong.
        """
        ...


# --- plugins: what an integration declares, so that the service builds its sinks and outlets ---------


class RoutingSink(BaseModel):
    """The base of a sink in a routing file (``teams.<team>.sinks``): ``type`` names the integration.

    A subclass declares ``type: Literal["<name>"]`` and the fields a routing file sets for it (a project,
    a channel, a URL); the service validates each sink entry against the subclass its ``type`` names.
    """

    model_config = ConfigDict(extra="forbid")

    type: str

    @property
    def destination(self) -> str:
        """Where the sink delivers (``"jira:FR"``): one ticket row is kept per item and destination, and a
        team must not name one destination twice."""
        raise NotImplementedError

    def priority_of(self, urgency: str | None) -> str | None:
        """The priority a ticket for an item of this urgency gets; None: the sink has no priorities."""
        return None


class SinkMessage(BaseModel):
    """What the service hands a sink for one delivery; the same on every attempt.

    Attributes:
        ref: our id for the subject (``"fr-42"``, ``"fr-cluster-7"``): a label that finds a ticket again.
        delivery_id: stable across attempts (``"fr-42-t7"``), for a receiver to drop repeats.
        summary: one line: a ticket's summary.
        description: a ticket's text, formatted as :attr:`TicketRequest.description`.
        labels: our labels for the ticket (``"feedback-router"``); the sink may add its own.
        urgency: the item's urgency (``"high"``), for :meth:`RoutingSink.priority_of`; None for a cluster.
        topic: the item's topic, None for a cluster.
        notification: the same for people (Slack, webhooks).
        tried_before: an earlier attempt may have reached the system: look the ticket up before creating.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    ref: Ref
    delivery_id: str
    summary: str
    description: str = ""
    labels: list[Label] = Field(default_factory=list)
    urgency: str | None = None
    topic: str | None = None
    notification: Notification
    tried_before: bool = False


class Delivered(BaseModel):
    """What a sink made: the outside system's reference (``"FR-12"``, ``"C0123/1700000000.000100"``) and
    the page a person opens, each None where the system gives none."""

    model_config = ConfigDict(frozen=True)

    key: str | None = None
    url: str | None = None


@runtime_checkable
class SinkOutlet(Protocol):
    """Delivers to the sinks of one integration; built once per worker by :attr:`Integration.outlet`."""

    def missing(self, sink: Any) -> str | None:
        """What the settings lack to reach ``sink``.

        Returns:
            An instruction naming the variables to set (``"set FEEDBACK_ROUTER_JIRA__URL and ..."``), or
            None when the sink can be reached. The service reports it when a routing file is checked.
        """
        ...

    def deliver(self, sink: Any, message: SinkMessage) -> Delivered:
        """Deliver one message to one sink of the routing file.

        Args:
            sink: the routing file's entry, an instance of :attr:`Integration.sink`.
            message: what to deliver.

        Raises:
            RetryableIntegrationError: try again later (``UnclearOutcomeError``: it may have arrived).
            PermanentIntegrationError: not configured (:meth:`missing`), or rejected for good.
        """
        ...

    def close(self) -> None:
        """Close the connections the outlet opened."""
        ...


@dataclass(frozen=True)
class OutletContext:
    """What the service lends an outlet besides the integration's own settings.

    Attributes:
        timeout: seconds per call to the outside system (``FEEDBACK_ROUTER_DELIVERY_TIMEOUT``).
        variable: the environment variable of one of the integration's settings, for messages:
            ``"url"`` → ``"FEEDBACK_ROUTER_JIRA__URL"``.
        secret: the value of a secret that a routing file names by its variable (a webhook's
            ``secret_env``), None when unset; integrations never read the environment themselves.
    """

    timeout: float
    variable: Callable[[str], str]
    secret: Callable[[str], str | None]


Capability = Literal["sink", "tickets", "ticket_status", "notify", "publish", "mail", "capture"]


@dataclass(frozen=True)
class Integration:
    """The descriptor an integration exports, registered under the entry point group
    ``feedback_router.integrations`` (see ``docs/integrations.md``).

    Attributes:
        name: lower-case, the sink's ``type`` in routing files and the settings group:
            ``FEEDBACK_ROUTER_<NAME>__<FIELD>``.
        title: the system's name for people (``"Jira"``), in messages.
        settings: a pydantic model of the integration's settings; every field needs a default, so that
            a service that does not use the integration starts without them.
        capabilities: what it can do: ``"sink"`` (routing files send to it) and the interfaces above it
            implements (``"tickets"``, ``"ticket_status"``, ``"notify"``, ``"publish"``, ``"mail"``,
            ``"capture"``).
        sink: the routing file's model of one of its sinks, for a ``"sink"``.
        outlet: builds the outlet from the integration's settings, for a ``"sink"``; it connects
            nothing until the first delivery.
    """

    name: str
    title: str
    settings: type[BaseModel]
    capabilities: frozenset[Capability]
    sink: type[RoutingSink] | None = None
    outlet: Callable[[Any, OutletContext], SinkOutlet] | None = None

    def __post_init__(self) -> None:
        if not self.name.isidentifier() or self.name != self.name.lower():
            raise ValueError(f"integration name {self.name!r} must be a lower-case identifier")
        if ("sink" in self.capabilities) != (self.sink is not None and self.outlet is not None):
            raise ValueError(
                f"integration {self.name!r}: a sink needs the capability 'sink', a sink model and an outlet"
            )
        if self.sink is not None and get_args(self.sink.model_fields["type"].annotation) != (self.name,):
            raise ValueError(f"integration {self.name!r}: its sink model needs type: Literal[{self.name!r}]")
