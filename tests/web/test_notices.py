"""The Notices page and the links that leave the service, in Chromium.

Reports reach the local Jira fake (one issue per report and one for their cluster); Jira resolves the
cluster's issue by its webhook, and the page lists one notice per author: anna wrote two of the reports
and is told once. Every "In feedback-router" link in the issues opens its desk page after sign-in.
"""

import json
import re

import httpx
import numpy as np
import pytest
from playwright.sync_api import expect

from feedback_router.db import session_scope
from feedback_router.jobs import deliver
from feedback_router.tickets.models import Ticket
from tests.routing.helpers import labelled, write
from tests.web.conftest import PASSWORD, patient, sign_in

pytestmark = pytest.mark.browser

JIRA_SECRET = "jira-webhook-secret"
PUBLIC_URL = "https://desk.example.org"
ROUTES = """\
version: 2
teams:
  product: {sinks: [{type: jira, project: FR, issue_type: Bug}]}
rules:
  - {name: product-issues, when: {kind: [bug_report, feature_request]}, team: product}
"""
# (author, language, text, where they wrote)
REPORTS = [
    ("anna", "en", "PDF export crashes on Android 14", "https://social.example.org/anna/1"),
    ("anna", "en", "PDF export still crashes after the update", "https://social.example.org/anna/2"),
    ("jonas", "de", "Der PDF-Export stürzt jedes Mal ab", "https://social.example.org/jonas/7"),
]


def direction(seed: int) -> bytes:
    """Near one axis: the reports are one problem, one cluster."""
    vector = np.zeros(16, dtype=np.float32)
    vector[0] = 1.0
    vector += np.random.default_rng(seed).normal(0, 0.05, 16).astype(np.float32)
    return (vector / np.linalg.norm(vector)).astype(np.float32).tobytes()


@pytest.fixture
def resolved(configure, tmp_path, fake_jira_cloud):  # type: ignore[no-untyped-def]
    """The settings, with the three reports in Jira (their cluster's issue not resolved yet)."""
    settings = configure(
        routing_file=str(write(tmp_path / "routes.yaml", ROUTES)),
        **fake_jira_cloud.connection,
        jira__webhook_secret=JIRA_SECRET,
        cluster_sync_seconds=0,
        cluster_recluster_seconds=0,
        public_url=PUBLIC_URL,
    )
    items = [
        labelled(
            settings,
            text,
            "bug_report",
            0.9,
            embedding=direction(n),
            author_handle=author,
            language=language,
            url=url,
            source="facebook",
        )  # fmt: skip
        for n, (author, language, text, url) in enumerate(REPORTS)
    ]
    deliver(settings)
    return settings, items


def cluster_issue(settings, fake_jira_cloud) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    with session_scope(settings.database_url) as session:
        ticket = session.query(Ticket).filter(Ticket.cluster_id.is_not(None)).one()
        return ticket.cluster_id, ticket.external_key


