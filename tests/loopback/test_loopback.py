"""The loop back: Jira status by webhook and by polling, author notices, Discourse in and out.

Everything runs against the local fakes with the production clients (the ``jira`` client, httpx for
Discourse); the worker's part is driven by calling the jobs ``deliver`` and the loop's (``sweep``
below), which every sweep of a worker runs. Each test runs on SQLite and PostgreSQL.
"""

import json
import time

import numpy as np
import pytest
from sqlalchemy import delete, select

from feedback_router.clusters.models import Cluster
from feedback_router.config import Settings
from feedback_router.db import session_scope
from feedback_router.feedback.models import Feedback, FeedbackStatus
from feedback_router.jobs import deliver, run_due
from feedback_router.loopback.models import AuthorNotice
from feedback_router.routing import live
from feedback_router.routing.service import route
from feedback_router.schedule import ScheduleMark, forget_schedules, take_turn
from feedback_router.tickets.models import Ticket
from integrations._webhooks import sign_sha256
from tests.fakes.discourse import rate_limit_reply
from tests.routing.helpers import labelled, write

JIRA_SECRET = "jira-webhook-secret"
ROUTES = """\
version: 2
teams:
  product: {sinks: [{type: jira, project: FR, issue_type: Bug}]}
rules:
  - {name: product-issues, when: {kind: [bug_report, feature_request]}, team: product}
"""


def sweep(settings: Settings) -> None:
    """The loop's jobs of a worker's sweep: poll Jira when its turn came, prune receipts, send due notices."""
    run_due(settings, "jira-poll", "webhook-receipts-prune", "notices")


@pytest.fixture
def wired(configure, tmp_path, fake_jira_cloud, fake_discourse):  # type: ignore[no-untyped-def]
    return configure(
        routing_file=str(write(tmp_path / "routes.yaml", ROUTES)),
        **fake_jira_cloud.connection,
        jira__webhook_secret=JIRA_SECRET,
        discourse__url=fake_discourse.url,
        discourse__api_key=fake_discourse.api_key,
        discourse__api_username="feedback-bot",
        discourse__webhook_secret=fake_discourse.webhook_secret,
        retry_base_seconds=0,
        cluster_sync_seconds=0,
        delivery_timeout=2,
        public_url="https://feedback.example.org",
    )


def reported(settings, text="Export to PDF crashes on Android 14", **author) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    """A bug report by ``author`` (item fields), routed and delivered to Jira: (item id, issue key)."""
    item = labelled(settings, text, "bug_report", 0.93, **author)
    deliver(settings)
    return item, ticket_of(settings, item).external_key


def ticket_of(settings, feedback_id: int) -> Ticket:  # type: ignore[no-untyped-def]
    with session_scope(settings.database_url) as session:
        ticket = session.scalars(select(Ticket).where(Ticket.feedback_id == feedback_id)).one()
        session.expunge(ticket)
        return ticket


def notices_of(settings) -> list[AuthorNotice]:  # type: ignore[no-untyped-def]
    with session_scope(settings.database_url) as session:
        rows = session.scalars(select(AuthorNotice).order_by(AuthorNotice.id)).all()
        session.expunge_all()
        return list(rows)


def searches_in(fake_jira) -> list:  # type: ignore[no-untyped-def, type-arg]
    return [r for r in fake_jira.requests if "/search" in r.path]


