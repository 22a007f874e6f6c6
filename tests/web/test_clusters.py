"""The clusters pages in Chromium: two problems reported by several people become two clusters of
the product team; a manager renames one, merges it into the other and splits its reports out again."""

import re
import time

import httpx
import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EXPORT = [
    "The app crashes every time I export a report to PDF. Please fix this bug!",
    "Exporting to PDF crashes the app immediately. This is a bug, please fix it.",
    "Bug: the app crashes when I click Export to PDF, every single time.",
    "The export to PDF fails with an error. Please fix this bug!",
]
LOGIN = [
    "I cannot log in since the update, the login page shows an error. Please fix this bug!",
    "Login fails with an error since the update. This is a bug, please fix it.",
]


@pytest.fixture(autouse=True)
def no_reclustering(configure) -> None:  # type: ignore[no-untyped-def]
    """The hourly re-clustering would move clusters under the test's hands."""
    configure(cluster_recluster_seconds=0)


def post(service: str, auth, texts: list[str]) -> list[int]:  # type: ignore[no-untyped-def]
    ids = []
    for n, text in enumerate(texts):
        answer = httpx.post(
            f"{service}/v1/feedback",
            json={"text": text, "source": "forum", "author": {"handle": f"member{n}"}},
            headers=auth["forwarder"],
        )
        assert answer.status_code == 202, answer.text
        ids.append(answer.json()["id"])
    return ids


def clustered(service: str, auth, ids: list[int], timeout: float = 90) -> dict[int, int]:  # type: ignore[no-untyped-def]
    """Waits until each item is classified and clustered; returns each item's cluster."""
    deadline = time.monotonic() + timeout
    found: dict[int, int] = {}
    while time.monotonic() < deadline:
        for feedback_id in set(ids) - set(found):
            item = httpx.get(f"{service}/v1/feedback/{feedback_id}", headers=auth["manager"]).json()
            assert item["status"] != "failed", item
            if item["status"] == "processed":
                assert item["team"] == "product", item
                found[feedback_id] = item["cluster_id"]
        if len(found) == len(ids):
            return found
        time.sleep(0.5)
    raise AssertionError(f"not clustered in {timeout} s: {set(ids) - set(found)}")


def cluster(service: str, auth, cluster_id: int) -> dict:  # type: ignore[no-untyped-def, type-arg]
    return httpx.get(f"{service}/v1/clusters/{cluster_id}", headers=auth["manager"]).json()


def test_rename_merge_and_split_clusters_on_their_pages(signed_in, service, auth, shot):
    page = signed_in
    export_ids, login_ids = post(service, auth, EXPORT), post(service, auth, LOGIN)
    clusters = clustered(service, auth, export_ids + login_ids)
    export, login = clusters[export_ids[0]], clusters[login_ids[0]]
    assert export != login, "the two problems should be two clusters"
    export_size = cluster(service, auth, export)["size"]
    login_size = cluster(service, auth, login)["size"]
    assert export_size >= 2 and login_size >= 2

    # The list: both clusters with their counts, trend lines, languages and sentiment
    page.goto("/clusters")
    expect(page.get_by_role("heading", name="Clusters")).to_be_visible()
    row = page.locator(f"tr[data-id='{export}']")
    expect(row.locator("td.count")).to_have_text(str(export_size))
    expect(row).to_contain_text("product")
    expect(row).to_contain_text("open")
    expect(row).to_contain_text(f"new: {export_size} this week, none last week")
    expect(row).to_contain_text("on the board, report by report")
    expect(
        row.get_by_role("img", name=re.compile(r"^Reports per day, last 28 days: (\d+, ){27}\d+$"))
    ).to_be_visible()
    expect(row).to_contain_text("en")
    expect(page.locator(f"tr[data-id='{login}']")).to_be_visible()
    shot(page, "clusters")

    page.get_by_label("Status").select_option("resolved")
    page.get_by_label("Team").select_option("product")
    page.get_by_role("button", name="Filter", exact=True).click()
    expect(page).to_have_url(re.compile(r"status=resolved&team=product"))
    expect(page.locator("tr[data-id]")).to_have_count(0)
    expect(page.get_by_text("No clusters match these filters.")).to_be_visible()

    # Rename the login cluster
    page.goto("/clusters")
    page.locator(f"tr[data-id='{login}']").get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(rf"/clusters/{login}$"))
    expect(page.locator("#cluster-count")).to_have_text(str(login_size))
    expect(page.get_by_role("img", name=re.compile(r"^Reports per day, last 28 days"))).to_be_visible()
    page.get_by_label("Title").fill("Login fails after the update")
    page.get_by_role("button", name="Rename").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Login fails after the update")
    assert cluster(service, auth, login)["title"] == "Login fails after the update"

    # Merge it into the export cluster: the page goes to the target, whose count grew
    page.get_by_label("Merge into").select_option(str(export))
    page.get_by_role("button", name="Merge into the selected cluster").click()
    expect(page).to_have_url(re.compile(rf"/clusters/{export}$"))
    expect(page.locator("#cluster-count")).to_have_text(str(export_size + login_size))
    expect(page.get_by_text("Merged into this")).to_be_visible()
    page.goto(f"/clusters/{login}")
    expect(page.get_by_text("This cluster was merged; its reports are now in")).to_be_visible()
    expect(page.get_by_role("button", name="Rename")).to_have_count(0)
    page.get_by_role("link", name=re.compile(rf"\(#{export}\)")).click()
    expect(page).to_have_url(re.compile(rf"/clusters/{export}$"))
    merged = cluster(service, auth, login)
    assert (merged["status"], merged["merged_into_id"]) == ("merged", export)

    # Split the login reports out again into a new cluster
    for feedback_id in login_ids:
        page.get_by_label(f"Select report #{feedback_id}").check()
    expect(page.get_by_text(f"{len(login_ids)} selected")).to_be_visible()
    page.get_by_role("button", name="Split selected into a new cluster").click()
    expect(page).not_to_have_url(re.compile(rf"/clusters/{export}$"))
    new = int(page.url.rsplit("/", 1)[1])
    expect(page.locator("#cluster-count")).to_have_text(str(len(login_ids)))
    for feedback_id in login_ids:
        expect(page.locator(f"tr[data-id='{feedback_id}']")).to_be_visible()
    assert sorted(i["id"] for i in cluster(service, auth, new)["items"]) == sorted(login_ids)

    page.goto(f"/clusters/{export}")
    expect(page.locator("#cluster-count")).to_have_text(str(export_size))
    expect(page.get_by_role("heading", name="Most representative")).to_be_visible()
    expect(page.locator("figure.cluster-quote").first).to_contain_text("PDF")
    shot(page, "cluster")

    page.goto("/clusters?status=merged")
    expect(page.locator(f"tr[data-id='{login}']")).to_contain_text(f"into #{export}")

    answer = page.goto("/clusters/987654")
    assert answer is not None and answer.status == 404
    expect(page.get_by_text("There is no cluster 987654.")).to_be_visible()
