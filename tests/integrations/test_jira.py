"""JiraTicketSink, unchanged, with the real jira client, against the local fake Jira (Cloud and Server)."""

from __future__ import annotations

import base64
import logging
import socket
import traceback
from collections.abc import Iterator

import pytest

from integrations.base import TicketRef, TicketRequest, TicketSink, TicketUpdate
from integrations.errors import (
    PermanentIntegrationError,
    RetryableIntegrationError,
    UnclearOutcomeError,
)
from integrations.jira import JiraConfig, JiraTicketSink
from tests.fakes.jira import FakeJira
from tests.fakes.server import Drop, Hang, Reply

TIMEOUT = 5.0  # generous: the machine may be busy; only the fault tests wait for a timeout
FAULT_TIMEOUT = 0.5


def config_for(fake: FakeJira, **overrides: object) -> JiraConfig:
    values: dict[str, object] = {
        "url": fake.url,
        "user": fake.user if fake.cloud else "",
        "token": fake.token,
        "timeout": TIMEOUT,
        "settle_seconds": 5,
    }
    return JiraConfig.model_validate({**values, **overrides})


def request_for(number: int = 42, **overrides: object) -> TicketRequest:
    values: dict[str, object] = {
        "ref": f"fr-{number}",
        "project": "FR",
        "summary": "CSV export is empty",
        "description": "Reported on the forum.\n\n> The export gives me an empty file\n> since Monday.",
        "labels": ["feedback-router"],
    }
    return TicketRequest.model_validate({**values, **overrides})


@pytest.fixture(params=["cloud", "server"])
def fake(request: pytest.FixtureRequest) -> FakeJira:
    """Each test with this fixture runs against Jira Cloud and against Jira Data Center."""
    fake_jira: FakeJira = request.getfixturevalue(f"fake_jira_{request.param}")
    return fake_jira


@pytest.fixture
def sink(fake: FakeJira) -> Iterator[JiraTicketSink]:
    with JiraTicketSink(config_for(fake)) as jira_sink:
        yield jira_sink


@pytest.fixture
def impatient_sink(fake: FakeJira) -> Iterator[JiraTicketSink]:
    """A sink that gives up after FAULT_TIMEOUT seconds, for the tests where the fake hangs."""
    with JiraTicketSink(config_for(fake, timeout=FAULT_TIMEOUT)) as jira_sink:
        yield jira_sink


def test_the_sink_is_a_ticket_sink_and_connects_lazily(fake_jira_cloud: FakeJira) -> None:
    with JiraTicketSink(config_for(fake_jira_cloud)) as jira_sink:
        assert isinstance(jira_sink, TicketSink)
        assert fake_jira_cloud.requests == []


def test_cloud_create_sends_adf_with_basic_auth_on_v3(fake_jira_cloud: FakeJira) -> None:
    with JiraTicketSink(config_for(fake_jira_cloud)) as jira_sink:
        ref = jira_sink.create(request_for(priority="High", components=["Export"]))

    assert ref == TicketRef(key="FR-1", id="10001", url=f"{fake_jira_cloud.url}/browse/FR-1")
    [post] = fake_jira_cloud.requests_to("POST", "/rest/api/3/issue")
    credentials = base64.b64encode(f"{fake_jira_cloud.user}:{fake_jira_cloud.token}".encode()).decode()
    assert post.headers["authorization"] == f"Basic {credentials}"
    fields = post.json()["fields"]
    assert fields["project"] == {"key": "FR"}
    assert fields["issuetype"] == {"name": "Task"}
    assert fields["labels"] == ["feedback-router", "fr-42"]
    assert fields["priority"] == {"name": "High"}
    assert fields["components"] == [{"name": "Export"}]
    assert fields["description"] == {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": "Reported on the forum."}]},
            {
                "type": "blockquote",
                "content": [
                    {
                        "type": "paragraph",
                        "content": [
                            {"type": "text", "text": "The export gives me an empty file"},
                            {"type": "hardBreak"},
                            {"type": "text", "text": "since Monday."},
                        ],
                    }
                ],
            },
        ],
    }
    # one request for the issue itself: no GET project, no prefetch of the new issue
    assert [(r.method, r.path) for r in fake_jira_cloud.requests] == [
        ("GET", "/rest/api/3/serverInfo"),
        ("POST", "/rest/api/3/issue"),
    ]


