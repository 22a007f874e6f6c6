"""The Slack message shortcut: a forwarded message becomes one item, and its thread hears where it went.

Requests are built and signed by the fake Slack the way Slack's interactivity sends them; replies go to
the fake Slack through the production client. Processing runs ``process_pending`` with fixed labels
(routing and the reply are under test, not the model); the worker's sending is the loop's ``sweep``.
Each test runs on SQLite and PostgreSQL.
"""

import time
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from classifiers.pipeline import Classification, Part
from feedback_router.config import Settings
from feedback_router.db import session_scope
from feedback_router.feedback.models import Feedback
from feedback_router.feedback.processing import process_pending
from feedback_router.jobs import deliver, drain, run_due
from feedback_router.loopback.models import AuthorNotice
from feedback_router.loopback.notices import open_routed_notice
from feedback_router.routing import live
from feedback_router.tickets.models import Ticket
from tests.fakes.slack import FakeSlack
from tests.routing.helpers import write

ACTIONS = "/v1/integrations/slack/actions"
JIRA_SECRET = "jira-webhook-secret"
ROUTES = """\
version: 2
teams:
  product: {sinks: [{type: jira, project: FR, issue_type: Bug}]}
  community: {sinks: [{type: board}]}
rules:
  - {name: product-issues, when: {kind: [bug_report, feature_request]}, team: product}
  - {name: kind-words, when: {kind: praise}, team: community}
"""
REPORT = "Export to PDF crashes on Android 14 every time I press save."
ROOT_TS, REPLY_TS = "1700000100.000200", "1700000200.000300"


def sweep(settings: Settings) -> None:
    """The loop's jobs of a worker's sweep: poll Jira when its turn came, prune receipts, send due notices."""
    run_due(settings, "jira-poll", "webhook-receipts-prune", "notices")


class FixedLabels:
    """Labels every text alike (and splits it when given parts): what ``process_pending`` asks of a
    classifier, without loading a model."""

    def __init__(self, kind: str = "bug_report", confidence: float = 0.93, parts: list[Part] | None = None):
        self.kind, self.confidence, self.parts = kind, confidence, parts or []

    def classify(self, texts: list[str], languages: list[str | None] | None = None) -> list[Classification]:
        return [labels(self.kind, self.confidence, self.parts) for _ in texts]


def labels(kind: str, confidence: float, parts: list[Part] | None = None) -> Classification:
    vector = np.zeros(16, dtype=np.float32)
    vector[0] = 1.0
    return Classification(
        kind=kind,
        confidence=confidence,
        scores={kind: confidence},
        evidence=[],
        model_version="fixed-labels",
        embedding=vector.tolist(),
        language="en",
        language_confidence=0.99,
        parts=parts or [],
    )


@pytest.fixture
def wired(configure, tmp_path, fake_slack, fake_jira_cloud) -> Settings:  # type: ignore[no-untyped-def]
    settings: Settings = configure(
        routing_file=str(write(tmp_path / "routes.yaml", ROUTES)),
        slack__signing_secret=fake_slack.signing_secret,
        slack__bot_token=fake_slack.token,
        slack__api_url=fake_slack.api_url,
        **fake_jira_cloud.connection,
        jira__webhook_secret=JIRA_SECRET,
        jira__poll_seconds=0,
        retry_base_seconds=0,
        delivery_timeout=2,
        public_url="https://feedback.example.org",
    )
    return settings


def forward(api, fake_slack: FakeSlack, text: str = REPORT, **options: Any):  # type: ignore[no-untyped-def]
    body, headers = fake_slack.message_shortcut(text, **options)
    return api.post(ACTIONS, content=body, headers=headers)


def items_of(settings: Settings) -> list[Feedback]:
    with session_scope(settings.database_url) as session:
        rows = session.scalars(select(Feedback).order_by(Feedback.id)).all()
        session.expunge_all()
        return list(rows)


def notices_of(settings: Settings) -> list[AuthorNotice]:
    with session_scope(settings.database_url) as session:
        rows = session.scalars(select(AuthorNotice).order_by(AuthorNotice.id)).all()
        session.expunge_all()
        return list(rows)


def process(settings: Settings, classifier: FixedLabels | None = None) -> int:
    return process_pending(
        settings=settings,
        classifier=classifier or FixedLabels(),  # type: ignore[arg-type]
        routing=live.current(settings.routing_file),
    )


