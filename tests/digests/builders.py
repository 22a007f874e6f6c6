"""Feedback, clusters and tickets written straight into the database, as processing and the Jira
loop-back leave them, for the digest tests."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from feedback_router.clusters.models import Cluster, ClusterStatus
from feedback_router.feedback.models import Feedback, FeedbackStatus
from feedback_router.tickets.models import Ticket

# The period the tests write digests for, and the one before it (for the trend).
START = datetime(2026, 11, 16, tzinfo=UTC)
END = datetime(2026, 11, 23, tzinfo=UTC)
IN_PERIOD = datetime(2026, 11, 18, 10, tzinfo=UTC)
BEFORE = datetime(2026, 11, 12, 10, tzinfo=UTC)
LONG_AGO = datetime(2026, 10, 1, tzinfo=UTC)
PERIOD = {"period_start": START.isoformat(), "period_end": END.isoformat()}


def item(
    session: Session,
    text: str,
    *,
    at: datetime = IN_PERIOD,
    kind: str = "bug_report",
    community: str | None = "forum-en",
    cluster: Cluster | None = None,
    handle: str | None = None,
    display_name: str | None = None,
    **fields: Any,
) -> Feedback:
    row = Feedback(
        text=text,
        source="forum",
        created_at=at,
        received_at=max(at, IN_PERIOD),  # imported later: the date it was written counts
        meta={"community": community} if community else {},
        status=FeedbackStatus.processed,
        kind=kind,
        team="product" if kind in ("bug_report", "feature_request", "criticism") else "support",
        author_handle=handle,
        author_display_name=display_name,
        cluster_id=cluster.id if cluster else None,
        **fields,
    )
    session.add(row)
    session.flush()
    if cluster is not None:
        cluster.size += 1
    return row


def cluster(
    session: Session, title: str, *, status: str = ClusterStatus.open, resolved_at: datetime | None = None
) -> Cluster:
    row = Cluster(team="product", title=title, status=status, size=0, synced_size=0, resolved_at=resolved_at)
    session.add(row)
    session.flush()
    return row


def ticket(
    session: Session,
    *,
    of: Cluster | Feedback,
    status: str = "open",
    external_status: str | None = None,
    changed_at: datetime | None = None,
    destination: str = "jira:FR",
) -> Ticket:
    row = Ticket(
        cluster_id=of.id if isinstance(of, Cluster) else None,
        feedback_id=of.id if isinstance(of, Feedback) else None,
        sink=destination.split(":")[0],
        destination=destination,
        team="product",
        title=of.title if isinstance(of, Cluster) else of.text[:80],
        body="",
        status=status,
        external_status=external_status,
        status_changed_at=changed_at,
        delivery="delivered",
        external_key=f"FR-{of.id}",
    )
    session.add(row)
    session.flush()
    return row


def community_scene(session: Session) -> dict[str, Any]:
    """One period of a community's life, with everything a digest must leave out around it.

    forum-en, 16–22 November 2026:
    - themes: export (3 items, 1 the week before: ↑ 2 from 1), dark mode (1 item, new);
    - being worked on: export (its cluster ticket is In Progress, 4 reports) and a lone bug report
      (its ticket In Review); dark mode is only To Do;
    - shipped: SSO login (cluster resolved, its ticket Done, 2 reports the week before);
    - praise: 3 items (one a part of a mixed message), of which the newest two are quoted.
    """
    export = cluster(session, "Export to PDF crashes on Android")
    for n in range(3):
        item(session, f"export crashes {n}", cluster=export, at=IN_PERIOD.replace(hour=n))
    item(session, "export crashed last week", cluster=export, at=BEFORE)
    ticket(session, of=export, external_status="In Progress", changed_at=IN_PERIOD)

    dark = cluster(session, "Dark mode, please")
    item(session, "dark mode please", kind="feature_request", cluster=dark)
    ticket(session, of=dark, external_status="To Do", changed_at=IN_PERIOD)

    sso = cluster(session, "Login fails with SSO", status=ClusterStatus.resolved, resolved_at=IN_PERIOD)
    item(session, "sso login broken", cluster=sso, at=BEFORE)
    item(session, "cannot log in with SSO", cluster=sso, at=BEFORE)
    ticket(session, of=sso, status="resolved", external_status="Done", changed_at=IN_PERIOD)

    lone = item(session, "Search ignores umlauts")
    ticket(session, of=lone, external_status="In Review", changed_at=IN_PERIOD)
    question = item(session, "How do I reset my password?", kind="question")
    ticket(session, of=question, external_status="In Progress", changed_at=IN_PERIOD)  # support: private

    # Another community's theme, shipped fix and praise; abusive and old praise.
    other = cluster(session, "Sync stalls on iOS")
    item(session, "sync stalls", cluster=other, community="forum-de")
    item(session, "sync stalls again", cluster=other, community="forum-de")
    other_fix = cluster(session, "Widget is blank", status=ClusterStatus.resolved, resolved_at=IN_PERIOD)
    item(session, "widget blank", cluster=other_fix, community="forum-de", at=BEFORE)
    item(session, "Super App!", kind="praise", community="forum-de")
    item(session, "love it, you idiots", kind="praise", abuse=True)
    item(session, "Loved it last month", kind="praise", at=BEFORE)

    item(session, "Thanks for the quick fix!", kind="praise", at=IN_PERIOD.replace(hour=1), handle="jo")
    mixed = item(session, "Great update, but export crashes", kind="praise", at=IN_PERIOD.replace(hour=2))
    item(
        session,
        "Great update",
        kind="praise",
        at=IN_PERIOD.replace(hour=2),
        parent_id=mixed.id,
        handle="anna",
        display_name="Anna Example",
    )
    item(
        session,
        "The new editor is wonderful",
        kind="praise",
        at=IN_PERIOD.replace(hour=3),
        handle="kim",
    )
    return {"export": export, "dark": dark, "sso": sso, "lone": lone, "other": other, "other_fix": other_fix}
