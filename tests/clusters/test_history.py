"""History on the source's clock (issue 15): imported posts count in the weeks they were written, on
the cluster's trend, its first and last seen, the overview and the digest alike, and the overview counts
posts, not the parts a mixed post was split into. Each test runs on SQLite and PostgreSQL."""

from datetime import timedelta

from feedback_router.clusters import service as clusters
from feedback_router.clusters import stats as cluster_stats
from feedback_router.db import session_scope, utcnow
from feedback_router.digests import facts as digest_facts
from feedback_router.feedback import stats
from feedback_router.feedback.models import Feedback
from tests.clusters import test_clusters
from tests.clusters.test_clusters import cluster_of, direction
from tests.routing.helpers import labelled

WRITTEN_DAYS_AGO = [1, 3, 8, 10, 12, 30]  # two this week, three last week, one a month ago

wired = test_clusters.wired  # the fixture: settings wired to the fake Jira


def imported(settings, text: str, days_ago: float, seed: int, problem: int = 0) -> int:  # type: ignore[no-untyped-def]
    """A post imported today that its source dates ``days_ago`` days back."""
    written = utcnow() - timedelta(days=days_ago)
    embedding = direction(problem, seed=seed)
    return labelled(settings, text, "bug_report", 0.9, embedding=embedding, language="en", created_at=written)


def test_imported_history_lands_in_its_weeks_on_the_cluster_the_overview_and_the_digest(wired):
    ids = [
        imported(wired, f"Sync loses my notes, case {n}", days, seed=n)
        for n, days in enumerate(WRITTEN_DAYS_AGO)
    ]
    cluster = cluster_of(wired, ids[0])
    assert {cluster_of(wired, i).id for i in ids} == {cluster.id}
    now = utcnow()
    with session_scope(wired.database_url) as session:
        trend = cluster_stats.facts(session=session, cluster_ids=[cluster.id], now=now)[cluster.id].trend
        summary = clusters.summary(session, session.get_one(type(cluster), cluster.id), now=now)
        themes = digest_facts.gather(
            session=session, community=None, start=now - timedelta(days=7), end=now, settings=wired
        ).themes
        calendar = stats.days_until(stats.today(now), 14)
        volume = stats.volume_by_kind(session, calendar)["bug_report"]
        written = {session.get_one(Feedback, i).written_at.date() for i in ids}

    # Not "new: 6 this week, none last week" (all arrived today): two this week against three.
    assert (trend.this_week, trend.last_week, trend.direction) == (2, 3, "down")
    assert (summary["this_week"], summary["last_week"]) == (2, 3)
    # The digest for the same seven days says the same.
    assert [(t.cluster_id, t.count, t.previous_count) for t in themes] == [(cluster.id, 2, 3)]
    # The overview draws them on the days they were written, not as one spike today.
    assert sum(volume) == 5 and volume[-1] == 0
    assert {calendar[i] for i, n in enumerate(volume) if n} == written - {min(written)}
    assert cluster.first_seen.date() == min(written) and cluster.last_seen.date() == max(written)


def test_the_overview_counts_a_mixed_post_once_and_a_source_clock_ahead_counts_at_arrival(database_url):
    now = utcnow()
    with session_scope(database_url) as session:
        post = Feedback(
            text="Love the app. But sync fails.", source="forum", kind="bug_report", created_at=now
        )
        session.add(post)
        session.flush()
        for start, end, kind in [(0, 13, "praise"), (14, 29, "bug_report")]:
            session.add(
                Feedback(
                    text=post.text[start:end], source="forum", kind=kind, parent_id=post.id, created_at=now
                )
            )
        ahead = Feedback(
            text="From the future", source="forum", kind="question", created_at=now + timedelta(days=3)
        )
        session.add(ahead)
        session.flush()
        assert ahead.written_at == ahead.received_at  # a source's clock ahead of ours does not date it later
        calendar = stats.days_until(stats.today(now), 7)
        volume = stats.volume_by_kind(session, calendar)
        totals = stats.totals(session, stats.start_of(calendar[0]))
    assert volume["bug_report"][-1] == 1 and volume["praise"][-1] == 0  # the post, not its parts
    assert volume["question"][-1] == 1
    assert totals["items"] == 2  # two posts, not four items
