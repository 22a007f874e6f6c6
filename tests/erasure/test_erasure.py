"""Erasing an author (API and command line) and anonymising old items (retention), on both databases.

The data is made the way the service makes it where that needs no model: captured through the API,
labelled and routed by a manager's correction (which opens the board tickets and makes the item a
training example), clustered by ``clusters.service.attach`` on a given vector, thanked by
``loopback.notices.open_notices``, quoted in a digest drafted through the API.
"""

import json
import threading
from datetime import timedelta
from typing import Any

import numpy as np
from sqlalchemy import JSON, String, Text, func, select, update
from typer.testing import CliRunner

from classifiers.heads import ExampleBank, HeadSet, LinearHead
from feedback_router import model_versions
from feedback_router.cli import app
from feedback_router.clusters import service as clusters
from feedback_router.clusters.models import Cluster
from feedback_router.db import Base, session_scope, utcnow
from feedback_router.digests.models import Digest
from feedback_router.erasure import service as erasure
from feedback_router.erasure.service import MARKER
from feedback_router.feedback.labels import training_examples
from feedback_router.feedback.models import Feedback, FeedbackLabel
from feedback_router.jobs import run_due
from feedback_router.loopback import notices
from feedback_router.loopback.models import AuthorNotice, NoticeStatus
from feedback_router.models import load_all
from feedback_router.schedule import forget_schedules
from feedback_router.tickets.models import Ticket
from tests.cli_helpers import error_line

runner = CliRunner()

HANDLE = "zebra_anna"
NAME = "Anna Zebrowski"
EMAIL = "anna.zebrowski@example.org"
URL = "https://forum.example.org/t/zebrasync/4242"
BUG = "Zebrasync wipes my notes every time I open the tablet app"
PRAISE = "Zebrasync is the nicest notes app I ever used, thank you"
OTHER = "Zebrasync deletes notes when the tablet goes offline"  # another member, same problem
SECRETS = (HANDLE, NAME, EMAIL, URL, BUG, PRAISE, "discourse:4242", "anna-idem")


def capture(api, auth, text: str, *, handle: str, extra: dict[str, Any] | None = None, **headers: str) -> int:
    body = {"text": text, "source": "forum", "author": {"handle": handle}, **(extra or {})}
    answer = api.post("/v1/feedback", json=body, headers={**auth["forwarder"], **headers})
    assert answer.status_code == 202, answer.text
    return int(answer.json()["id"])


def correct(api, auth, item_id: int, kind: str) -> None:
    answer = api.post(f"/v1/feedback/{item_id}/labels", json={"kind": kind}, headers=auth["manager"])
    assert answer.status_code == 200, answer.text


def anna(api, auth) -> tuple[int, int]:
    """Anna's bug report and praise, with everything that can identify her."""
    author = {"handle": HANDLE, "display_name": NAME, "email": EMAIL}
    bug = capture(
        api,
        auth,
        BUG,
        handle=HANDLE,
        extra={
            "author": author,
            "url": URL,
            "external_id": "discourse:4242",
            "metadata": {"community": "forum-en", "discourse_topic_id": "4242"},
        },
    )
    praise = capture(
        api, auth, PRAISE, handle=HANDLE, extra={"author": author}, **{"Idempotency-Key": "anna-idem"}
    )
    return bug, praise


def texts_everywhere(url: str) -> list[str]:
    """Every value of every text and JSON column of every table, and the example texts in the stored
    model versions, as strings."""
    load_all()
    found = []
    with session_scope(url) as session:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
            for row in session.execute(select(*columns)) if columns else []:
                found += [v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for v in row]
        for version in session.scalars(select(model_versions.ModelVersion)):
            for bank in HeadSet.from_bytes(version.heads).banks.values():
                found += bank.texts
    return found


def leaks(url: str) -> list[str]:
    everything = "\n".join(texts_everywhere(url)).casefold()
    return [secret for secret in SECRETS if secret.casefold() in everything]


def train_on(session, texts: list[str]) -> str:
    """A model version whose example bank holds ``texts``, as `feedback-router train` stores one."""
    vectors = np.eye(len(texts), 4, dtype=np.float32)
    head = LinearHead(["bug_report", "praise"], np.zeros((2, 4)), np.zeros(2))
    bank = ExampleBank(list(texts), ["bug_report"] * len(texts), vectors)
    heads = HeadSet("test-model", {"kind": head}, {"kind": bank}, version="v-community")
    model_versions.activate_new(
        session=session, version=heads.version, embedding_model="test-model", heads=heads.to_bytes(), info={}
    )
    return heads.version