def test_server_create_sends_a_string_with_a_bearer_token_on_v2(fake_jira_server: FakeJira) -> None:
    with JiraTicketSink(config_for(fake_jira_server)) as jira_sink:
        ref = jira_sink.create(request_for(7, labels=[], priority="Low"))

    assert ref.key == "FR-1"
    [post] = fake_jira_server.requests_to("POST", "/rest/api/2/issue")
    assert post.headers["authorization"] == f"Bearer {fake_jira_server.token}"
    fields = post.json()["fields"]
    assert fields["description"] == (
        "Reported on the forum.\n\n{quote}\nThe export gives me an empty file\nsince Monday.\n{quote}"
    )
    assert fields["labels"] == ["fr-7"]
    assert fake_jira_server.issue("FR-1").fields["priority"] == "Low"


def test_summary_and_description_are_redacted_before_they_leave(fake: FakeJira, sink: JiraTicketSink) -> None:
    sink.create(request_for(summary="Call me at +49 176 1234567", description="Mail: anna@example.org"))

    fields = fake.issue("FR-1").fields
    assert fields["summary"] == "Call me at [phone]"
    if fake.cloud:
        assert fields["description"]["content"][0]["content"] == [{"type": "text", "text": "Mail: [email]"}]
    else:
        assert fields["description"] == "Mail: \\[email\\]"  # escaped: [...] is a link in wiki markup


def test_redaction_can_be_switched_off(fake_jira_server: FakeJira) -> None:
    with JiraTicketSink(config_for(fake_jira_server, redact=False)) as jira_sink:
        jira_sink.create(request_for(summary="Call me at +49 176 1234567"))
    assert fake_jira_server.issue("FR-1").fields["summary"] == "Call me at +49 176 1234567"


def test_find_looks_the_ticket_up_by_our_label(fake: FakeJira, sink: JiraTicketSink) -> None:
    sink.create(request_for(1))
    created = sink.create(request_for(2))

    assert sink.find("fr-2", "FR") == created
    assert sink.find("fr-3", "FR") is None
    search = "/rest/api/3/search/jql" if fake.cloud else "/rest/api/2/search"
    [*_, last] = fake.requests_to("GET", search)
    assert last.param("jql") == 'project = "FR" AND labels = "fr-3" ORDER BY created ASC'


def test_find_returns_the_oldest_duplicate_and_warns(
    fake: FakeJira, sink: JiraTicketSink, caplog: pytest.LogCaptureFixture
) -> None:
    first = sink.create(request_for(5))
    sink.create(request_for(5))

    with caplog.at_level(logging.WARNING, logger="integrations.jira.sink"):
        assert sink.find("fr-5", "FR") == first
    assert "FR-1, FR-2" in caplog.text


def test_cloud_search_is_eventually_consistent(fake_jira_cloud: FakeJira) -> None:
    fake_jira_cloud.search_lag = 3600  # hidden until the test lets the search catch up
    with JiraTicketSink(config_for(fake_jira_cloud)) as jira_sink:
        created = jira_sink.create(request_for())
        assert jira_sink.find("fr-42", "FR") is None
        fake_jira_cloud.search_lag = 0
        assert jira_sink.find("fr-42", "FR") == created


def test_comment_is_adf_on_cloud_and_a_string_on_server(fake: FakeJira, sink: JiraTicketSink) -> None:
    ref = sink.create(request_for())

    comment_id = sink.add_comment(ref.key, "Two more people reported this.\n\n> same here")

    [comment] = fake.issue(ref.key).comments
    assert comment["id"] == comment_id
    if fake.cloud:
        assert comment["body"]["type"] == "doc"
        assert comment["body"]["content"][1]["type"] == "blockquote"
    else:
        assert comment["body"] == "Two more people reported this.\n\n{quote}\nsame here\n{quote}"