def thread_replies(fake_slack: FakeSlack) -> list[dict[str, Any]]:
    return [m for m in fake_slack.messages if m["thread_ts"]]


# --- the request ---------------------------------------------------------------------------------


def test_the_shortcut_is_off_without_a_signing_secret(api, fake_slack):  # type: ignore[no-untyped-def]
    answer = forward(api, fake_slack)

    assert answer.status_code == 404
    assert "FEEDBACK_ROUTER_SLACK__SIGNING_SECRET" in answer.json()["detail"]


def test_unsigned_wrongly_signed_or_stale_requests_are_refused_and_store_nothing(  # type: ignore[no-untyped-def]
    wired, api, fake_slack
):
    wrong = forward(api, fake_slack, secret="not-the-signing-secret")
    stale = forward(api, fake_slack, timestamp=int(time.time()) - 6 * 60)
    future = forward(api, fake_slack, timestamp=int(time.time()) + 6 * 60)
    body, _ = fake_slack.message_shortcut(REPORT)
    unsigned = api.post(ACTIONS, content=body, headers={"Content-Type": "application/x-www-form-urlencoded"})

    assert [a.status_code for a in (wrong, stale, future, unsigned)] == [401] * 4
    assert "X-Slack-Signature signature is wrong" in wrong.json()["detail"]
    assert "old, more than 5 minutes" in stale.json()["detail"]
    assert "in the future, more than 5 minutes" in future.json()["detail"]
    assert "X-Slack-Request-Timestamp header is missing" in unsigned.json()["detail"]
    assert items_of(wired) == []


def test_a_timestamp_of_400_nines_is_refused_401_and_stores_nothing(wired, api, fake_slack):  # type: ignore[no-untyped-def]
    signed = forward(api, fake_slack, timestamp=int("9" * 400))  # signed over that very timestamp
    body, headers = fake_slack.message_shortcut(REPORT)
    unsigned = api.post(ACTIONS, content=body, headers={**headers, "X-Slack-Request-Timestamp": "9" * 400})

    for answer in (signed, unsigned):
        assert answer.status_code == 401
        assert answer.json() == {
            "detail": "Slack request refused: X-Slack-Request-Timestamp is not Unix seconds"
        }
    assert items_of(wired) == []


def test_a_malformed_payload_is_answered_400_with_what_is_wrong(wired, api, fake_slack):  # type: ignore[no-untyped-def]
    body = b"payload=%7Bnot+json"
    not_json = api.post(ACTIONS, content=body, headers=fake_slack.sign(body))
    incomplete = forward(api, fake_slack, payload={"type": "message_action", "callback_id": "x"})

    assert not_json.status_code == 400 and "payload is not JSON" in not_json.json()["detail"]
    assert incomplete.status_code == 400 and "message shortcut is incomplete" in incomplete.json()["detail"]
    assert items_of(wired) == []


def test_a_forwarded_message_is_stored_once_with_its_author_forwarder_and_link(  # type: ignore[no-untyped-def]
    wired, api, auth, fake_slack
):
    body, headers = fake_slack.message_shortcut(REPORT, ts=REPLY_TS, thread_ts=ROOT_TS)

    first = api.post(ACTIONS, content=body, headers=headers)
    again = api.post(ACTIONS, content=body, headers=headers)  # the same request delivered twice
    clicked_again = forward(api, fake_slack, ts=REPLY_TS, thread_ts=ROOT_TS, forwarded_by=("U0JO", "jo"))

    assert [a.status_code for a in (first, again, clicked_again)] == [200] * 3
    assert first.content == again.content == b""
    [item] = items_of(wired)
    read = api.get(f"/v1/feedback/{item.id}", headers=auth["manager"]).json()
    assert read["text"] == REPORT and read["source"] == "slack" and read["status"] == "received"
    assert read["external_id"] == f"C0FEEDBACK:{REPLY_TS}"
    assert read["author"] == {"handle": "U0MIA", "display_name": "Mia", "email": None}
    assert read["forwarded_by"] == "slack:lea"  # the first to forward it
    assert read["url"] == (
        f"https://acme.slack.com/archives/C0FEEDBACK/p{REPLY_TS.replace('.', '')}"
        f"?thread_ts={ROOT_TS}&cid=C0FEEDBACK"
    )
    assert read["created_at"].startswith("2023-11-14T22:16:40")  # the message's ts
    assert read["metadata"] == {
        "slack_channel": "C0FEEDBACK",
        "slack_channel_name": "feedback",
        "slack_ts": REPLY_TS,
        "slack_thread_ts": ROOT_TS,
        "slack_shortcut": "forward_to_feedback_router",
        "slack_team": "T0FAKE",
        "slack_team_domain": "acme",
        "slack_forwarded_by": "U0LEA",
    }