def post_jira(api, body: bytes, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    return api.post("/v1/webhooks/jira", content=body, headers=headers)


# --- Jira webhook ------------------------------------------------------------------------------


def test_a_signed_webhook_resolves_the_ticket_and_writes_one_notice_in_the_authors_language(
    wired, api, fake_jira_cloud
):
    item, key = reported(wired, author_handle="jonas", author_email="jonas@example.de", language="de")

    body, headers = fake_jira_cloud.webhook_payload(key, "To Do", "Done", JIRA_SECRET)
    answer = post_jira(api, body, headers)

    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "issue": key,
        "tickets": [
            {
                "id": ticket_of(wired, item).id,
                "status": "resolved",
                "external_status": "Done",
                "change": "resolved",
            }
        ],
        "notices": 1,
    }
    ticket = ticket_of(wired, item)
    assert ticket.status == "resolved" and ticket.external_status == "Done" and ticket.status_changed_at
    [notice] = notices_of(wired)
    assert (notice.feedback_id, notice.ticket_id) == (item, ticket.id)
    assert notice.channel == "email" and notice.status == "manual"  # no mail integration: by hand
    assert notice.message.startswith("Hallo jonas, danke für dein Feedback („Export to PDF crashes")

    assert post_jira(api, body, headers).json() == {"duplicate": True}  # Jira's retry of the same delivery
    assert len(notices_of(wired)) == 1


def test_a_delivery_id_seen_twice_is_applied_once_and_a_new_one_reopens(wired, api, fake_jira_cloud):
    item, key = reported(wired, author_handle="anna")
    body, headers = fake_jira_cloud.webhook_payload(key, "To Do", "Done", JIRA_SECRET)
    assert post_jira(api, body, headers).status_code == 200
    identifier = headers["X-Atlassian-Webhook-Identifier"]

    same_id = fake_jira_cloud.webhook_payload(
        key, "Done", "In Progress", JIRA_SECRET, identifier=identifier, retry=1
    )
    assert post_jira(api, *same_id).json() == {"duplicate": True}
    assert ticket_of(wired, item).status == "resolved"  # not applied a second time

    reopened = post_jira(
        api, *fake_jira_cloud.webhook_payload(key, "Done", "Reopened", JIRA_SECRET, category="new")
    )
    assert reopened.json()["tickets"][0]["change"] == "reopened"
    assert ticket_of(wired, item).status == "open" and ticket_of(wired, item).external_status == "Reopened"
    assert notices_of(wired) == []  # the thanks not sent yet are taken back

    resolved = post_jira(
        api,
        *fake_jira_cloud.webhook_payload(key, "Reopened", "Resolved", JIRA_SECRET, category="indeterminate"),
    )
    assert resolved.json()["notices"] == 1  # "Resolved" is in RESOLVED_STATUSES whatever its category
    assert len(notices_of(wired)) == 1


def test_a_recorded_delivery_replayed_under_another_identifier_or_none_is_applied_once(
    wired, api, fake_jira_cloud
):
    item, key = reported(wired, author_handle="anna")
    body, headers = fake_jira_cloud.webhook_payload(key, "To Do", "Done", JIRA_SECRET)
    assert post_jira(api, body, headers).json()["notices"] == 1

    # The signature covers the body only: anyone who saw the delivery can send it again.
    renamed = {**headers, "X-Atlassian-Webhook-Identifier": "0" * 32}
    without = {k: v for k, v in headers.items() if k != "X-Atlassian-Webhook-Identifier"}
    assert post_jira(api, body, renamed).json() == {"duplicate": True}
    assert post_jira(api, body, without).json() == {"duplicate": True}
    assert len(notices_of(wired)) == 1 and ticket_of(wired, item).status == "resolved"


def test_an_event_older_than_the_receipts_are_kept_is_refused(wired, api, fake_jira_cloud):
    item, key = reported(wired, author_handle="anna")
    recorded = time.time() - 31 * 86400  # a delivery recorded long ago, its receipt pruned since
    body, headers = fake_jira_cloud.webhook_payload(key, "To Do", "Done", JIRA_SECRET, timestamp=recorded)

    answer = post_jira(api, body, headers)

    assert answer.status_code == 200  # Jira must not retry it
    assert answer.json() == {"ignored": "the event is older than 30 days", "issue": key}
    assert ticket_of(wired, item).status == "open" and notices_of(wired) == []