def test_a_comment_is_found_by_the_reference_its_text_carries(fake: FakeJira, sink: JiraTicketSink) -> None:
    ref = sink.create(request_for())
    sink.add_comment(ref.key, "Someone else wrote here.")
    comment_id = sink.add_comment(ref.key, "This problem came back.\n\nReference: fr-cluster-7-back-2")

    assert sink.find_comment(ref.key, "fr-cluster-7-back-2") == comment_id
    assert sink.find_comment(ref.key, "fr-cluster-7-back-3") is None


def test_update_sets_fields_and_adds_labels(fake: FakeJira, sink: JiraTicketSink) -> None:
    ref = sink.create(request_for(components=["Login"]))

    sink.update(
        ref.key,
        TicketUpdate(summary="Export empty (12 reports)", priority="Highest", add_labels=["cluster-3"]),
    )

    fields = fake.issue(ref.key).fields
    assert fields["summary"] == "Export empty (12 reports)"
    assert fields["priority"] == "Highest"
    assert fields["labels"] == ["feedback-router", "fr-42", "cluster-3"]
    assert fields["components"] == ["Login"]
    [put] = fake.requests_to("PUT", "/rest/api/*/issue/*")
    assert put.json() == {
        "fields": {"summary": "Export empty (12 reports)", "priority": {"name": "Highest"}},
        "update": {"labels": [{"add": "cluster-3"}]},
    }


def test_an_empty_update_sends_nothing(fake: FakeJira, sink: JiraTicketSink) -> None:
    sink.update("FR-1", TicketUpdate())
    assert fake.requests == []


def test_429_is_retryable_with_retry_after_and_the_client_does_not_retry(
    fake: FakeJira, sink: JiraTicketSink
) -> None:
    fake.script(
        "POST",
        "/rest/api/*/issue",
        Reply(
            429,
            {"errorMessages": ["Rate limit exceeded."], "errors": {}},
            {"Retry-After": "1", "RateLimit-Reason": "jira-burst-based"},
        ),
    )

    with pytest.raises(RetryableIntegrationError) as raised:
        sink.create(request_for())

    assert type(raised.value) is RetryableIntegrationError
    assert raised.value.retry_after == 1.0
    assert raised.value.status_code == 429
    assert "Rate limit exceeded. [jira-burst-based]" in str(raised.value)
    assert len(fake.requests_to("POST", "/rest/api/*/issue")) == 1  # max_retries=0: no hidden sleeps
    assert sink.create(request_for()).key == "FR-1"


def test_503_carries_retry_after_and_500_is_retryable(fake: FakeJira, sink: JiraTicketSink) -> None:
    fake.script(
        "POST", "/rest/api/*/issue", Reply(503, "Service Unavailable", {"Retry-After": "3"}), Reply(500, {})
    )

    with pytest.raises(RetryableIntegrationError) as unavailable:
        sink.create(request_for())
    with pytest.raises(RetryableIntegrationError) as broken:
        sink.create(request_for())

    assert (unavailable.value.status_code, unavailable.value.retry_after) == (503, 3.0)
    assert (broken.value.status_code, broken.value.retry_after) == (500, None)
    assert not isinstance(broken.value, UnclearOutcomeError)


def test_invalid_fields_are_permanent_with_jiras_field_messages(fake: FakeJira, sink: JiraTicketSink) -> None:
    with pytest.raises(PermanentIntegrationError) as raised:
        sink.create(request_for(priority="Urgent", components=["Nope"], issue_type="Epic"))

    message = str(raised.value)
    assert raised.value.status_code == 400
    assert "priority: Priority name 'Urgent' is not valid" in message
    assert "components: Component name 'Nope' is not valid" in message
    assert "issuetype: The issue type selected is invalid." in message
    assert fake.issues == []


def test_unknown_project_is_permanent(fake: FakeJira, sink: JiraTicketSink) -> None:
    with pytest.raises(PermanentIntegrationError, match="project: valid project is required"):
        sink.create(request_for(project="NOPE"))
    with pytest.raises(PermanentIntegrationError, match="does not exist for the field 'project'"):
        sink.find("fr-1", "NOPE")