def test_erasing_an_author_leaves_their_words_and_names_in_no_table_and_keeps_counts(settings, api, auth):
    bug, praise = anna(api, auth)
    other = capture(api, auth, OTHER, handle="bert")
    for item_id, kind in ((bug, "bug_report"), (praise, "praise"), (other, "bug_report")):
        correct(api, auth, item_id, kind)  # routed: board tickets, and training examples
    vector = np.ones(8, dtype=np.float32).tobytes()
    with session_scope(settings.database_url) as session:
        for item_id in (bug, other):  # the same problem: one cluster, titled by Anna's report
            item = session.get(Feedback, item_id)
            item.embedding = vector
            clusters.attach(session=session, item=item, settings=settings)
        version = train_on(session, [BUG, "a seed text"])
        seen = session.get(Feedback, other)
        seen.model_version = version
        seen.kind_evidence = [{"text": BUG, "label": "bug_report", "similarity": 0.91}]
        for ticket in session.scalars(select(Ticket).where(Ticket.feedback_id.in_([bug, praise]))):
            ticket.status = "resolved"
            assert notices.open_notices(session=session, ticket=ticket, settings=settings) == 1
        # The praise's thanks went out; the bug report's waits for a person (no SMTP here).
        session.execute(
            update(AuthorNotice).where(AuthorNotice.feedback_id == praise).values(status=NoticeStatus.sent)
        )
    now = utcnow()
    period = {
        "period_start": (now - timedelta(days=1)).isoformat(),
        "period_end": (now + timedelta(days=1)).isoformat(),
    }
    drafted = api.post("/v1/digests", json={"language": "en", **period}, headers=auth["manager"])
    assert drafted.status_code == 201, drafted.text
    assert "nicest notes app" in drafted.json()["markdown"]  # Anna is quoted before
    assert set(leaks(settings.database_url)) == set(SECRETS)  # every trace is there to find
    with session_scope(settings.database_url) as session:
        before = {
            "items": session.scalar(select(func.count()).select_from(Feedback)),
            "labels": session.scalar(select(func.count()).select_from(FeedbackLabel)),
            "tickets": session.scalar(select(func.count()).select_from(Ticket)),
            "cluster": session.scalar(select(Cluster.size)),
        }

    assert api.delete(f"/v1/authors/forum/{HANDLE}", headers=auth["manager"]).status_code == 403
    answer = api.delete(f"/v1/authors/forum/{HANDLE}", headers=auth["admin"])

    assert answer.status_code == 200, answer.text
    erased = answer.json()
    assert erased == {
        "items": 2,
        "parts": 0,
        "tickets": 2,
        "notices_withdrawn": 1,
        "notices": 1,
        "clusters": 1,
        "digests": 1,
        "evidence": 1,
        "model_versions": 1,
        "outside": [],  # board tickets only: nothing left the service
    }
    assert leaks(settings.database_url) == []
    with session_scope(settings.database_url) as session:
        after = {
            "items": session.scalar(select(func.count()).select_from(Feedback)),
            "labels": session.scalar(select(func.count()).select_from(FeedbackLabel)),
            "tickets": session.scalar(select(func.count()).select_from(Ticket)),
            "cluster": session.scalar(select(Cluster.size)),
        }
        assert after == before
        cluster = session.scalar(select(Cluster))
        assert cluster.title == OTHER and cluster.synced_at is None  # Bert's words now; Jira follows
        assert session.get(Feedback, other).text == OTHER  # nobody else's data changed
        assert [text for text, _ in training_examples(session=session)["kind"]] == [OTHER]
        digest = session.scalar(select(Digest))
        assert (
            digest.sections["praise"]["count"] == 1
            and digest.sections["praise"]["quotes"][0]["text"] == MARKER
        )
    item = api.get(f"/v1/feedback/{bug}", headers=auth["manager"]).json()
    assert item["text"] == MARKER and item["author"] is None and item["kind"] == "bug_report"

    again = api.delete(f"/v1/authors/forum/{HANDLE}", headers=auth["admin"])
    assert again.status_code == 200 and again.json()["items"] == 0 and again.json()["tickets"] == 0