def test_wrong_or_missing_signatures_are_refused_and_change_nothing(wired, api, fake_jira_cloud):
    item, key = reported(wired, author_handle="anna")
    body, headers = fake_jira_cloud.webhook_payload(key, "To Do", "Done", "not-the-secret")

    wrong = post_jira(api, body, headers)
    missing = post_jira(api, body, {k: v for k, v in headers.items() if k != "X-Hub-Signature"})

    assert wrong.status_code == missing.status_code == 401
    assert "X-Hub-Signature" in wrong.json()["detail"]
    assert ticket_of(wired, item).status == "open" and notices_of(wired) == []


def test_what_is_not_ours_or_not_an_event_is_answered_without_a_change(wired, api, fake_jira_cloud):
    other = fake_jira_cloud.add_issue("Made in Jira by hand")
    ignored = post_jira(api, *fake_jira_cloud.webhook_payload(other, "To Do", "Done", JIRA_SECRET))
    assert ignored.status_code == 200 and ignored.json() == {
        "ignored": f"no ticket of ours is {other}",
        "issue": other,
    }

    body = b'{"webhookEvent": "jira:worklog_updated"}'
    not_an_issue = post_jira(api, body, {"X-Hub-Signature": sign_sha256(JIRA_SECRET, body)})
    assert not_an_issue.status_code == 400 and "no issue" in not_an_issue.json()["detail"]


@pytest.mark.parametrize("timestamp", ["9" * 400, "1e400", "-1e300"])
def test_a_signed_jira_event_whose_timestamp_is_no_moment_is_answered_400(wired, api, timestamp):
    issue = '"issue": {"id": "1", "key": "FR-1"}'
    body = f'{{"webhookEvent": "jira:issue_updated", "timestamp": {timestamp}, {issue}}}'.encode()
    answer = post_jira(api, body, {"X-Hub-Signature": sign_sha256(JIRA_SECRET, body)})
    assert answer.status_code == 400
    assert answer.json() == {"detail": "timestamp is not milliseconds since the epoch"}


def test_the_webhook_is_off_without_a_secret(api):
    answer = api.post("/v1/webhooks/jira", content=b"{}")
    assert answer.status_code == 404 and "FEEDBACK_ROUTER_JIRA__WEBHOOK_SECRET" in answer.json()["detail"]


def test_an_issue_found_by_our_label_when_its_key_is_not_stored(wired, api, fake_jira_cloud):
    """Jira's webhook can arrive before we stored the key (or after the issue moved): our label finds it."""
    item, key = reported(wired, author_handle="anna")
    with session_scope(wired.database_url) as session:
        session.get_one(Ticket, ticket_of(wired, item).id).external_key = None

    answer = post_jira(api, *fake_jira_cloud.webhook_payload(key, "To Do", "Done", JIRA_SECRET))

    assert answer.json()["tickets"][0]["change"] == "resolved"
    assert ticket_of(wired, item).external_key == key


# --- polling -----------------------------------------------------------------------------------


def test_polling_resolves_a_ticket_whose_webhook_was_lost_and_never_notifies_twice(
    wired, api, fake_jira_cloud
):
    lost, lost_key = reported(wired, "Export to PDF crashes", author_handle="anna")
    heard, heard_key = reported(wired, "Sync never finishes", author_handle="jo")
    assert (
        post_jira(api, *fake_jira_cloud.webhook_payload(heard_key, "To Do", "Done", JIRA_SECRET)).json()[
            "notices"
        ]
        == 1
    )
    fake_jira_cloud.set_status(lost_key, "Done")  # its webhook never arrived

    sweep(wired)

    assert ticket_of(wired, lost).status == "resolved" and ticket_of(wired, lost).external_status == "Done"
    assert sorted(n.feedback_id for n in notices_of(wired)) == sorted([lost, heard])  # one each
    searches = len(searches_in(fake_jira_cloud))
    assert searches == 1  # the open ticket and the one resolved just now, in one search

    late = fake_jira_cloud.webhook_payload(lost_key, "To Do", "Done", JIRA_SECRET)  # it arrives after all
    assert post_jira(api, *late).json()["tickets"][0]["change"] == "unchanged"
    sweep(wired)  # not the poll's turn yet: Jira is not asked again
    assert len(searches_in(fake_jira_cloud)) == searches
    assert len(notices_of(wired)) == 2


