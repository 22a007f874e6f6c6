"""Triage in Chromium: correct an item's kind and team in one click, another by keyboard, and see
where each went. The routing file sends everything to triage (triage_below: 1), so the packaged
model's labels, whatever their confidence, leave every item to a human."""

import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.web.conftest import ROUTES

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CRASH = "Why does the app crash every time I open the export dialog?"
LANGUAGE = "How do I change the language of the interface?"
THANKS = "Thanks, the new editor is lovely!"


@pytest.fixture
def routes_file(tmp_path: Path) -> Path:
    path = tmp_path / "routes.yaml"
    path.write_text(ROUTES.replace("triage_below: 0.5", "triage_below: 1"), encoding="utf-8")
    return path


def in_triage(service: str, auth, count: int) -> list[dict]:  # type: ignore[no-untyped-def]
    """Wait until ``count`` items were classified and wait in triage; returns them in the inbox's order."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        items = httpx.get(f"{service}/v1/triage", headers=auth["manager"]).json()["items"]
        if len(items) == count:
            return items
        time.sleep(0.5)
    raise AssertionError(f"{count} items did not reach triage: {items}")


def test_items_are_corrected_and_routed_by_click_and_by_keyboard_and_get_their_tickets(
    signed_in, service, auth, shot
):
    page = signed_in
    page.goto("/triage")
    expect(page.get_by_role("heading", name="Triage", exact=True)).to_be_visible()
    expect(page.get_by_text("Nothing waits in triage")).to_be_visible()
    for text, author in ((CRASH, "marie"), (LANGUAGE, "jonas"), (THANKS, "lea")):
        answer = httpx.post(
            f"{service}/v1/feedback",
            json={"text": text, "source": "forum", "author": {"handle": author}},
            headers=auth["forwarder"],
        )
        assert answer.status_code == 202
    # The inbox offers first what teaches the model most (not the oldest): the test follows its order.
    ordered = in_triage(service, auth, 3)
    one, two, three = ordered
    crash = next(item for item in ordered if item["text"] == CRASH)
    assert "under the triage threshold 1" in crash["route_reason"]

    page.reload()
    expect(page.locator("#triage-order")).to_contain_text("what teaches the model most first")
    first, second = page.locator(f"#triage-{one['id']}"), page.locator(f"#triage-{two['id']}")
    reported = page.locator(f"#triage-{crash['id']}")
    expect(reported).to_contain_text(CRASH)
    expect(reported).to_contain_text("marie")
    expect(reported).to_contain_text("Why here: kind confidence")
    first.get_by_text("Rules tried").click()
    expect(first).to_contain_text("product-issues")
    expect(page.get_by_role("heading", name="Keyboard shortcuts")).to_be_visible()
    shot(page, "triage")

    # The keyboard moves between items; t goes to the current item's team.
    expect(first).to_have_attribute("aria-current", "true")
    page.keyboard.press("j")
    expect(second).to_have_attribute("aria-current", "true")
    page.keyboard.press("k")
    expect(first).to_have_attribute("aria-current", "true")
    page.keyboard.press("t")
    expect(first.get_by_label("Team")).to_be_focused()

    # One click: a corrected kind (the team follows it), and a team chosen by hand.
    corrected = "bug_report" if one["kind"] != "bug_report" else "feature_request"
    first.get_by_label("Kind").select_option(corrected)
    expect(first.get_by_label("Team")).to_have_value("product")
    first.get_by_label("Team").select_option("support")
    first.get_by_role("button", name="Route").click()
    expect(page.get_by_role("status")).to_contain_text(f"#{one['id']} went to support: board #")
    expect(first).to_have_count(0)

    # By keyboard: the next item is current; 3 makes it a question (support), Enter routes it.
    expect(second).to_have_attribute("aria-current", "true")
    expect(second).to_be_focused()
    page.keyboard.press("3")
    expect(second.get_by_label("Kind")).to_have_value("question")
    expect(second.get_by_label("Team")).to_have_value("support")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text(f"#{two['id']} went to support")
    expect(second).to_have_count(0)
    expect(page.locator(f"#triage-{three['id']}")).to_have_attribute("aria-current", "true")

    routed = httpx.get(f"{service}/v1/feedback/{one['id']}", headers=auth["manager"]).json()
    assert (routed["kind"], routed["team"], routed["route_rule"]) == (corrected, "support", "manual")
    assert routed["corrected"] == {"kind": corrected}
    assert [(t["sink"], t["team"]) for t in routed["tickets"]] == [("board", "support")]
    assert httpx.get(f"{service}/v1/feedback/{two['id']}", headers=auth["manager"]).json()["team"] == (
        "support"
    )

    # The item's ticket is in the inbox.
    page.get_by_role("status").get_by_role("link", name="Open the item").click()
    row = page.locator(f"tr[data-id='{two['id']}']")
    expect(row).to_contain_text("support")
    expect(row).to_contain_text("board #")
    expect(row).to_contain_text("delivered")

    page.goto("/triage")
    expect(page.locator(".triage-item")).to_have_count(1)
    page.locator(f"#triage-{three['id']}").get_by_role("button", name="Route").click()
    expect(page.get_by_text("Nothing waits in triage")).to_be_visible()


def test_the_topics_offered_are_the_taxonomys_and_those_of_stored_items(configure, tmp_path):
    from classifiers.topics import EXAMPLE_FILE
    from feedback_router.db import session_scope
    from feedback_router.feedback import service
    from feedback_router.feedback.schemas import FeedbackCreate
    from feedback_router.web.triage import known_topics

    settings = configure(topics_file=str(EXAMPLE_FILE))
    with session_scope(settings.database_url) as session:
        for topic in ("exports", "Not A Slug"):
            item, _ = service.create(session=session, feedback_in=FeedbackCreate(text=f"about {topic}"))
            item.topic = topic
        session.flush()
        offered = known_topics(session, settings)
        assert offered["billing"] == "Billing and payments" and offered["exports"] == "exports"
        assert "Not A Slug" not in offered  # a correction could not name it
        broken = tmp_path / "topics.yaml"
        broken.write_text("topics: {}\n", encoding="utf-8")
        assert known_topics(session, configure(topics_file=str(broken))) == {"exports": "exports"}
