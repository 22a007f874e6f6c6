"""Delivery to Jira, Slack and webhooks, exactly once, against the local fake servers.

The production clients talk real HTTP to tests/fakes; faults are scripted there. Delivery is
driven by calling the worker's own ``deliver`` (what every sweep runs), on SQLite and PostgreSQL.
"""

import json
import time
from datetime import timedelta

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select, update

from feedback_router.db import session_scope, utcnow
from feedback_router.jobs import deliver
from feedback_router.tickets.models import Delivery, Ticket
from tests.fakes.server import Hang, Reply
from tests.integrations.pii_cases import leaked
from tests.routing.helpers import labelled, write

ROUTES = """\
version: 2
teams:
  product:
    sinks:
      - type: jira
        project: FR
        issue_type: Bug
        labels: [from-community]
        priority: {high: Highest, normal: Medium}
        component_from_topic: true
      - {type: slack, channel: "#feedback"}
  partners:
    sinks: [{type: webhook, url: "%s", secret_env: PARTNER_SECRET}]
rules:
  - {name: bugs-to-product, when: {kind: bug_report}, team: product}
  - {name: praise-to-partners, when: {kind: praise}, team: partners}
"""


IMPATIENT = 0.5  # the delivery timeout of tests whose fake holds its answer back (Hang)


@pytest.fixture
def wiring(tmp_path, fake_jira_cloud, fake_slack, fake_webhook, monkeypatch):  # type: ignore[no-untyped-def]
    """Settings pointing at the fakes, with a routing file that uses all three."""
    monkeypatch.setenv("PARTNER_SECRET", fake_webhook.secret)
    routes = write(tmp_path / "routes.yaml", ROUTES % fake_webhook.hook_url)
    return dict(
        routing_file=str(routes),
        **fake_jira_cloud.connection,
        slack__bot_token=fake_slack.token,
        slack__api_url=fake_slack.api_url,
        delivery_timeout=30,  # a fake answering late on a busy machine is no fault (IMPATIENT makes one)
        retry_base_seconds=0,
        public_url="https://feedback.example.org",
    )


@pytest.fixture
def wired(configure, wiring):  # type: ignore[no-untyped-def]
    return configure(**wiring)


def tickets_of(settings, feedback_id: int) -> dict[str, Ticket]:  # type: ignore[no-untyped-def]
    with session_scope(settings.database_url) as session:
        rows = session.scalars(select(Ticket).where(Ticket.feedback_id == feedback_id)).all()
        session.expunge_all()
        return {row.destination: row for row in rows}


def bug(settings, text="Export to PDF crashes, mail me at jane@example.org"):  # type: ignore[no-untyped-def]
    return labelled(
        settings,
        text,
        "bug_report",
        0.93,
        sentiment="negative",
        urgency="high",
        topic="Export",
        language="en",
    )


def test_a_routed_item_becomes_one_jira_issue_and_one_slack_message(wired, fake_jira_cloud, fake_slack):
    item = bug(wired)
    assert tickets_of(wired, item)["jira:FR"].delivery == Delivery.pending  # written before any call

    deliver(wired)
    deliver(wired)  # a second sweep finds nothing to do

    [issue] = fake_jira_cloud.issues
    fields = issue.fields
    assert fields["summary"] == "Export to PDF crashes, mail me at [email]"  # redacted before it left
    assert {"feedback-router", f"fr-{item}", "from-community"} <= set(fields["labels"])
    assert fields["priority"] == "Highest" and fields["components"] == ["Export"]
    assert fields["issuetype"] == "Bug"
    description = json.dumps(fields["description"])  # Atlassian Document Format on Cloud
    assert "bug_report" in description and "0.93" in description and "bugs-to-product" in description
    assert f"https://feedback.example.org/inbox?id={item}" in description  # a desk page, not the API
    assert "jane@example.org" not in description
    [message] = fake_slack.messages
    assert message["channel"] == "C0FEEDBACK" and "jane@example.org" not in json.dumps(message)
    tickets = tickets_of(wired, item)
    assert tickets["jira:FR"].delivery == Delivery.delivered and tickets["jira:FR"].external_key == issue.key
    assert tickets["jira:FR"].external_url.endswith(f"/browse/{issue.key}")
    assert tickets["slack:#feedback"].delivery == Delivery.delivered
    # the priority sent is kept on the ticket; a Slack message has none
    assert (tickets["jira:FR"].priority, tickets["slack:#feedback"].priority) == ("Highest", None)


