"""Urgent posts and unsure moderation in Chromium, with the packaged rules and the packaged model:
the tickets page shows an urgent post's priority (English and German), and the routing page says
that urgency is decided first and that unsure moderation waits in triage."""

import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from feedback_router.routing.rules import DEFAULT_FILE
from tests.web.conftest import patient, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

OUTAGE = "The whole service is down, every page says 503."
DRINGEND = "Bitte dringend helfen, der Server ist seit heute früh nicht erreichbar!"
BUG = "The app crashes every time I open the export dialog. Please fix this bug!"


@pytest.fixture
def routes_file(tmp_path: Path) -> Path:
    path = tmp_path / "routes.yaml"
    path.write_text(DEFAULT_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    return path


def tickets(service: str, auth, count: int) -> list[dict]:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 90
    while len(found := httpx.get(f"{service}/v1/tickets", headers=auth["manager"]).json()) < count:
        assert time.monotonic() < deadline, f"{count} tickets were not opened: {found}"
        time.sleep(0.5)
    return found


def in_german(page, service: str) -> None:  # type: ignore[no-untyped-def]
    page.context.add_cookies([{"name": "fr_lang", "value": "de", "url": service}])


def test_urgent_posts_reach_support_first_with_their_priority_shown(signed_in, service, auth, shot):
    ids = {}
    for text in (OUTAGE, DRINGEND, BUG):
        answer = httpx.post(f"{service}/v1/feedback", json={"text": text}, headers=auth["forwarder"])
        assert answer.status_code == 202
        ids[text] = answer.json()["id"]
    by_item = {t["feedback_id"]: t for t in tickets(service, auth, 3)}
    assert (by_item[ids[OUTAGE]]["team"], by_item[ids[OUTAGE]]["priority"]) == ("support", "high")
    assert (by_item[ids[DRINGEND]]["team"], by_item[ids[DRINGEND]]["priority"]) == ("support", "high")
    assert by_item[ids[BUG]]["team"] == "product" and by_item[ids[BUG]]["priority"] != "high"

    page = signed_in
    page.goto("/tickets")
    outage = page.locator(f"#ticket-{by_item[ids[OUTAGE]]['id']}")
    expect(outage.locator(".priority")).to_have_text("Priority: high")
    expect(outage).to_contain_text("support")
    expect(page.locator(f"#ticket-{by_item[ids[DRINGEND]]['id']} .priority")).to_have_text("Priority: high")
    expect(page.locator(f"#ticket-{by_item[ids[BUG]]['id']} .priority-high")).to_have_count(0)
    shot(page, "tickets-priority")

    in_german(page, service)
    page.reload()
    expect(page.locator(f"#ticket-{by_item[ids[DRINGEND]]['id']} .priority")).to_have_text("Priorität: hoch")
    shot(page, "tickets-priority-de")

    page.goto(f"/inbox?id={ids[DRINGEND]}")  # the reason says which rule took it first
    expect(page.locator(f"tr[data-id='{ids[DRINGEND]}']")).to_contain_text("urgent-to-support")


def test_the_routing_page_shows_urgency_first_and_unsure_moderation_to_triage(browser, api_only, shot):
    context = patient(
        browser.new_context(base_url=api_only, locale="en-GB", viewport={"width": 1400, "height": 900})
    )
    page = context.new_page()
    try:
        sign_in(page, then="/routing")
        rules = page.locator("table.routing-rules tbody tr[data-rule]")
        expect(rules.first).to_contain_text("urgent-to-support")
        expect(rules.nth(1)).to_contain_text("abuse-to-moderation")
        review = page.locator(".moderation-review")
        expect(review).to_contain_text("does not take a part of a mixed post")
        expect(review).to_contain_text("less than 0.25 above its line")
        shot(page, "routing-urgent-first")

        in_german(page, api_only)
        page.reload()
        expect(review).to_contain_text("keinen Teil eines gemischten Beitrags")
        expect(rules.first).to_contain_text("urgent-to-support")
        shot(page, "routing-urgent-first-de")
    finally:
        context.close()