def test_an_unknown_author_is_answered_with_nothing_erased_and_a_bad_source_with_422(settings, api, auth):
    answer = api.delete("/v1/authors/forum/nobody", headers=auth["admin"])
    assert answer.status_code == 200
    assert answer.json() == {**{name: 0 for name in answer.json() if name != "outside"}, "outside": []}
    assert api.delete("/v1/authors/myspace/nobody", headers=auth["admin"]).status_code == 422
    refused = api.delete("/v1/authors/forum/a%00b", headers=auth["admin"])  # no handle holds NUL
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "handle"


def test_erase_on_the_command_line_takes_every_source_unless_one_is_named(settings, api, auth):
    capture(api, auth, BUG, handle=HANDLE)
    slack = api.post(
        "/v1/feedback",
        json={"text": PRAISE, "source": "slack", "author": {"handle": HANDLE}},
        headers=auth["forwarder"],
    )
    assert slack.status_code == 202

    forum_only = runner.invoke(app, ["erase", "--author", HANDLE, "--source", "forum"])
    assert forum_only.exit_code == 0, forum_only.output
    assert forum_only.stdout.startswith(f"erased {HANDLE} on forum: items 1, parts 0, tickets 0")
    with session_scope(settings.database_url) as session:
        assert session.scalar(select(Feedback.text).where(Feedback.source == "slack")) == PRAISE

    everywhere = runner.invoke(app, ["erase", "--author", HANDLE])
    assert everywhere.exit_code == 0 and "on every source: items 1," in everywhere.stdout
    assert leaks(settings.database_url) == []
    nothing = runner.invoke(app, ["erase", "--author", HANDLE])
    assert nothing.exit_code == 0 and nothing.stdout.startswith(f"nothing held about {HANDLE}")
    assert "needs a handle" in error_line(runner.invoke(app, ["erase", "--author", "  "]))


def test_a_delivery_already_outside_is_listed_to_erase_there(settings, api, auth):
    bug, _ = anna(api, auth)
    with session_scope(settings.database_url) as session:
        session.add(
            Ticket(
                feedback_id=bug,
                sink="jira",
                destination="jira:FR",
                team="product",
                title=BUG,
                body=f"> {BUG}\n\nAuthor: {NAME}",
                delivery="delivered",
                external_key="FR-7",
                external_url="https://jira.example.org/browse/FR-7",
            )
        )
        quoted = {"praise": {"count": 1, "quotes": [{"feedback_id": bug, "text": BUG, "author": NAME}]}}
        published = Digest(
            language="en",
            period_start=utcnow() - timedelta(days=7),
            period_end=utcnow(),
            title="You said, we did",
            markdown=f"> {BUG} — {NAME}",
            sections=quoted,
            status="published",
            published_url="https://forum.example.org/t/digest/9",
        )
        session.add(published)
        session.flush()
        digest_id = published.id
    erased = api.delete(f"/v1/authors/forum/{HANDLE}", headers=auth["admin"]).json()
    # Listed, not changed: what was published stays as it was published.
    published_at = f"digest {digest_id} https://forum.example.org/t/digest/9"
    assert erased["outside"] == ["jira:FR https://jira.example.org/browse/FR-7", published_at]
    with session_scope(settings.database_url) as session:
        ticket = session.scalar(select(Ticket))
        assert (ticket.title, ticket.body) == (MARKER, f"> {MARKER}\n\nAuthor: {MARKER}")


def test_retention_anonymises_old_items_once_per_turn_and_keeps_new_ones(configure, api, auth):
    settings = configure(retention_days=30)
    forget_schedules()
    old, kept = capture(api, auth, BUG, handle=HANDLE), capture(api, auth, OTHER, handle="bert")
    with session_scope(settings.database_url) as session:
        session.get(Feedback, old).received_at = utcnow() - timedelta(days=31)

    run_due(settings, "retention")

    with session_scope(settings.database_url) as session:
        assert session.get(Feedback, old).text == MARKER and session.get(Feedback, old).author_handle is None
        assert session.get(Feedback, kept).text == OTHER
        session.get(Feedback, kept).received_at = utcnow() - timedelta(days=40)
    run_due(settings, "retention")  # this turn was taken: the next is in an hour
    with session_scope(settings.database_url) as session:
        assert session.get(Feedback, kept).text == OTHER
    assert erasure.anonymise_older(settings=settings, days=30).items == 1
    forget_schedules()


def test_without_a_retention_setting_nothing_is_anonymised(settings, api, auth):
    forget_schedules()
    old = capture(api, auth, BUG, handle=HANDLE)
    with session_scope(settings.database_url) as session:
        session.get(Feedback, old).received_at = utcnow() - timedelta(days=3650)
    run_due(settings, "retention")
    with session_scope(settings.database_url) as session:
        assert session.get(Feedback, old).text == BUG


