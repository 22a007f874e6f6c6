"""Closing the loop with Jira: statuses by polling, duplicate links, and status webhooks (fake Jira)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from integrations.base import TicketRequest, TicketStatus, TicketStatusSource
from integrations.errors import PermanentIntegrationError, RetryableIntegrationError, WebhookPayloadError
from integrations.jira import (
    IDENTIFIER_HEADER,
    RETRY_HEADER,
    SIGNATURE_HEADER,
    IssueEvent,
    JiraConfig,
    JiraTicketSink,
    parse_issue_event,
    verify_jira_signature,
)
from tests.fakes.jira import FakeJira
from tests.fakes.server import Drop, Reply

SECRET = "jira-webhook-secret"


@pytest.fixture(params=["cloud", "server"])
def fake(request: pytest.FixtureRequest) -> FakeJira:
    """Each test with this fixture runs against Jira Cloud and against Jira Data Center."""
    fake_jira: FakeJira = request.getfixturevalue(f"fake_jira_{request.param}")
    return fake_jira


@pytest.fixture
def sink(fake: FakeJira) -> Iterator[JiraTicketSink]:
    config = JiraConfig(url=fake.url, user=fake.user if fake.cloud else "", token=fake.token, timeout=5)
    with JiraTicketSink(config) as jira_sink:
        yield jira_sink


def create(sink: JiraTicketSink, number: int) -> str:
    request = TicketRequest(ref=f"fr-{number}", project="FR", summary=f"Feedback cluster {number}")
    return sink.create(request).key


# -- polling ------------------------------------------------------------------------------------


def test_statuses_are_read_with_their_category(fake: FakeJira, sink: JiraTicketSink) -> None:
    assert isinstance(sink, TicketStatusSource)
    first, second, third = (create(sink, n) for n in (1, 2, 3))
    fake.set_status(second, "In Review", category="indeterminate")
    fake.set_status(third, "Won't Do", category="done")

    statuses = sink.statuses([first, second, third, first])

    assert statuses == {
        first: TicketStatus(name="To Do", category="new"),
        second: TicketStatus(name="In Review", category="indeterminate"),
        third: TicketStatus(name="Won't Do", category="done"),
    }
    search = "/rest/api/3/search/jql" if fake.cloud else "/rest/api/2/search"
    [request] = fake.requests_to("GET", search)
    assert request.param("jql") == f'key in ("{first}", "{second}", "{third}")'
    assert request.query["fields"] == ["status"]


def test_statuses_are_asked_for_in_batches_of_fifty(fake: FakeJira, sink: JiraTicketSink) -> None:
    keys = [fake.add_issue(f"Issue {n}") for n in range(1, 121)]
    fake.set_status(keys[-1], "Done")

    statuses = sink.statuses(keys)

    assert len(statuses) == 120
    assert statuses[keys[-1]] == TicketStatus(name="Done", category="done")
    searches = [r for r in fake.requests if r.method == "GET" and "/search" in r.path]
    assert [(r.param("jql") or "").count('"') // 2 for r in searches] == [50, 50, 20]


def test_deleted_or_invisible_issues_are_left_out(fake: FakeJira, sink: JiraTicketSink) -> None:
    kept = create(sink, 1)

    statuses = sink.statuses(["FR-404", kept, "FR-405"])

    assert statuses == {kept: TicketStatus(name="To Do", category="new")}
    searches = [r.param("jql") for r in fake.requests if r.method == "GET" and "/search" in r.path]
    assert searches == [f'key in ("FR-404", "{kept}", "FR-405")', f'key in ("{kept}")']


def test_no_keys_cost_no_request(fake: FakeJira, sink: JiraTicketSink) -> None:
    assert sink.statuses([]) == {}
    assert fake.requests == []


def test_a_status_without_a_known_category_has_none(fake: FakeJira, sink: JiraTicketSink) -> None:
    key = create(sink, 1)
    fake.set_status(key, "Triage", category="undefined")
    assert sink.statuses([key]) == {key: TicketStatus(name="Triage", category=None)}


def test_a_rate_limited_poll_is_retryable(fake: FakeJira, sink: JiraTicketSink) -> None:
    fake.script(
        "GET",
        "/rest/api/*/search*",
        Reply(429, {"errorMessages": ["Rate limit exceeded."]}, {"Retry-After": "5"}),
    )
    with pytest.raises(RetryableIntegrationError) as raised:
        sink.statuses(["FR-1"])
    assert raised.value.retry_after == 5


# -- duplicate links ----------------------------------------------------------------------------


def test_merged_clusters_link_their_tickets_as_duplicates(fake: FakeJira, sink: JiraTicketSink) -> None:
    kept, merged = create(sink, 1), create(sink, 2)

    sink.link_duplicate(merged, kept)
    sink.link_duplicate(merged, kept)  # a retry: Jira answers 201 and adds no second link

    assert fake.link_descriptions() == [f"{merged} duplicates {kept}"]
    [request, _] = fake.requests_to("POST", "/rest/api/*/issueLink")
    assert request.json() == {
        "type": {"name": "Duplicate"},
        "inwardIssue": {"key": merged},
        "outwardIssue": {"key": kept},
    }
    assert request.path == f"/rest/api/{3 if fake.cloud else 2}/issueLink"
    assert fake.requests_to("GET", "/rest/api/*/issueLinkType") == []  # no per-call look-up of the types


def test_linking_a_missing_issue_is_permanent(fake: FakeJira, sink: JiraTicketSink) -> None:
    kept = create(sink, 1)
    with pytest.raises(PermanentIntegrationError, match="Issue Does Not Exist") as raised:
        sink.link_duplicate("FR-99", kept)
    assert raised.value.status_code == 404
    assert fake.links == []


def test_a_lost_answer_to_a_link_is_plainly_retryable(fake: FakeJira, sink: JiraTicketSink) -> None:
    kept, merged = create(sink, 1), create(sink, 2)
    fake.script("POST", "/rest/api/*/issueLink", Drop())

    with pytest.raises(RetryableIntegrationError):
        sink.link_duplicate(merged, kept)
    sink.link_duplicate(merged, kept)  # linking is idempotent, so the retry is safe

    assert fake.link_descriptions() == [f"{merged} duplicates {kept}"]


# -- webhooks -----------------------------------------------------------------------------------


def test_a_status_webhook_says_which_ticket_moved_where(fake_jira_cloud: FakeJira) -> None:
    with JiraTicketSink(
        JiraConfig(url=fake_jira_cloud.url, user=fake_jira_cloud.user, token=fake_jira_cloud.token)
    ) as jira_sink:
        key = jira_sink.create(
            TicketRequest(ref="fr-42", project="FR", summary="Export empty", labels=["feedback-router"])
        ).key
    body, headers = fake_jira_cloud.webhook_payload(key, "To Do", "Done", SECRET, timestamp=1710496800)

    assert verify_jira_signature(SECRET, body, headers[SIGNATURE_HEADER])
    event = parse_issue_event(body)

    assert event == IssueEvent(
        webhook_event="jira:issue_updated",
        issue_key=key,
        issue_id=fake_jira_cloud.issue(key).id,
        labels=["feedback-router", "fr-42"],
        status_name="Done",
        status_category="done",
        changed_status_from="To Do",
        changed_status_to="Done",
        timestamp=datetime(2024, 3, 15, 10, 0, tzinfo=UTC),
    )
    assert event.status_changed
    assert fake_jira_cloud.issue(key).status == "Done"  # the change happened in Jira before the webhook


def test_a_retried_delivery_keeps_its_identifier(fake_jira_server: FakeJira) -> None:
    with JiraTicketSink(JiraConfig(url=fake_jira_server.url, token=fake_jira_server.token)) as jira_sink:
        key = jira_sink.create(TicketRequest(ref="fr-1", project="FR", summary="Login loop")).key

    _, first = fake_jira_server.webhook_payload(key, "To Do", "In Progress", SECRET)
    _, retry = fake_jira_server.webhook_payload(
        key, "To Do", "In Progress", SECRET, identifier=first[IDENTIFIER_HEADER], retry=1
    )
    _, other = fake_jira_server.webhook_payload(key, "In Progress", "Done", SECRET)

    assert retry[IDENTIFIER_HEADER] == first[IDENTIFIER_HEADER] != other[IDENTIFIER_HEADER]
    assert (RETRY_HEADER in first, retry[RETRY_HEADER]) == (False, "1")


def test_the_jira_signature_is_checked_on_the_raw_bytes(fake_jira_server: FakeJira) -> None:
    with JiraTicketSink(JiraConfig(url=fake_jira_server.url, token=fake_jira_server.token)) as jira_sink:
        key = jira_sink.create(TicketRequest(ref="fr-1", project="FR", summary="Login loop")).key
    body, headers = fake_jira_server.webhook_payload(key, "To Do", "Done", SECRET)
    signature = headers[SIGNATURE_HEADER]

    assert signature.startswith("sha256=") and len(signature) == 7 + 64
    assert verify_jira_signature(SECRET.encode(), body, signature)
    assert not verify_jira_signature(SECRET, json.dumps(json.loads(body)).encode() + b" ", signature)
    assert not verify_jira_signature("other-secret", body, signature)
    assert not verify_jira_signature(SECRET, body, None)
    assert not verify_jira_signature(None, body, signature)
    assert not verify_jira_signature(SECRET, body, "sha1=" + signature.removeprefix("sha256="))


def test_an_update_without_a_status_change_has_no_change() -> None:
    body = {
        "webhookEvent": "jira:issue_updated",
        "issue": {
            "id": "10001",
            "key": "FR-1",
            "fields": {"status": {"name": "In Progress"}, "labels": ["fr-1"]},
        },
        "changelog": {"items": [{"field": "labels", "fromString": "", "toString": "fr-1"}]},
    }

    event = parse_issue_event(body)

    assert (event.status_name, event.status_category, event.status_changed) == ("In Progress", None, False)
    assert event.changed_status_from is None and event.timestamp is None


def test_a_created_issue_event_without_changelog_is_read() -> None:
    body = json.dumps(
        {
            "timestamp": 1710496800000,
            "webhookEvent": "jira:issue_created",
            "issue": {
                "id": 10002,
                "key": "FR-2",
                "fields": {"status": {"name": "To Do", "statusCategory": {"key": "new"}}},
            },
        }
    )
    event = parse_issue_event(body)
    assert (event.issue_id, event.labels, event.status_category, event.status_changed) == (
        "10002",
        [],
        "new",
        False,
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "not JSON"),
        (b'"a string"', "not a JSON object"),
        (
            b'{"webhookEvent": "jira:version_released", "version": {"id": "1"}}',
            r"jira:version_released\) has no issue",
        ),
        (b'{"webhookEvent": "jira:issue_updated", "issue": {"id": "1"}}', "no issue with a key"),
    ],
)
def test_a_delivery_that_is_not_an_issue_event_is_a_payload_error(body: bytes, message: str) -> None:
    with pytest.raises(WebhookPayloadError, match=message):
        parse_issue_event(body)


@pytest.mark.parametrize("timestamp", [10**20, -(10**20), 1e308])
def test_a_timestamp_no_date_can_hold_is_a_payload_error(timestamp: float) -> None:
    body = json.dumps({"timestamp": timestamp, "issue": {"id": "1", "key": "FR-1"}})
    with pytest.raises(WebhookPayloadError, match="timestamp is not milliseconds since the epoch"):
        parse_issue_event(body)