@pytest.mark.parametrize(
    ("case", "text"),
    [
        (  # the title's cut (80 characters) falls inside the IBAN, then inside the phone number
            "DE89 3704 0044 0532 0130 00",
            "Export to PDF crashes every time I try it. Bitte um Erstattung auf DE89 3704 0044 0532 0130 00",
        ),
        (
            "0171 2345678",
            "Export to PDF crashes every time I try it with big files. Ruf an unter 0171 2345678, bitte",
        ),
    ],
)
def test_personal_data_cut_in_half_by_the_title_never_leaves(wired, fake_jira_cloud, fake_slack, case, text):
    item = bug(wired, text)
    deliver(wired)

    [issue] = fake_jira_cloud.issues
    summary, description = (
        issue.fields["summary"],
        json.dumps(issue.fields["description"], ensure_ascii=False),
    )
    [message] = fake_slack.messages
    for sent in (
        summary,
        description,
        json.dumps(message, ensure_ascii=False),
        tickets_of(wired, item)["jira:FR"].title,
    ):
        assert leaked(case, sent) == [], sent
    assert summary.startswith("Export to PDF crashes")
    assert "[iban]" in description or "[phone]" in description  # the whole text went, redacted


def test_429_then_success_makes_one_issue_after_waiting_retry_after(wired, fake_jira_cloud):
    fake_jira_cloud.script(
        "POST", "/rest/api/3/issue", Reply(429, {"errorMessages": ["Rate limit"]}, {"Retry-After": "1"})
    )
    item = bug(wired)

    deliver(wired)
    answered_by = utcnow()
    ticket = tickets_of(wired, item)["jira:FR"]
    assert ticket.delivery == Delivery.pending and "Rate limit" in ticket.last_error
    [rate_limited] = fake_jira_cloud.requests_to("POST", "/rest/api/3/issue")
    # Retry-After honoured: one second after the 429, counted from recorded times, not from a later clock
    one_second = timedelta(seconds=1)
    assert rate_limited.at + one_second <= ticket.available_at <= answered_by + one_second
    time.sleep(max((ticket.available_at - utcnow()).total_seconds(), 0))  # until the retry is due
    deliver(wired)

    assert len(fake_jira_cloud.issues) == 1
    ticket = tickets_of(wired, item)["jira:FR"]
    assert ticket.delivery == Delivery.delivered and ticket.attempts == 2


def test_500_three_times_then_success_makes_one_issue(wired, fake_jira_cloud):
    failure = Reply(500, {"errorMessages": ["Internal server error"]})
    fake_jira_cloud.script("POST", "/rest/api/3/issue", failure, failure, failure)
    item = bug(wired)

    deliver(wired)  # retry_base_seconds=0: each retry is due at once

    assert len(fake_jira_cloud.issues) == 1
    assert len(fake_jira_cloud.requests_to("POST", "/rest/api/3/issue")) == 4
    ticket = tickets_of(wired, item)["jira:FR"]
    assert ticket.delivery == Delivery.delivered and ticket.attempts == 4


def test_an_invalid_field_fails_the_delivery_at_once_with_jiras_reason(wired, fake_jira_cloud, api, auth):
    fake_jira_cloud.script(
        "POST",
        "/rest/api/3/issue",
        Reply(400, {"errorMessages": [], "errors": {"priority": "Specify a valid priority"}}),
    )
    item = bug(wired)

    deliver(wired)
    deliver(wired)

    assert fake_jira_cloud.issues == [] and len(fake_jira_cloud.requests_to("POST", "/rest/api/3/issue")) == 1
    read = api.get(f"/v1/feedback/{item}", headers=auth["manager"]).json()
    [jira] = [t for t in read["tickets"] if t["destination"] == "jira:FR"]
    assert jira["delivery"] == "failed" and "Specify a valid priority" in jira["last_error"]
    listed = api.get("/v1/tickets?team=product", headers=auth["manager"]).json()
    assert {t["destination"]: t["delivery"] for t in listed} == {
        "jira:FR": "failed",
        "slack:#feedback": "delivered",
    }


