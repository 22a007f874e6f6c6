"""The clusters' counts for their pages and the overview, on SQLite and PostgreSQL: trend, reports per
UTC day, languages, sentiment, tickets, and the clusters that got most reports in a period."""

from datetime import timedelta

from feedback_router.clusters import stats as cluster_stats
from feedback_router.clusters.models import Cluster, ClusterStatus
from feedback_router.db import session_scope
from tests.feedback.test_stats import at, far_from_utc, item, ticket


def test_cluster_facts_and_the_top_clusters_of_a_period(database_url):
    now = at(20, 12)
    with session_scope(database_url) as session:
        export = Cluster(team="product", title="export crashes", size=5)
        login = Cluster(team="product", title="login fails", size=1)
        old = Cluster(team="product", title="old", status=ClusterStatus.merged, size=0)
        session.add_all([export, login, old])
        session.flush()
        for received, language, sentiment in [
            (now - timedelta(days=1), "en", "negative"),
            (now - timedelta(days=2), "de", "negative"),
            (now - timedelta(days=3), "en", None),
            (now - timedelta(days=8), "en", "neutral"),  # last week
            (now - timedelta(days=40), "en", "negative"),  # long ago
        ]:
            item(session, received, cluster_id=export.id, language=language, sentiment=sentiment)
        item(session, now - timedelta(days=9), cluster_id=login.id, language="fr")
        ticket(session, sink="jira", destination="jira:FR", cluster_id=export.id, external_key="FR-7")
        ids = (export.id, login.id, old.id)
    with session_scope(database_url) as session:
        far_from_utc(session)
        facts = cluster_stats.facts(session=session, cluster_ids=ids, now=now, days=10)
        top = cluster_stats.top(session=session, since=at(14, 0), days=7, now=now)
        top_titles = [(t.cluster.title, t.count, t.previous, t.daily) for t in top]
    export_facts = facts[ids[0]]
    assert (export_facts.trend.this_week, export_facts.trend.last_week) == (3, 1)
    assert (export_facts.trend.direction, export_facts.trend.change) == ("up", 200)
    assert export_facts.daily == [0, 1, 0, 0, 0, 0, 1, 1, 1, 0]  # May 11..20: one on the 12th and 17th-19th
    assert export_facts.languages == {"en": 4, "de": 1}
    assert export_facts.sentiment == {"negative": 3, "neutral": 1, "unknown": 1}
    assert [t.external_key for t in export_facts.tickets] == ["FR-7"]
    assert facts[ids[1]].trend.direction == "down" and facts[ids[1]].trend.change == 100
    assert facts[ids[2]].daily == [0] * 10 and facts[ids[2]].languages == {}
    # May 14-20 (from the start of May 14 to noon on May 20); the period before starts May 7 at noon
    assert top_titles == [("export crashes", 3, 1, [0, 0, 0, 1, 1, 1, 0])]