def test_parts_a_cluster_named_after_the_author_and_an_approved_digest_are_erased_too(settings, api, auth):
    bug, _ = anna(api, auth)
    with session_scope(settings.database_url) as session:
        root = session.get_one(Feedback, bug)
        named = Cluster(
            team="product", title=f"{NAME}'s sync problem", title_locked=True, size=1, synced_size=1
        )
        session.add(named)
        session.flush()
        for start, end, kind in ((0, 25, "bug_report"), (26, len(BUG), "praise")):  # as processing splits
            session.add(
                Feedback(
                    text=BUG[start:end],
                    source=root.source,
                    author_handle=root.author_handle,
                    author_display_name=root.author_display_name,
                    author_email=root.author_email,
                    url=root.url,
                    parent_id=root.id,
                    span_start=start,
                    span_end=end,
                    kind=kind,
                    cluster_id=named.id if kind == "bug_report" else None,
                    meta=root.meta,
                )
            )
    now = utcnow()
    period = {
        "period_start": (now - timedelta(days=1)).isoformat(),
        "period_end": (now + timedelta(days=1)).isoformat(),
    }
    digest = api.post("/v1/digests", json={"language": "de", **period}, headers=auth["manager"]).json()
    assert BUG[26:] in digest["markdown"]  # the praising part is quoted
    assert api.post(f"/v1/digests/{digest['id']}/approve", headers=auth["manager"]).status_code == 200

    result = runner.invoke(app, ["erase", "--author", HANDLE, "--source", "forum"])

    assert result.exit_code == 0, result.output
    assert "items 2, parts 2," in result.stdout and "clusters 1, digests 1," in result.stdout
    assert leaks(settings.database_url) == []
    with session_scope(settings.database_url) as session:
        assert session.scalar(select(Cluster.title)) == f"{MARKER}'s sync problem"  # the manager's words stay
        parts = session.scalars(select(Feedback).where(Feedback.parent_id == bug)).all()
        assert [(p.text, p.span_start, p.meta) for p in parts] == [
            (MARKER, 0, {"community": "forum-en"}),
            (MARKER, 26, {"community": "forum-en"}),
        ]
        again = session.get_one(Digest, digest["id"])
        assert again.status == "draft" and again.approved_at is None  # changed since it was approved


def test_a_short_name_goes_from_the_authors_own_tickets(settings, api, auth):
    jo = capture(api, auth, BUG, handle="jo", extra={"author": {"handle": "jo", "display_name": "Jo"}})
    correct(api, auth, jo, "bug_report")  # a board ticket whose body names the author
    with session_scope(settings.database_url) as session:
        assert "Author: Jo" in session.scalar(select(Ticket.body))

    api.delete("/v1/authors/forum/jo", headers=auth["admin"])

    with session_scope(settings.database_url) as session:
        ticket = session.scalar(select(Ticket))
        assert ticket.title == MARKER and BUG not in ticket.body
        assert "Author: [erased]" in ticket.body and f"Feedback: fr-{jo}" in ticket.body


def test_an_erased_item_counts_as_changed_for_clients_that_keep_copies(settings, api, auth):
    bug, _ = anna(api, auth)
    since = utcnow().isoformat()
    assert (
        api.get("/v1/feedback", params={"changed_since": since}, headers=auth["manager"]).json()["items"]
        == []
    )

    api.delete(f"/v1/authors/forum/{HANDLE}", headers=auth["admin"])

    changed = api.get("/v1/feedback", params={"changed_since": since}, headers=auth["manager"]).json()[
        "items"
    ]
    assert [(i["id"], i["text"]) for i in changed if i["id"] == bug] == [(bug, MARKER)]


def test_a_retention_run_stops_between_transactions_when_the_service_stops(settings, api, auth):
    ids = [capture(api, auth, f"{BUG} {n}", handle=HANDLE) for n in range(erasure.RETENTION_CHUNK + 1)]
    with session_scope(settings.database_url) as session:
        session.execute(update(Feedback).values(received_at=utcnow() - timedelta(days=40)))
    stopping = threading.Event()
    stopping.set()

    assert erasure.anonymise_older(settings=settings, days=30, stop=stopping).items == 0
    assert erasure.anonymise_older(settings=settings, days=30, chunks=1).items == erasure.RETENTION_CHUNK
    with session_scope(settings.database_url) as session:
        assert session.get_one(Feedback, ids[-1]).text.startswith(BUG)  # the next turn's
