"""Jira as a routing sink: the descriptor that the ``feedback_router.integrations`` entry point names."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from integrations.base import Delivered, Integration, OutletContext, RoutingSink, SinkMessage, TicketRequest
from integrations.errors import PermanentIntegrationError
from integrations.jira.config import JiraConfig, JiraSettings
from integrations.jira.sink import JiraTicketSink

Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Urgency = Literal["low", "normal", "high"]


class JiraSink(RoutingSink):
    """A Jira issue in the team's project."""

    type: Literal["jira"]
    project: Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{1,9}$")]
    issue_type: Short = "Task"
    labels: list[Annotated[str, StringConstraints(pattern=r"^\S{1,255}$")]] = []
    priority: dict[Urgency, Short] = Field(
        default_factory=dict, description="Jira priority name per urgency; unset: the project default"
    )
    component_from_topic: bool = False
    redact: bool = True

    @property
    def destination(self) -> str:
        return f"jira:{self.project}"

    def priority_of(self, urgency: str | None) -> str | None:
        """The Jira priority for an item of this urgency; None: the project's default."""
        return self.priority.get(urgency) if urgency else None  # type: ignore[call-overload]


class JiraOutlet:
    """Issues in Jira, one client per redaction setting, made on first use."""

    def __init__(self, settings: JiraSettings, context: OutletContext) -> None:
        self.settings = settings
        self.context = context
        self._clients: dict[bool, JiraTicketSink] = {}

    def missing(self, sink: JiraSink | None = None) -> str | None:
        if self.settings.url is None or self.settings.token is None:
            return f"set {self.context.variable('url')} and {self.context.variable('token')}"
        return None

    def client(self, redact: bool) -> JiraTicketSink:
        """The Jira client for sinks with this ``redact``; also for comments, links and status polls."""
        url, token = self.settings.url, self.settings.token
        if url is None or token is None:
            raise PermanentIntegrationError(f"Jira is not configured: {self.missing()}")
        if redact not in self._clients:
            config = JiraConfig(
                url=url, user=self.settings.user, token=token, timeout=self.context.timeout, redact=redact
            )
            self._clients[redact] = JiraTicketSink(config)
        return self._clients[redact]

    def deliver(self, sink: JiraSink, message: SinkMessage) -> Delivered:
        """Create the issue; after an earlier attempt, look it up by our label first (no second issue)."""
        request = TicketRequest(
            ref=message.ref,
            project=sink.project,
            issue_type=sink.issue_type,
            summary=message.summary,
            description=message.description,
            labels=[*message.labels, *sink.labels],
            priority=sink.priority_of(message.urgency),
            components=[message.topic] if sink.component_from_topic and message.topic else [],
        )
        jira = self.client(sink.redact)
        found = jira.find(request.ref, sink.project) if message.tried_before else None
        ref = found or jira.create(request)
        return Delivered(key=ref.key, url=ref.url)

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()


INTEGRATION = Integration(
    name="jira",
    title="Jira",
    settings=JiraSettings,
    capabilities=frozenset({"sink", "tickets", "ticket_status"}),
    sink=JiraSink,
    outlet=JiraOutlet,
)