def test_wrong_token_is_permanent_and_never_shows_the_token(fake: FakeJira) -> None:
    secret = "wrong-token-do-not-print"
    with (
        JiraTicketSink(config_for(fake, token=secret)) as jira_sink,
        pytest.raises(PermanentIntegrationError) as raised,
    ):
        jira_sink.create(request_for())

    assert raised.value.status_code == 401
    assert "You are not authenticated" in str(raised.value)
    everything = "".join(traceback.format_exception(raised.value))
    assert secret not in everything
    assert base64.b64encode(f"{fake.user}:{secret}".encode()).decode() not in everything


def test_403_is_permanent(fake: FakeJira, sink: JiraTicketSink) -> None:
    fake.script(
        "POST",
        "/rest/api/*/issue",
        Reply(403, {"errorMessages": ["You do not have permission to create issues in this project."]}),
    )
    with pytest.raises(PermanentIntegrationError, match="do not have permission"):
        sink.create(request_for())


def test_a_hang_is_an_unclear_outcome_and_find_sees_the_issue_anyway(
    fake: FakeJira, impatient_sink: JiraTicketSink
) -> None:
    fake.script("POST", "/rest/api/*/issue", Hang(seconds=30))  # the fake stops when the client gives up

    with pytest.raises(UnclearOutcomeError) as raised:  # raised at all: it gave up before the hang ended
        impatient_sink.create(request_for())

    assert raised.value.retry_after == 5  # settle_seconds: Cloud search may lag behind the create
    assert "look the ticket up" in str(raised.value)
    found = impatient_sink.find("fr-42", "FR")
    assert found is not None and found.key == "FR-1"
    assert len(fake.issues) == 1


def test_a_dropped_answer_is_an_unclear_outcome(fake: FakeJira, sink: JiraTicketSink) -> None:
    fake.script("POST", "/rest/api/*/issue", Drop())

    with pytest.raises(UnclearOutcomeError):
        sink.create(request_for())
    assert [issue.key for issue in fake.issues] == ["FR-1"]


def test_a_read_timeout_while_searching_is_plainly_retryable(
    fake: FakeJira, impatient_sink: JiraTicketSink
) -> None:
    fake.script("GET", "/rest/api/*/search*", Hang(seconds=30))

    with pytest.raises(RetryableIntegrationError) as raised:
        impatient_sink.find("fr-1", "FR")
    assert not isinstance(raised.value, UnclearOutcomeError)


def test_no_answer_to_server_info_before_a_create_is_plainly_retryable(
    fake: FakeJira, impatient_sink: JiraTicketSink
) -> None:
    fake.script("GET", "/rest/api/*/serverInfo", Hang(seconds=30))

    with pytest.raises(RetryableIntegrationError) as raised:
        impatient_sink.create(request_for())

    assert not isinstance(raised.value, UnclearOutcomeError)  # the create itself was never sent
    assert impatient_sink.create(request_for()).key == "FR-1"


def test_a_refused_connection_is_retryable_not_unclear() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = JiraConfig(url=f"http://127.0.0.1:{port}", token="t", timeout=FAULT_TIMEOUT)  # nothing listens

    with JiraTicketSink(config) as jira_sink, pytest.raises(RetryableIntegrationError) as raised:
        jira_sink.create(request_for())

    assert not isinstance(raised.value, UnclearOutcomeError)
    assert "could not connect" in str(raised.value)


def test_cloud_settings_against_data_center_are_a_permanent_config_error(fake_jira_server: FakeJira) -> None:
    cloud_config = config_for(fake_jira_server, user="bot@example.com")
    expected = "no REST API v3.*leave the user empty"
    with JiraTicketSink(cloud_config) as jira_sink, pytest.raises(PermanentIntegrationError, match=expected):
        jira_sink.create(request_for())


def test_a_reported_deployment_that_contradicts_the_config_is_permanent(fake_jira_cloud: FakeJira) -> None:
    fake_jira_cloud.reported_deployment = "Server"
    expected = "deploymentType 'Server'"
    with (
        JiraTicketSink(config_for(fake_jira_cloud)) as jira_sink,
        pytest.raises(PermanentIntegrationError, match=expected),
    ):
        jira_sink.find("fr-1", "FR")