def test_one_notice_per_author_copied_marked_done_and_filtered_in_both_languages(
    resolved, api_only, browser, fake_jira_cloud, shot
):
    settings, items = resolved
    cluster_id, key = cluster_issue(settings, fake_jira_cloud)
    body, headers = fake_jira_cloud.webhook_payload(key, "To Do", "Done", JIRA_SECRET)
    answer = httpx.post(f"{api_only}/v1/webhooks/jira", content=body, headers=headers)
    assert answer.status_code == 200 and answer.json()["notices"] == 2, answer.text  # anna once, jonas once

    context = patient(
        browser.new_context(base_url=api_only, locale="en-GB", viewport={"width": 1300, "height": 900})
    )
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=api_only)
    page = context.new_page()
    try:
        sign_in(page, then="/notices")
        expect(page.get_by_role("heading", name="Notices")).to_be_visible()
        cards = page.locator(".notice-card")
        expect(cards).to_have_count(2)

        def by(author: str):  # type: ignore[no-untyped-def]
            return cards.filter(has=page.locator(".author", has_text=author))

        anna = by("anna")
        expect(anna.locator(".post-link")).to_have_attribute("href", REPORTS[0][3])
        expect(anna).to_contain_text("2 reports")
        expect(anna.get_by_role("link", name=f"#{items[1]}")).to_have_attribute(
            "href", f"/inbox?id={items[1]}"
        )
        expect(anna.get_by_role("link", name=f"Cluster {cluster_id}")).to_be_visible()
        expect(anna.locator("textarea")).to_have_value(re.compile(r"^Hi anna, thank you for your feedback"))
        jonas = by("jonas")
        expect(jonas.locator("textarea")).to_have_value(re.compile(r"^Hallo jonas, danke für dein Feedback"))
        shot(page, "notices")

        jonas.get_by_role("button", name="Copy").click()
        expect(page.locator("#flash")).to_have_text("Message copied.")
        assert page.evaluate("navigator.clipboard.readText()").startswith("Hallo jonas, danke")

        jonas.get_by_role("button", name="Mark done").click()
        expect(jonas.locator(".state")).to_have_text("done")
        listed = httpx.get(f"{api_only}/v1/notices?status=sent", headers=auth_of(page, api_only)).json()
        assert [n["author"]["handle"] for n in listed["items"]] == ["jonas"]

        page.goto("/notices?state=open")
        expect(cards).to_have_count(1)
        expect(cards.first.locator(".author")).to_have_text("anna")
        page.goto("/notices?state=all&language=de")
        expect(cards).to_have_count(1)
        expect(cards.first.locator(".author")).to_have_text("jonas")
        page.goto("/notices?state=all&channel=automatic")
        expect(page.locator(".empty")).to_have_text("No notices match these filters.")

        page.goto("/lang/de?next=/notices%3Fstate%3Dall")
        expect(page.get_by_role("heading", name="Benachrichtigungen")).to_be_visible()
        expect(cards).to_have_count(2)
        expect(by("anna")).to_contain_text("2 Meldungen")
        expect(by("anna").get_by_role("button", name="Als erledigt markieren")).to_be_visible()
        expect(by("jonas").locator(".state")).to_have_text("erledigt")
        shot(page, "notices-de")
    finally:
        context.close()


def auth_of(page, base: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The page's own session, for a look at the API as the signed-in manager."""
    token = page.evaluate("document.querySelector('meta[name=csrf-token]').content")
    cookies = {c["name"]: c["value"] for c in page.context.cookies(base)}
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()), "X-CSRF-Token": token}


def test_links_in_jira_issues_open_their_desk_pages_after_sign_in(
    resolved, api_only, browser, fake_jira_cloud, shot
):
    settings, items = resolved
    cluster_id, key = cluster_issue(settings, fake_jira_cloud)
    said = {  # the service's own addresses in each issue (an ADF link node and its text)
        issue.key: sorted(set(re.findall(re.escape(PUBLIC_URL) + r"[^\s\"\\]*", json.dumps(issue.fields))))
        for issue in fake_jira_cloud.issues
    }
    assert said[key] == [f"{PUBLIC_URL}/clusters/{cluster_id}"]  # a page of the desk, not /v1/clusters
    item_links = sorted(link for k, links in said.items() if k != key for link in links)
    # Reports that went out before their cluster had its own issue: each links to its item in the inbox.
    assert item_links and set(item_links) <= {f"{PUBLIC_URL}/inbox?id={item}" for item in items}

    for link, heading in ((said[key][0], None), (item_links[0], "Inbox")):
        context = patient(browser.new_context(base_url=api_only, locale="en-GB"))  # signed out
        page = context.new_page()
        try:
            path = link.removeprefix(PUBLIC_URL)
            page.goto(path)
            expect(page.get_by_label("Username")).to_be_visible()  # asked to sign in first
            page.get_by_label("Username").fill("anna")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").first.click()
            page.wait_for_url(f"**{path}")  # back on the page the link named
            if heading is None:
                expect(page.locator("h1")).to_contain_text("PDF")  # the cluster's own page
                shot(page, "link-cluster-after-sign-in")
            else:
                expect(page.locator(f"tr[data-id='{link.rsplit('=', 1)[1]}']")).to_be_visible()
                shot(page, "link-inbox-item-after-sign-in")
        finally:
            context.close()