def test_nul_characters_in_a_forwarded_message_are_dropped(wired, api, auth, fake_slack):  # type: ignore[no-untyped-def]
    answer = forward(api, fake_slack, "Export\u0000 crashes", author="U0\u0000MIA", display_name="Mi\u0000a")

    assert answer.status_code == 200
    [item] = items_of(wired)
    assert (item.text, item.author_handle, item.author_display_name) == ("Export crashes", "U0MIA", "Mia")


def test_a_forwarded_message_of_nul_characters_only_is_refused_with_the_field(wired, api, fake_slack):  # type: ignore[no-untyped-def]
    answer = forward(api, fake_slack, "\u0000")

    assert answer.status_code == 422
    assert answer.json()["detail"].startswith("the message cannot be stored as feedback: text: ")
    assert items_of(wired) == []


def test_other_interactions_other_shortcuts_and_messages_without_text_store_nothing(  # type: ignore[no-untyped-def]
    wired, api, fake_slack
):
    answers = [
        forward(api, fake_slack, payload={"type": "block_actions", "actions": [{"action_id": "open_item"}]}),
        forward(api, fake_slack, payload={"type": "shortcut", "callback_id": "new_report"}),
        forward(api, fake_slack, callback_id="translate_message"),
        forward(api, fake_slack, text=""),  # a message that is only a file
    ]

    assert [(a.status_code, a.content) for a in answers] == [(200, b"")] * 4
    assert items_of(wired) == []


# --- the reply in the thread ---------------------------------------------------------------------


def test_after_processing_the_thread_hears_once_where_the_message_went(  # type: ignore[no-untyped-def]
    wired, api, auth, fake_slack
):
    assert forward(api, fake_slack, ts=REPLY_TS, thread_ts=ROOT_TS).status_code == 200
    [item] = items_of(wired)

    assert process(wired) == 1
    sweep(wired)
    sweep(wired)  # a second sweep finds nothing due
    forward(api, fake_slack, ts=REPLY_TS, thread_ts=ROOT_TS)  # forwarded again after it was answered
    process(wired)
    sweep(wired)

    [reply] = fake_slack.messages
    assert (reply["channel"], reply["thread_ts"], reply["via"]) == ("C0FEEDBACK", ROOT_TS, "api")
    assert reply["text"] == (
        f"Forwarded to feedback-router as <https://feedback.example.org/inbox?id={item.id}|#{item.id} in "
        "feedback-router>: *bug report* (93%) → team *product*.\n"
        "Why: rule 'product-issues' matched: kind bug_report, kind confidence 0.93 ≥ 0.5 (triage_below)"
    )
    [notice] = notices_of(wired)
    assert (notice.kind, notice.channel, notice.status, notice.ticket_id) == ("routed", "slack", "sent", None)
    assert notice.attempts == 1 and notice.external_ref == f"C0FEEDBACK/{reply['ts']}"
    # The community manager's list is of authors to thank for a resolution: this is not one.
    assert api.get("/v1/notices", headers=auth["manager"]).json() == {"items": [], "next_cursor": None}
    assert api.post(f"/v1/notices/{notice.id}/done", headers=auth["manager"]).status_code == 404


def test_a_message_outside_a_thread_is_answered_in_its_own_thread(wired, api, fake_slack):  # type: ignore[no-untyped-def]
    forward(api, fake_slack, ts=ROOT_TS)

    process(wired, FixedLabels("question", 0.2))
    sweep(wired)

    [reply] = thread_replies(fake_slack)
    assert reply["thread_ts"] == ROOT_TS
    assert "*question* (20%) → triage, waiting for a person" in reply["text"]
    assert "Why: kind confidence 0.20 under the triage threshold" in reply["text"]