def test_a_timeout_after_jira_created_the_issue_does_not_make_a_second(configure, wiring, fake_jira_cloud):
    wired = configure(**{**wiring, "delivery_timeout": IMPATIENT})
    fake_jira_cloud.script("POST", "/rest/api/3/issue", Hang(30))  # created, but the answer never comes
    item = bug(wired)

    deliver(wired)
    ticket = tickets_of(wired, item)["jira:FR"]
    assert ticket.delivery == Delivery.pending and ticket.external_key is None
    with session_scope(wired.database_url) as session:  # skip the settle wait Jira Cloud's search needs
        session.execute(update(Ticket).where(Ticket.id == ticket.id).values(available_at=utcnow()))
    deliver(wired)

    assert len(fake_jira_cloud.issues) == 1
    assert len(fake_jira_cloud.requests_to("POST", "/rest/api/3/issue")) == 1  # looked up, not created
    assert tickets_of(wired, item)["jira:FR"].external_key == fake_jira_cloud.issues[0].key


def test_a_worker_that_died_after_jira_answered_leaves_one_issue(wired, fake_jira_cloud):
    """The crash between Jira's answer and our commit: the attempt was counted, its result never stored."""
    from feedback_router.outlets import Outlets
    from feedback_router.tickets.delivery import DELIVERIES, _outgoing, _send

    item = bug(wired)
    with session_scope(wired.database_url) as session:
        claims = DELIVERIES.claim(session, limit=10, lease_seconds=60)
    [claim] = [c for c in claims if tickets_of(wired, item)["jira:FR"].id == c.id]
    with session_scope(wired.database_url) as session:
        ticket = session.get(Ticket, claim.id)
        from feedback_router.feedback.models import Feedback

        out = _outgoing(ticket, session.get(Feedback, item), wired)
    outlets = Outlets(wired)
    _send(out, outlets, claim.attempts)  # Jira created it; the worker "dies" before recording it
    outlets.close()
    assert len(fake_jira_cloud.issues) == 1

    deliver(wired)  # the lease still holds: nobody touches it
    assert tickets_of(wired, item)["jira:FR"].delivery == Delivery.sending
    with session_scope(wired.database_url) as session:  # the lease runs out
        session.execute(update(Ticket).values(leased_until=utcnow() - timedelta(seconds=1)))
    deliver(wired)

    assert len(fake_jira_cloud.issues) == 1
    ticket = tickets_of(wired, item)["jira:FR"]
    assert ticket.delivery == Delivery.delivered and ticket.external_key == fake_jira_cloud.issues[0].key


def test_jira_data_center_gets_a_plain_description_and_a_bearer_token(configure, tmp_path, fake_jira_server):
    routes = write(
        tmp_path / "routes.yaml",
        "version: 2\nteams: {product: {sinks: [{type: jira, project: FR}]}}\n"
        "rules: [{name: bugs, when: {kind: bug_report}, team: product}]\n",
    )
    settings = configure(
        routing_file=str(routes),
        jira__url=fake_jira_server.url,
        jira__user="",
        jira__token=fake_jira_server.token,
    )
    item = bug(settings)

    deliver(settings)

    [issue] = fake_jira_server.issues
    assert isinstance(issue.fields["description"], str) and f"fr-{item}" in issue.fields["labels"]
    [create] = fake_jira_server.requests_to("POST", "/rest/api/2/issue")
    assert create.headers["authorization"] == f"Bearer {fake_jira_server.token}"


def test_wrong_jira_credentials_fail_at_once_and_say_so(configure, wiring):
    settings = configure(**{**wiring, "jira__token": "wrong"})
    item = bug(settings)

    deliver(settings)

    ticket = tickets_of(settings, item)["jira:FR"]
    assert ticket.delivery == Delivery.failed and ticket.attempts == 1 and "401" in ticket.last_error
    assert "wrong" not in ticket.last_error


