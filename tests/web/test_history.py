"""History and recurring problems in Chromium, in English and German (issue 15): imported reports count
in the weeks they were written on the cluster's page and the overview (not as one spike on the import
day), and a new report of a resolved problem brings its cluster back, shown as such on the cluster
pages and told in the digest."""

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from feedback_router.clusters.models import Cluster, ClusterStatus
from feedback_router.config import get_settings
from feedback_router.db import session_scope
from tests.web.test_clusters import EXPORT, cluster, clustered

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WRITTEN_DAYS_AGO = [1, 8, 9, 10]  # one this week, the others last week
AGAIN = "The app crashes again every time I export a report to PDF. Please fix this bug!"


@pytest.fixture(autouse=True)
def no_reclustering(configure) -> None:  # type: ignore[no-untyped-def]
    configure(cluster_recluster_seconds=0)


def imported(service: str, auth, now: datetime) -> dict[int, int]:  # type: ignore[no-untyped-def]
    """Posts imported now that their forum dates back; returns each one's days ago by id."""
    ages = {}
    for n, (text, days) in enumerate(zip(EXPORT, WRITTEN_DAYS_AGO, strict=True)):
        written = now - timedelta(days=days)
        answer = httpx.post(
            f"{service}/v1/feedback",
            json={
                "text": text,
                "source": "forum",
                "author": {"handle": f"m{n}"},
                "created_at": written.isoformat(),
            },
            headers=auth["forwarder"],
        )
        assert answer.status_code == 202, answer.text
        ages[answer.json()["id"]] = days
    return ages


def test_history_counts_when_written_and_a_resolved_problem_comes_back(signed_in, service, auth, shot):
    page = signed_in
    now = datetime.now(UTC)
    ages = imported(service, auth, now)
    clusters = clustered(service, auth, list(ages))
    biggest = max(set(clusters.values()), key=lambda c: cluster(service, auth, c)["size"])
    members = [i for i, c in clusters.items() if c == biggest]
    this_week = sum(1 for i in members if ages[i] < 7)
    last_week = len(members) - this_week
    assert last_week >= 1

    # The cluster's trend follows the forum's dates, not the import day.
    page.goto(f"/clusters/{biggest}")
    facts = page.locator("section.cluster-facts")
    expect(facts).to_contain_text(f"{this_week} this week, {last_week} last week")
    expect(facts).not_to_contain_text("none last week")
    oldest = max(members, key=lambda i: ages[i])
    row = page.locator("tr", has=page.get_by_role("link", name=f"#{oldest}", exact=True))
    expect(row).to_contain_text(f"{now - timedelta(days=ages[oldest]):%Y-%m-%d}")  # written, not imported

    # The overview: nothing written today, the posts on their own days.
    page.goto("/overview")
    volume = page.locator("#volume-chart svg")
    expect(volume.locator(f"g.bar[data-label='{now:%m-%d}']")).to_have_attribute("data-total", "0")
    for days in set(WRITTEN_DAYS_AGO):
        day = (now - timedelta(days=days)).strftime("%m-%d")
        wanted = str(WRITTEN_DAYS_AGO.count(days))
        expect(volume.locator(f"g.bar[data-label='{day}']")).to_have_attribute("data-total", wanted)
    expect(page.locator("#total-items")).to_contain_text(f"{len(EXPORT)} reports written in the last 30 days")
    shot(page, "overview-history")
    page.context.add_cookies([{"name": "fr_lang", "value": "de", "url": service}])
    page.reload()
    expect(page.locator("#total-items")).to_contain_text(
        f"{len(EXPORT)} Meldungen, geschrieben in den letzten 30"
    )
    shot(page, "overview-history-de")
    page.context.add_cookies([{"name": "fr_lang", "value": "en", "url": service}])

    # The team fixes it: the Jira loop-back resolves the clusters (tests/clusters/test_recurring
    # covers the loop itself). A new report of the same problem brings the cluster back.
    resolved_at = datetime.now(UTC)
    with session_scope(get_settings().database_url) as session:
        session.execute(
            update(Cluster)
            .where(Cluster.id.in_(set(clusters.values())))
            .values(status=ClusterStatus.resolved, resolved_at=resolved_at)
        )
    answer = httpx.post(
        f"{service}/v1/feedback", json={"text": AGAIN, "source": "forum"}, headers=auth["forwarder"]
    )
    again = answer.json()["id"]
    back = clustered(service, auth, [again])[again]
    assert back in set(clusters.values()), "the report should bring its resolved cluster back"
    assert cluster(service, auth, back)["status"] == "open"

    written_this_week = sum(1 for i, c in clusters.items() if c == back and ages[i] < 7)

    page.goto(f"/clusters/{back}")
    facts = page.locator("section.cluster-facts")
    expect(facts).to_contain_text(f"{written_this_week + 1} this week")
    expect(facts.locator(".tag-came-back").first).to_have_text("came back")
    expect(facts.locator(".came-back dd")).to_contain_text(f"after it was resolved on {resolved_at:%Y-%m-%d}")
    expect(facts.locator(".came-back").get_by_role("link", name=f"#{again}")).to_be_visible()
    shot(page, "cluster-came-back")
    page.goto("/clusters")
    expect(page.locator(f"tr[data-id='{back}'] .tag-came-back")).to_be_visible()

    page.context.add_cookies([{"name": "fr_lang", "value": "de", "url": service}])
    page.goto(f"/clusters/{back}")
    expect(facts.locator(".tag-came-back").first).to_have_text("wieder aufgetreten")
    expect(facts.locator(".came-back dd")).to_contain_text(re.compile(r"neue Meldung am \d{4}-\d\d-\d\d"))
    shot(page, "cluster-came-back-de")

    # The digest of the last seven days says it came back, and counts as the cluster page does.
    period = {
        "period_start": (now - timedelta(days=7)).isoformat(),
        "period_end": (now + timedelta(minutes=5)).isoformat(),
    }
    for language, heading in (("en", "## Came back"), ("de", "## Wieder aufgetreten")):
        digest = httpx.post(
            f"{service}/v1/digests", json={"language": language, **period}, headers=auth["manager"]
        )
        assert digest.status_code == 201, digest.text
        assert heading in digest.json()["markdown"]
        themes = {t["cluster_id"]: t for t in digest.json()["sections"]["themes"]}
        assert themes[back]["count"] == written_this_week + 1  # and the report that brought it back
