"""The overview in Chromium: after some feedback, its charts show a bar per day of the period chosen,
the totals count the items, and each chart's numbers are there as a table too."""

import re
from datetime import UTC, datetime

import httpx
import pytest
from playwright.sync_api import expect

from tests.web.conftest import processed

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TEXTS = [
    "The app crashes every time I open the export dialog. Please fix this bug!",
    "The export dialog crashes the app every time, please fix this bug.",
    "How do I change the language of my account?",
    "I love the new dark mode, thank you so much, great work!",
]


def test_the_overview_charts_the_period_chosen(signed_in, service, auth, shot):
    page = signed_in
    ids = []
    for text in TEXTS:
        answer = httpx.post(f"{service}/v1/feedback", json={"text": text}, headers=auth["forwarder"])
        assert answer.status_code == 202
        ids.append(answer.json()["id"])
    items = processed(service, auth, ids)
    today = datetime.now(UTC).strftime("%m-%d")

    page.goto("/overview")
    expect(page.get_by_role("heading", name="Overview", level=1)).to_be_visible()
    expect(page.locator("#total-items .value")).to_have_text(str(len(TEXTS)))
    volume = page.locator("#volume-chart svg")
    expect(volume).to_have_attribute("role", "img")
    expect(volume.locator("g.bar")).to_have_count(30)  # the default period: 30 days
    expect(volume.locator(f"g.bar[data-label='{today}']")).to_have_attribute("data-total", str(len(TEXTS)))
    expect(volume.locator(f"g.bar[data-label='{today}'] rect")).to_have_count(
        len({item["kind"] for item in items})
    )
    expect(volume).to_have_attribute("aria-label", re.compile(rf"{today}: .*bug report 2"))
    expect(page.locator("#sentiment-chart svg g.series")).to_have_count(3)
    # every item routed to a team got a board ticket when it was written: their waits are measured
    routed = sum(1 for item in items if item["team"] != "triage")
    expect(page.locator("#time-to-ticket")).to_contain_text(f"median over {routed} items")
    if routed:
        expect(page.locator("#time-to-ticket .value")).not_to_have_text("—")
    bug = next(item for item in items if item["kind"] == "bug_report" and item["cluster_id"])
    expect(page.locator(f"table.top-clusters tr[data-id='{bug['cluster_id']}']")).to_be_visible()

    page.locator("section", has=page.get_by_role("heading", name="Volume by kind")).get_by_text(
        "The numbers"
    ).click()
    expect(page.get_by_role("row", name=re.compile(rf"\d{{4}}-{today}"))).to_contain_text(str(len(TEXTS)))
    shot(page, "overview")

    page.get_by_label("Period").select_option("7")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"days=7"))
    expect(page.locator("#volume-chart svg g.bar")).to_have_count(7)
    page.goto("/overview?days=90")
    expect(page.locator("#volume-chart svg g.bar")).to_have_count(90)
    expect(page.locator("#sentiment-chart svg")).to_have_attribute("aria-label", re.compile(r"per week"))