def test_polling_sees_an_issue_reopened_while_its_webhook_was_lost(wired, fake_jira_cloud):
    item, key = reported(wired, author_handle="anna")
    fake_jira_cloud.set_status(key, "Done")
    sweep(wired)
    assert ticket_of(wired, item).status == "resolved" and len(notices_of(wired)) == 1

    fake_jira_cloud.set_status(key, "To Do")  # re-opened in Jira; no webhook arrives
    with session_scope(wired.database_url) as session:
        session.execute(delete(ScheduleMark))  # the next poll's turn has come
    forget_schedules()
    sweep(wired)

    assert ticket_of(wired, item).status == "open" and ticket_of(wired, item).external_status == "To Do"
    assert notices_of(wired) == []  # the thanks not sent yet are taken back


def test_in_progress_is_recorded_but_stays_open_and_a_poll_turn_is_shared(wired, fake_jira_cloud):
    item, key = reported(wired, author_handle="anna")
    fake_jira_cloud.set_status(key, "In Progress")

    sweep(wired)

    assert ticket_of(wired, item).external_status == "In Progress" and ticket_of(wired, item).status == "open"
    assert notices_of(wired) == []
    forget_schedules()  # as another worker process would: the turn is in the database
    assert take_turn(wired, "jira-poll", wired.jira.poll_seconds) is False
    forget_schedules()
    assert take_turn(wired, "jira-poll", 0) is True  # a turn is due when its period has passed


def test_polling_off_asks_jira_nothing(wired, fake_jira_cloud):
    item, key = reported(wired, author_handle="anna")
    fake_jira_cloud.set_status(key, "Done")
    settings = wired.model_copy(update={"jira": wired.jira.model_copy(update={"poll_seconds": 0})})

    sweep(settings)

    assert searches_in(fake_jira_cloud) == []
    assert ticket_of(wired, item).status == "open"


# --- clusters ----------------------------------------------------------------------------------


def direction(axis: int, seed: int) -> bytes:
    vector = np.zeros(16, dtype=np.float32)
    vector[axis] = 1.0
    vector += np.random.default_rng(seed).normal(0, 0.05, 16).astype(np.float32)
    return (vector / np.linalg.norm(vector)).astype(np.float32).tobytes()


def test_resolving_a_clusters_issue_resolves_the_cluster_and_thanks_every_author(wired, api, fake_jira_cloud):
    authors = ["anna", "jo", "mia"]
    items = [
        labelled(
            wired,
            f"PDF export crashes, report {n}",
            "bug_report",
            0.9,
            embedding=direction(0, n),
            author_handle=name,
            language="en",
            url=f"https://social.example.org/{name}",
        )
        for n, name in enumerate(authors)
    ]
    deliver(wired)
    with session_scope(wired.database_url) as session:
        cluster_id = session.get_one(Feedback, items[0]).cluster_id
        cluster_ticket = session.scalars(select(Ticket).where(Ticket.cluster_id == cluster_id)).one()
        key = cluster_ticket.external_key
    assert cluster_ticket.feedback_id is None and key

    answer = post_jira(api, *fake_jira_cloud.webhook_payload(key, "To Do", "Done", JIRA_SECRET))

    assert answer.json()["notices"] == 3
    with session_scope(wired.database_url) as session:
        cluster = session.get_one(Cluster, cluster_id)
        assert cluster.status == "resolved" and cluster.resolved_at is not None
    notices = notices_of(wired)
    assert sorted(n.feedback_id for n in notices) == sorted(items)
    assert {n.channel for n in notices} == {"manual"} and all(
        n.ticket_id == cluster_ticket.id for n in notices
    )
    assert notices[0].message.startswith(
        "Hi anna, thank you for your feedback (“PDF export crashes, report 0”)!"
    )

    # An item's own issue resolved afterwards does not thank its author a second time.
    single = ticket_of(wired, items[0])
    post_jira(api, *fake_jira_cloud.webhook_payload(single.external_key, "To Do", "Done", JIRA_SECRET))
    assert len(notices_of(wired)) == 3

    reopened = post_jira(api, *fake_jira_cloud.webhook_payload(key, "Done", "To Do", JIRA_SECRET))
    assert reopened.json()["tickets"][0]["change"] == "reopened"
    with session_scope(wired.database_url) as session:
        assert session.get_one(Cluster, cluster_id).status == "open"