def test_a_row_whose_integration_was_uninstalled_fails_alone(wired, fake_jira_cloud):
    item = bug(wired)
    with session_scope(wired.database_url) as session:  # written while a "teams" plugin was installed
        session.execute(
            update(Ticket)
            .where(Ticket.destination == "slack:#feedback")
            .values(sink="teams", config={"type": "teams", "channel": "bugs"})
        )

    deliver(wired)

    tickets = tickets_of(wired, item)
    assert tickets["jira:FR"].delivery == Delivery.delivered and len(fake_jira_cloud.issues) == 1
    gone = tickets["slack:#feedback"]
    assert gone.delivery == Delivery.failed and "'teams'" in gone.last_error


def test_jira_not_configured_is_a_readable_failure(configure, wiring):
    settings = configure(**{k: v for k, v in wiring.items() if not k.startswith("jira")})
    item = bug(settings)

    deliver(settings)

    assert "Jira is not configured" in tickets_of(settings, item)["jira:FR"].last_error


def test_webhooks_are_signed_and_carry_a_stable_delivery_id(wired, fake_webhook):
    fake_webhook.script("POST", "*", Reply(503, "busy", {"Retry-After": "0"}))
    item = labelled(wired, "Love the new editor", "praise", 0.9, sentiment="positive")

    deliver(wired)

    first, second = fake_webhook.requests
    delivery_id = "webhook-id"
    assert first.headers[delivery_id] == second.headers[delivery_id]  # the receiver can drop the repeat
    [accepted] = fake_webhook.deliveries
    assert accepted.signature_valid  # Standard Webhooks, checked by the receiver's own code
    assert accepted.json()["notification"]["text"] == "Love the new editor"
    [ticket] = tickets_of(wired, item).values()
    assert ticket.delivery == Delivery.delivered and ticket.external_key == second.headers[delivery_id]


