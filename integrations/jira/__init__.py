"""Jira Cloud and Jira Data Center / Server as a ticket sink.

Usage::

    from integrations.jira import JiraConfig, JiraTicketSink
    from integrations.base import TicketRequest

    config = JiraConfig(url="https://example.atlassian.net", user="bot@example.com", token="...")
    with JiraTicketSink(config) as sink:
        ref = sink.create(TicketRequest(ref="fr-42", project="FR", summary="Export fails",
                                        description="> The CSV export is empty", labels=["feedback-router"]))
        sink.find("fr-42", "FR")            # -> the same TicketRef
        sink.statuses(["FR-1", "FR-2"])     # -> {"FR-1": TicketStatus(name="Done", category="done"), ...}
        sink.link_duplicate("FR-2", "FR-1") # FR-2 duplicates FR-1 (merged clusters)

    # the webhook route, with the raw body bytes:
    from integrations.jira import parse_issue_event, verify_jira_signature

    if verify_jira_signature(config.webhook_secret, raw_body, request.headers.get("X-Hub-Signature")):
        event = parse_issue_event(raw_body)  # IssueEvent: key, labels, status and its change

Cloud or Data Center is chosen by ``JiraConfig.user``: an account e-mail means Cloud (basic auth with an
API token, REST v3, Atlassian Document Format), empty means Data Center (personal access token as
Bearer, REST v2, wiki-markup strings). The sink checks that against the server's ``deploymentType``.

Why the ``jira`` client and not plain httpx: it is the project standard, and it already knows the
differences that matter here, which change under us: which search endpoint a deployment has (Cloud
retired ``/rest/api/2/search`` for ``/rest/api/3/search/jql`` with token paging), the auth schemes,
field-name translation for JQL, resource URLs behind proxies and context paths. Its tests run it
unchanged against the fake in ``tests/fakes/jira.py``. What we change: ``max_retries=0`` (its retry
loop sleeps 10·2ⁿ seconds inside the call; retries and backoff belong to our tasks), a ``timeout``,
``prefetch=False`` on create, project and issue type passed by key and name (one request per create),
and every exception it raises (``JIRAError``, ``requests``/``urllib3`` errors) mapped to
:mod:`integrations.errors`, telling a lost answer after sending (:class:`UnclearOutcomeError`) from a
connection that never opened. Nothing here needed httpx.
"""

from integrations.jira.config import JiraConfig, JiraSettings
from integrations.jira.plugin import JiraOutlet, JiraSink
from integrations.jira.sink import JiraTicketSink
from integrations.jira.webhook import (
    IDENTIFIER_HEADER,
    RETRY_HEADER,
    SIGNATURE_HEADER,
    IssueEvent,
    parse_issue_event,
    verify_jira_signature,
)

__all__ = [
    "IDENTIFIER_HEADER",
    "RETRY_HEADER",
    "SIGNATURE_HEADER",
    "IssueEvent",
    "JiraConfig",
    "JiraOutlet",
    "JiraSettings",
    "JiraSink",
    "JiraTicketSink",
    "parse_issue_event",
    "verify_jira_signature",
]