def test_a_mixed_message_is_answered_with_where_each_part_went(wired, api, fake_slack):  # type: ignore[no-untyped-def]
    text = "Export to PDF crashes on Android. Otherwise I love the new dark mode!"
    cut = text.index("Otherwise")
    parts = [Part(0, cut - 1, labels("bug_report", 0.9)), Part(cut, len(text), labels("praise", 0.8))]
    forward(api, fake_slack, text=text)

    process(wired, FixedLabels("bug_report", 0.6, parts))
    sweep(wired)

    [reply] = thread_replies(fake_slack)
    lines = reply["text"].split("\n")
    assert lines[0].endswith("it was split into 2 parts:")
    assert lines[1].startswith("• *bug report* (90%) → team *product*: rule 'product-issues' matched")
    assert lines[2].startswith("• *praise* (80%) → team *community*: rule 'kind-words' matched")
    assert len(notices_of(wired)) == 1  # the message was forwarded, not its parts


def test_without_a_bot_token_the_reply_fails_with_the_reason(  # type: ignore[no-untyped-def]
    wired, configure, api, auth, fake_slack, monkeypatch
):
    monkeypatch.delenv("FEEDBACK_ROUTER_SLACK__BOT_TOKEN")
    settings = configure()
    forward(api, fake_slack)

    process(settings)
    sweep(settings)

    assert fake_slack.messages == []
    [notice] = notices_of(settings)
    assert (notice.kind, notice.status) == ("routed", "failed")
    assert "FEEDBACK_ROUTER_SLACK__BOT_TOKEN" in (notice.last_error or "")
    assert api.get("/v1/notices", headers=auth["manager"]).json()["items"] == []


def test_a_forwarded_report_resolved_later_thanks_its_author_in_the_same_thread(  # type: ignore[no-untyped-def]
    wired, api, fake_slack, fake_jira_cloud
):
    forward(api, fake_slack, ts=REPLY_TS, thread_ts=ROOT_TS)
    process(wired)
    deliver(wired)  # the Jira issue
    sweep(wired)
    with session_scope(wired.database_url) as session:
        key = session.scalars(select(Ticket.external_key)).one()
    assert key and len(thread_replies(fake_slack)) == 1

    body, headers = fake_jira_cloud.webhook_payload(key, "To Do", "Done", JIRA_SECRET)
    assert api.post("/v1/webhooks/jira", content=body, headers=headers).json()["notices"] == 1
    sweep(wired)
    sweep(wired)

    routed, thanks = thread_replies(fake_slack)
    assert routed["text"].startswith("Forwarded to feedback-router as")
    assert (thanks["channel"], thanks["thread_ts"]) == ("C0FEEDBACK", ROOT_TS)
    assert thanks["text"].startswith("Hi Mia, thank you for your feedback")
    assert [(n.kind, n.status) for n in notices_of(wired)] == [("routed", "sent"), ("resolved", "sent")]


def test_one_routed_notice_per_item_even_when_processing_writes_it_twice(wired, api, fake_slack):  # type: ignore[no-untyped-def]
    forward(api, fake_slack)
    process(wired)
    with session_scope(wired.database_url) as session:
        item = session.scalars(select(Feedback)).one()
        assert open_routed_notice(session=session, item=item, settings=wired) is False  # processed again
    # Two workers that both passed the check: the partial unique index keeps one.
    with pytest.raises(IntegrityError), session_scope(wired.database_url) as session:
        session.add(
            AuthorNotice(feedback_id=item.id, kind="routed", channel="slack", status="pending", message="x")
        )
        session.flush()
    assert len(notices_of(wired)) == 1


@pytest.mark.slow
def test_the_worker_routes_a_forwarded_message_with_the_real_model_and_answers_its_thread(  # type: ignore[no-untyped-def]
    wired, api, fake_slack
):
    forward(api, fake_slack, ts=ROOT_TS)

    drain(wired)  # what every worker sweep runs: process, deliver, send notices
    drain(wired)

    [reply] = thread_replies(fake_slack)
    [item] = items_of(wired)
    assert (item.kind, item.team) == ("bug_report", "product")
    assert reply["thread_ts"] == ROOT_TS and "*bug report*" in reply["text"] and "*product*" in reply["text"]
