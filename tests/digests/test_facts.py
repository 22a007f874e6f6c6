"""What a digest says: themes with trend, work in progress, shipped fixes and thanks, per community."""

from feedback_router.clusters.models import ClusterStatus
from feedback_router.db import session_scope
from feedback_router.digests import facts
from tests.digests.builders import BEFORE, END, IN_PERIOD, START, cluster, community_scene, item, ticket


def gather(settings, community):  # type: ignore[no-untyped-def]
    with session_scope(settings.database_url) as session:
        scene = community_scene(session)
        ids = {name: row.id for name, row in scene.items()}
        sections = facts.gather(session=session, community=community, start=START, end=END, settings=settings)
    return sections, ids


def test_a_community_digest_counts_only_that_community(settings):
    sections, ids = gather(settings, "forum-en")

    assert [(t.cluster_id, t.title, t.count, t.previous_count, t.change) for t in sections.themes] == [
        (ids["export"], "Export to PDF crashes on Android", 3, 1, 2),
        (ids["dark"], "Dark mode, please", 1, 0, 1),
    ]
    assert [(w.cluster_id, w.feedback_id, w.title, w.reports, w.status) for w in sections.in_progress] == [
        (ids["export"], None, "Export to PDF crashes on Android", 4, "In Progress"),
        (None, ids["lone"], "Search ignores umlauts", 1, "In Review"),
    ]  # dark mode is only "To Do"; the password question is support's, never public news
    assert [(w.cluster_id, w.title, w.reports, w.status) for w in sections.shipped] == [
        (ids["sso"], "Login fails with SSO", 2, "Done")
    ]
    assert sections.praise.count == 3  # not the abusive one, the old one, nor the split message itself
    assert [(q.text, q.author) for q in sections.praise.quotes] == [
        ("The new editor is wonderful", "kim"),
        ("Great update", "Anna Example"),
    ]


def test_a_digest_of_every_community(settings):
    sections, ids = gather(settings, None)

    assert [(t.cluster_id, t.count, t.previous_count) for t in sections.themes] == [
        (ids["export"], 3, 1),
        (ids["other"], 2, 0),
        (ids["dark"], 1, 0),
    ]
    assert [(w.cluster_id, w.reports) for w in sections.shipped] == [(ids["sso"], 2), (ids["other_fix"], 1)]
    assert sections.praise.count == 4


def test_an_empty_period_has_empty_sections(settings):
    with session_scope(settings.database_url) as session:
        sections = facts.gather(session=session, community="nobody", start=START, end=END, settings=settings)
    assert sections.themes == [] and sections.in_progress == [] and sections.shipped == []
    assert sections.praise.count == 0 and sections.praise.quotes == []


def test_a_lone_report_resolved_in_the_period_shipped_and_leaves_work_in_progress(settings):
    with session_scope(settings.database_url) as session:
        lone = item(session, "Crash when I paste an emoji, write me at jo@example.com")
        ticket(session, of=lone, status="resolved", external_status="Fixed", changed_at=IN_PERIOD)
        ticket(session, of=lone, external_status="In Progress", destination="jira:OPS")
        sections = facts.gather(
            session=session, community="forum-en", start=START, end=END, settings=settings
        )
    assert [(w.feedback_id, w.status) for w in sections.shipped] == [(lone.id, "Fixed")]
    assert sections.shipped[0].title == "Crash when I paste an emoji, write me at [email]"  # redacted
    assert sections.in_progress == []  # shipped wins


def test_long_praise_is_cut_and_short_praise_is_quoted_first(settings):
    with session_scope(settings.database_url) as session:
        item(session, "Great! " * 100, kind="praise", at=IN_PERIOD.replace(hour=5))
        item(session, "Nice work\non   the release", kind="praise", at=IN_PERIOD.replace(hour=1))
        sections = facts.gather(
            session=session, community="forum-en", start=START, end=END, settings=settings
        )
    first, second = sections.praise.quotes
    assert first.text == "Nice work on the release" and first.author is None
    assert second.text.endswith("…") and len(second.text) <= facts.QUOTE_LENGTH


def test_a_fix_is_news_once(settings):
    """Resolved last week, moved from Done to Closed this week: not shipped again."""
    with session_scope(settings.database_url) as session:
        old = cluster(session, "Old crash", status=ClusterStatus.resolved, resolved_at=BEFORE)
        item(session, "old crash", cluster=old, at=BEFORE)
        ticket(session, of=old, status="resolved", external_status="Closed", changed_at=IN_PERIOD)
        sections = facts.gather(
            session=session, community="forum-en", start=START, end=END, settings=settings
        )
        previous = facts.gather(
            session=session, community="forum-en", start=START - (END - START), end=START, settings=settings
        )
    assert sections.shipped == []
    assert [w.title for w in previous.shipped] == ["Old crash"]