# --- Discourse ---------------------------------------------------------------------------------


def post_discourse(api, body: bytes, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    return api.post("/v1/webhooks/discourse", content=body, headers=headers)


def test_a_forum_post_becomes_one_item_and_its_resolution_one_reply_in_its_topic(
    wired, api, auth, fake_discourse, fake_jira_cloud
):
    post = fake_discourse.community_post(
        "anna",
        "The export to PDF crashes on Android 14 every single time.",
        title="PDF export crashes on Android",
    )
    body, headers = fake_discourse.webhook_delivery(post)

    first = post_discourse(api, body, headers)
    again = post_discourse(api, body, headers)  # Discourse redelivers

    assert first.status_code == 202 and first.json() == {"id": first.json()["id"], "status": "received"}
    assert again.status_code == 200 and again.json() == {
        "id": first.json()["id"],
        "status": "received",
        "duplicate": True,
    }
    item_id = first.json()["id"]
    read = api.get(f"/v1/feedback/{item_id}", headers=auth["manager"]).json()
    assert read["source"] == "forum" and read["external_id"] == f"discourse:{post.id}"
    assert read["author"] == {"handle": "anna", "display_name": "Anna Example", "email": None}
    assert read["url"] == f"{fake_discourse.url}/t/pdf-export-crashes-on-android/{post.topic.id}/1"
    assert read["metadata"]["discourse_topic_id"] == str(post.topic.id)
    assert read["metadata"]["discourse_post_id"] == str(post.id)
    assert read["status"] == "received"  # processed later by a worker, as any captured item

    with session_scope(wired.database_url) as session:  # what processing does after the model ran
        item = session.get_one(Feedback, item_id)
        item.kind, item.kind_confidence, item.language, item.status = (
            "bug_report",
            0.9,
            "en",
            FeedbackStatus.processed,
        )
        route(session=session, item=item, routing=live.current(wired.routing_file))
    deliver(wired)
    key = ticket_of(wired, item_id).external_key
    assert (
        post_jira(api, *fake_jira_cloud.webhook_payload(key, "To Do", "Done", JIRA_SECRET)).json()["notices"]
        == 1
    )

    sweep(wired)
    sweep(wired)

    replies = [p for p in fake_discourse.topic(post.topic.id).posts if p.username == "feedback-bot"]
    assert len(replies) == 1
    assert replies[0].reply_to_post_number == 1 and replies[0].raw.startswith(
        "Hi @anna, thank you for your feedback!"
    )
    [notice] = notices_of(wired)
    assert notice.channel == "discourse" and notice.status == "sent" and notice.attempts == 1
    assert notice.external_ref.endswith(f"/{post.topic.id}/2")

    # Discourse tells us about our own reply: not feedback.
    ours = post_discourse(api, *fake_discourse.webhook_delivery(fake_discourse.posts[-1]))
    assert ours.status_code == 200 and ours.json() == {"ignored": "our own post"}


def test_discourse_deliveries_that_are_not_new_posts_or_not_signed(wired, api, fake_discourse):
    post = fake_discourse.community_post("anna", "Dark mode would be lovely on the web app.")
    edited = post_discourse(api, *fake_discourse.webhook_delivery(post, event="post_edited"))
    assert edited.status_code == 200 and edited.json() == {"ignored": "event post_edited is not post_created"}

    system = fake_discourse.community_post("system", "This topic was automatically closed after 30 days.")
    assert post_discourse(api, *fake_discourse.webhook_delivery(system)).json() == {
        "ignored": "a post by system"
    }

    forged = post_discourse(api, *fake_discourse.webhook_delivery(post, secret="guess"))
    assert forged.status_code == 401 and "X-Discourse-Event-Signature" in forged.json()["detail"]
    with session_scope(wired.database_url) as session:
        assert session.scalars(select(Feedback)).all() == []


def nul_delivery(fake_discourse, username: str, raw: str) -> tuple[bytes, dict[str, str]]:  # type: ignore[no-untyped-def]
    """A delivery of a post whose name and text hold NUL characters (the fake writes none itself)."""
    body, headers = fake_discourse.webhook_delivery(fake_discourse.community_post("anna", "a placeholder"))
    document = json.loads(body)
    document["post"].update(username=username, raw=raw, cooked=f"<p>{raw}</p>")
    body = json.dumps(document).encode()
    return body, {**headers, "X-Discourse-Event-Signature": sign_sha256(fake_discourse.webhook_secret, body)}


def test_nul_characters_in_a_forum_post_are_dropped(wired, api, auth, fake_discourse):
    answer = post_discourse(api, *nul_delivery(fake_discourse, "an\u0000na", "Export\u0000 crashes"))

    assert answer.status_code == 202, answer.text
    read = api.get(f"/v1/feedback/{answer.json()['id']}", headers=auth["manager"]).json()
    assert (read["text"], read["author"]["handle"]) == ("Export crashes", "anna")


def test_a_forum_post_of_nul_characters_only_is_refused_with_the_field(wired, api, fake_discourse):
    answer = post_discourse(api, *nul_delivery(fake_discourse, "anna", "\u0000\u0000"))

    assert answer.status_code == 422
    assert answer.json()["detail"].startswith("the post cannot be stored as feedback: text: ")
    with session_scope(wired.database_url) as session:
        assert session.scalars(select(Feedback)).all() == []


def test_a_discourse_reply_waits_out_a_rate_limit_and_a_closed_topic_is_left_to_a_person(
    wired, api, auth, fake_discourse, fake_jira_cloud
):
    items = []
    for name in ("anna", "jo"):
        post = fake_discourse.community_post(name, f"Search ignores umlauts, says {name}, really annoying.")
        items.append((post_discourse(api, *fake_discourse.webhook_delivery(post)).json()["id"], post))
    with session_scope(wired.database_url) as session:
        for item_id, _ in items:
            item = session.get_one(Feedback, item_id)
            item.kind, item.kind_confidence, item.status = "bug_report", 0.9, FeedbackStatus.processed
            route(session=session, item=item, routing=live.current(wired.routing_file))
    deliver(wired)
    fake_discourse.topic(items[1][1].topic.id).closed = True
    fake_discourse.script("POST", "/posts.json", rate_limit_reply(1))
    for item_id, _ in items:
        post_jira(
            api,
            *fake_jira_cloud.webhook_payload(
                ticket_of(wired, item_id).external_key, "To Do", "Done", JIRA_SECRET
            ),
        )

    sweep(wired)
    by_item = {n.feedback_id: n for n in notices_of(wired)}
    assert by_item[items[0][0]].status == "pending" and "wait 1 seconds" in by_item[items[0][0]].last_error
    time.sleep(1.1)  # Retry-After
    sweep(wired)

    by_item = {n.feedback_id: n for n in notices_of(wired)}
    assert by_item[items[0][0]].status == "sent" and by_item[items[0][0]].attempts == 2
    closed = by_item[items[1][0]]
    assert closed.status == "failed" and "closed or deleted" in closed.last_error
    listed = api.get("/v1/notices?status=failed", headers=auth["manager"]).json()["items"]
    assert [n["id"] for n in listed] == [closed.id]
    assert api.post(f"/v1/notices/{closed.id}/done", headers=auth["manager"]).json()["status"] == "sent"


def test_an_author_with_several_reports_in_a_resolved_cluster_is_told_once(wired, api, auth, fake_jira_cloud):
    """Two of anna's posts (one by e-mail, so that is how she is told) and one of jo's: two notices."""
    posts = [("anna", None), ("@Anna", "anna@example.org"), ("jo", None)]
    items = [
        labelled(
            wired,
            f"PDF export crashes, report {n}",
            "bug_report",
            0.9,
            embedding=direction(0, n),
            author_handle=handle,
            author_email=email,
            language="en",
            url=f"https://forum.example.org/t/{n}",
        )
        for n, (handle, email) in enumerate(posts)
    ]
    deliver(wired)
    with session_scope(wired.database_url) as session:
        cluster_id = session.get_one(Feedback, items[0]).cluster_id
        key = session.scalars(select(Ticket).where(Ticket.cluster_id == cluster_id)).one().external_key

    answer = post_jira(api, *fake_jira_cloud.webhook_payload(key, "To Do", "Done", JIRA_SECRET))

    assert answer.json()["notices"] == 2
    listed = api.get("/v1/notices", headers=auth["manager"]).json()["items"]
    by_author = {n["author"]["handle"]: n for n in listed}
    assert set(by_author) == {"@Anna", "jo"}  # anna's e-mail names her best: that post answers
    assert by_author["@Anna"]["channel"] == "email" and by_author["@Anna"]["reports"] == items[:2]
    assert by_author["jo"]["reports"] == [items[2]] and by_author["jo"]["cluster_id"] == cluster_id

    # Re-opened and resolved again: still one each, never a second for the same author.
    post_jira(api, *fake_jira_cloud.webhook_payload(key, "Done", "To Do", JIRA_SECRET))
    post_jira(api, *fake_jira_cloud.webhook_payload(key, "To Do", "Done", JIRA_SECRET))
    assert len(notices_of(wired)) == 2


# --- the community manager's list ---------------------------------------------------------------


def test_manual_notices_are_listed_with_what_to_send_and_can_be_marked_done(
    wired, api, auth, fake_jira_cloud
):
    tweet, key = reported(
        wired,
        "The app drains my battery since 3.2",
        author_handle="@mia_k",
        author_display_name="Mia K",
        source="twitter",
        url="https://twitter.com/mia_k/status/1",
        language="en",
    )
    mail, mail_key = reported(
        wired, "Invoices show the wrong VAT", author_handle="paul", author_email="paul@example.org"
    )
    for issue in (key, mail_key):
        post_jira(
            api, *fake_jira_cloud.webhook_payload(issue, "To Do", "Closed", JIRA_SECRET, category="done")
        )

    page = api.get("/v1/notices?status=manual", headers=auth["manager"]).json()

    assert page["next_cursor"] is None
    [first, second] = page["items"]
    assert first["channel"] == "manual" and first["feedback_id"] == tweet
    assert first["author"] == {"handle": "@mia_k", "display_name": "Mia K", "email": None}
    assert (
        first["text"] == "The app drains my battery since 3.2"
        and first["url"] == "https://twitter.com/mia_k/status/1"
    )
    assert first["address"] == "https://twitter.com/mia_k/status/1" and first["ticket_key"] == key
    assert first["message"].startswith(
        "Hi Mia K, thank you for your feedback (“The app drains my battery since 3.2”)!"
    )
    assert second["channel"] == "email" and second["address"] == "paul@example.org"

    done = api.post(f"/v1/notices/{first['id']}/done", headers=auth["manager"])
    assert (
        done.status_code == 200
        and done.json()["status"] == "sent"
        and "test manager" in done.json()["external_ref"]
    )
    assert [
        n["id"] for n in api.get("/v1/notices?status=manual", headers=auth["manager"]).json()["items"]
    ] == [second["id"]]
    assert api.get("/v1/notices?status=later", headers=auth["manager"]).status_code == 422
    assert api.get("/v1/notices", headers=auth["forwarder"]).status_code == 403
    assert api.post("/v1/notices/999/done", headers=auth["manager"]).status_code == 404


def test_a_pending_notice_is_not_marked_done_by_hand(wired, api, auth, fake_discourse, fake_jira_cloud):
    post = fake_discourse.community_post("anna", "Notifications arrive twice on iOS since the update.")
    item_id = post_discourse(api, *fake_discourse.webhook_delivery(post)).json()["id"]
    with session_scope(wired.database_url) as session:
        item = session.get_one(Feedback, item_id)
        item.kind, item.kind_confidence, item.status = "bug_report", 0.9, FeedbackStatus.processed
        route(session=session, item=item, routing=live.current(wired.routing_file))
    deliver(wired)
    post_jira(
        api,
        *fake_jira_cloud.webhook_payload(
            ticket_of(wired, item_id).external_key, "To Do", "Done", JIRA_SECRET
        ),
    )
    [notice] = notices_of(wired)

    refused = api.post(f"/v1/notices/{notice.id}/done", headers=auth["manager"])

    assert refused.status_code == 409 and "waiting to be sent" in refused.json()["detail"]


def test_an_author_who_wrote_in_slack_is_thanked_in_the_thread_once(
    wired, api, fake_jira_cloud, fake_slack, monkeypatch
):
    from feedback_router.config import get_settings

    monkeypatch.setenv("FEEDBACK_ROUTER_SLACK__BOT_TOKEN", fake_slack.token)
    monkeypatch.setenv("FEEDBACK_ROUTER_SLACK__API_URL", fake_slack.api_url)
    get_settings.cache_clear()
    settings = get_settings()
    thread = {"slack_channel": "C0FEEDBACK", "slack_thread_ts": "1700000000.000100"}
    item, key = reported(settings, source="slack", author_handle="mia", metadata=thread)

    assert (
        post_jira(api, *fake_jira_cloud.webhook_payload(key, "To Do", "Done", JIRA_SECRET)).status_code == 200
    )
    sweep(settings)
    sweep(settings)

    [reply] = [m for m in fake_slack.messages if m.get("thread_ts")]
    assert reply["channel"] == "C0FEEDBACK" and reply["thread_ts"] == "1700000000.000100"
    assert reply["text"].startswith("Hi mia, thank you for your feedback")
    [notice] = notices_of(settings)
    assert (notice.channel, notice.status) == ("slack", "sent") and notice.external_ref.startswith(
        "C0FEEDBACK/"
    )


def test_without_a_slack_bot_token_a_slack_author_is_listed_for_a_person(wired, api, fake_jira_cloud):
    thread = {"slack_channel": "C0FEEDBACK", "slack_thread_ts": "1700000000.000100"}
    _, key = reported(wired, source="slack", author_handle="mia", metadata=thread)

    post_jira(api, *fake_jira_cloud.webhook_payload(key, "To Do", "Done", JIRA_SECRET))

    [notice] = notices_of(wired)
    assert (notice.channel, notice.status) == ("slack", "manual") and "SLACK__BOT_TOKEN" in notice.last_error


def test_an_author_with_an_e_mail_address_gets_one_mail_in_their_language(
    wired, api, fake_jira_cloud, fake_smtp, monkeypatch
):
    from feedback_router.config import get_settings

    for name, value in {
        "HOST": fake_smtp.host,
        "PORT": fake_smtp.port,
        "SENDER": "community@example.org",
    }.items():
        monkeypatch.setenv(f"FEEDBACK_ROUTER_MAIL__{name}", str(value))
    monkeypatch.setenv("FEEDBACK_ROUTER_MAIL__STARTTLS", "false")
    get_settings.cache_clear()
    settings = get_settings()
    _, key = reported(settings, author_handle="jonas", author_email="jonas@example.de", language="de")

    post_jira(api, *fake_jira_cloud.webhook_payload(key, "To Do", "Done", JIRA_SECRET))
    sweep(settings)
    sweep(settings)

    [mail] = fake_smtp.messages
    assert mail["To"] == "jonas@example.de" and mail["Subject"] == "Deine Rückmeldung ist erledigt"
    assert "danke für dein Feedback" in mail.get_payload(decode=True).decode()
    [notice] = notices_of(settings)
    assert (notice.channel, notice.status) == ("email", "sent") and notice.external_ref.startswith("<")