def test_a_delivery_counts_its_failed_attempts_and_observes_its_latency(wired, fake_webhook):
    def figure(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    failures = {"outbox": "deliveries", "reason": "RetryableIntegrationError"}
    before = figure("feedback_router_failures_total", **failures)
    delivered = figure("feedback_router_delivery_latency_seconds_count", sink="webhook")
    fake_webhook.script("POST", "*", Reply(503, "busy", {"Retry-After": "0"}))
    item = labelled(wired, "Love the new editor", "praise", 0.9, sentiment="positive")

    deliver(wired)

    [ticket] = tickets_of(wired, item).values()
    assert ticket.delivery == Delivery.delivered
    assert figure("feedback_router_failures_total", **failures) == before + 1
    assert figure("feedback_router_delivery_latency_seconds_count", sink="webhook") == delivered + 1
    assert figure("feedback_router_delivery_latency_seconds_sum", sink="webhook") > 0


def test_slack_errors_fail_with_slacks_reason(wired, fake_slack):
    fake_slack.member_of.discard("C0FEEDBACK")
    item = bug(wired)

    deliver(wired)

    ticket = tickets_of(wired, item)["slack:#feedback"]
    assert ticket.delivery == Delivery.failed and "not_in_channel" in ticket.last_error


# --- a manager's retry of a failed delivery (POST /v1/tickets/{id}/retry) ---------------------


def test_a_failed_delivery_retried_after_the_fault_is_fixed_is_delivered(wired, fake_jira_cloud, api, auth):
    fake_jira_cloud.script(
        "POST",
        "/rest/api/3/issue",
        Reply(400, {"errorMessages": [], "errors": {"priority": "Specify a valid priority"}}),
    )
    item = bug(wired)
    deliver(wired)
    failed = tickets_of(wired, item)["jira:FR"]
    assert failed.delivery == Delivery.failed
    listed = api.get("/v1/tickets", params={"delivery": "failed"}, headers=auth["manager"]).json()
    assert [t["id"] for t in listed] == [failed.id] and listed[0]["feedback_id"] == item

    response = api.post(f"/v1/tickets/{failed.id}/retry", headers=auth["manager"])

    assert response.status_code == 200, response.text
    retried = response.json()
    assert (retried["delivery"], retried["attempts"]) == ("pending", 0)
    assert "Specify a valid priority" in retried["last_error"]  # kept until an attempt succeeds
    deliver(wired)
    [issue] = fake_jira_cloud.issues
    ticket = tickets_of(wired, item)["jira:FR"]
    assert (ticket.delivery, ticket.attempts, ticket.last_error) == (Delivery.delivered, 1, None)
    assert ticket.external_key == issue.key
    again = api.post(f"/v1/tickets/{failed.id}/retry", headers=auth["manager"])
    assert again.status_code == 409
    assert again.json()["detail"] == (
        f"ticket {failed.id} is delivered, not failed: only a failed delivery can be retried"
    )


def test_a_retry_after_an_unclear_failure_finds_the_issue_instead_of_making_a_second(
    configure, wiring, fake_jira_cloud, api, auth
):
    settings = configure(**{**wiring, "delivery_timeout": IMPATIENT}, delivery_max_attempts=1)
    fake_jira_cloud.script("POST", "/rest/api/3/issue", Hang(30))  # Jira creates it; we time out
    item = bug(settings)
    deliver(settings)
    ticket = tickets_of(settings, item)["jira:FR"]
    assert ticket.delivery == Delivery.failed and len(fake_jira_cloud.issues) == 1

    assert api.post(f"/v1/tickets/{ticket.id}/retry", headers=auth["admin"]).status_code == 200
    deliver(settings)

    assert len(fake_jira_cloud.issues) == 1
    assert len(fake_jira_cloud.requests_to("POST", "/rest/api/3/issue")) == 1  # looked up, not created
    ticket = tickets_of(settings, item)["jira:FR"]
    assert ticket.delivery == Delivery.delivered and ticket.external_key == fake_jira_cloud.issues[0].key


def test_only_failed_deliveries_of_existing_tickets_are_retried_by_managers(wired, api, auth):
    item = bug(wired)  # pending: nothing has been tried yet
    pending = tickets_of(wired, item)["jira:FR"]

    refused = api.post(f"/v1/tickets/{pending.id}/retry", headers=auth["manager"])
    assert refused.status_code == 409 and "is pending, not failed" in refused.json()["detail"]
    missing = api.post("/v1/tickets/999999/retry", headers=auth["manager"])
    assert missing.status_code == 404 and missing.json()["detail"] == "ticket 999999 does not exist"
    assert api.post(f"/v1/tickets/{pending.id}/retry", headers=auth["forwarder"]).status_code == 403
    assert tickets_of(wired, item)["jira:FR"].delivery == Delivery.pending
    bad = api.get("/v1/tickets", params={"delivery": "lost"}, headers=auth["manager"])
    assert bad.status_code == 422


def test_a_clusters_failed_issue_is_listed_and_retried_like_an_items(wired, fake_jira_cloud, api, auth):
    from feedback_router.clusters.models import Cluster

    with session_scope(wired.database_url) as session:
        cluster = Cluster(team="product", title="Export crashes", size=3)
        session.add(cluster)
        session.flush()
        session.add(
            Ticket(
                cluster_id=cluster.id,
                sink="jira",
                destination="jira:FR",
                team="product",
                title=f"cluster {cluster.id}",
                body="",
                config={"type": "jira", "project": "FR"},
                delivery=Delivery.failed,
                attempts=8,
                last_error="failed after 8 attempt(s): Jira answered 503",
            )
        )
    [listed] = api.get("/v1/tickets", params={"delivery": "failed"}, headers=auth["manager"]).json()
    assert (listed["feedback_id"], listed["cluster_id"]) == (None, cluster.id)

    assert api.post(f"/v1/tickets/{listed['id']}/retry", headers=auth["manager"]).status_code == 200
    deliver(wired)

    [issue] = fake_jira_cloud.issues
    assert f"fr-cluster-{cluster.id}" in issue.fields["labels"]
    assert len(fake_jira_cloud.requests_to("GET", "/rest/api/3/search/jql")) == 1  # looked up first
    [ticket] = api.get("/v1/tickets", headers=auth["manager"]).json()
    assert (ticket["delivery"], ticket["external_key"]) == ("delivered", issue.key)
