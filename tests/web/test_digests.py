"""The digests pages in Chromium: feedback in, a digest drafted on the page, a line edited, approved
and published to the local fake Discourse, which receives the edited text."""

import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]


PRAISE = [
    ("Thank you so much, the new editor is wonderful and <b>fast</b>!", "Kim"),
    ("I love the new dark theme, great work everyone!", "Jo"),
]
EDITED_LINE = "We read every message you sent us this week, and here is what came of it."


@pytest.fixture
def forum(configure, fake_discourse):  # type: ignore[no-untyped-def]
    """The service publishes to the fake Discourse's Feedback category (set before it starts)."""
    configure(
        discourse__url=fake_discourse.url,
        discourse__api_key=fake_discourse.api_key,
        discourse__api_username="feedback-bot",
        discourse__digest_category=5,
    )
    return fake_discourse


def written_yesterday(service: str, auth, items: list[tuple[str, str]]) -> None:  # type: ignore[no-untyped-def]
    """Feedback written yesterday (the default digest covers the week before today), classified."""
    when = (datetime.now(UTC) - timedelta(days=1)).replace(hour=12, minute=0, second=0, microsecond=0)
    ids = []
    for text, name in items:
        answer = httpx.post(
            f"{service}/v1/feedback",
            json={
                "text": text,
                "source": "forum",
                "author": {"handle": name.lower(), "display_name": name},
                "created_at": when.isoformat(),
            },
            headers=auth["forwarder"],
        )
        assert answer.status_code == 202, answer.text
        ids.append(answer.json()["id"])
    deadline = time.monotonic() + 90
    for feedback_id in ids:
        while True:
            item = httpx.get(f"{service}/v1/feedback/{feedback_id}", headers=auth["manager"]).json()
            if item["status"] == "processed":
                assert item["kind"] == "praise", item
                break
            assert time.monotonic() < deadline, f"feedback {feedback_id} not classified: {item['status']}"
            time.sleep(0.5)


def test_a_digest_is_drafted_edited_approved_and_published(forum, signed_in, service, auth, shot):
    written_yesterday(service, auth, PRAISE)
    page = signed_in
    page.goto("/digests")
    expect(page.get_by_text("No digests yet.")).to_be_visible()
    expect(page.get_by_label("Language")).to_have_value("en")  # the interface's language
    today = datetime.now(UTC).date()
    expect(page.get_by_label("First day")).to_have_value((today - timedelta(days=7)).isoformat())
    expect(page.get_by_label("Last day")).to_have_value((today - timedelta(days=1)).isoformat())

    page.get_by_role("button", name="Draft digest").click()
    page.wait_for_url("**/digests/*")
    expect(page.locator("#digest-status")).to_have_text("draft")
    preview = page.locator("article.preview")
    expect(preview.get_by_role("heading", name="Thank you")).to_be_visible()
    expect(preview).to_contain_text("2 messages of praise reached us")
    expect(preview).to_contain_text("<b>fast</b>")  # a member's markup stays text
    expect(preview.locator("b")).to_have_count(0)
    expect(page.get_by_role("button", name="Publish to Discourse")).to_have_count(0)  # approve first

    markdown = page.get_by_label("Text (Markdown)")
    lines = markdown.input_value().splitlines()
    assert lines[0].startswith("Here is what you told us during")
    markdown.fill("\n".join([EDITED_LINE, *lines[1:]]) + "\n")
    page.get_by_role("button", name="Approve").click()  # not before the edit is saved
    expect(page.locator("#flash")).to_contain_text("Save your changes before approving")
    expect(page.locator("#digest-status")).to_have_text("draft")
    page.get_by_role("button", name="Save changes").click()
    expect(preview).to_contain_text(EDITED_LINE)
    shot(page, "digest")

    page.get_by_role("button", name="Approve").click()
    expect(page.locator("#digest-status")).to_have_text("approved")
    expect(page.get_by_role("textbox", name="Text (Markdown)")).to_have_count(0)  # no edits once approved
    expect(page.locator(".facts")).to_contain_text("by anna")
    export = page.get_by_role("link", name="Export as Markdown")
    downloaded = page.request.get(export.get_attribute("href"))
    assert downloaded.ok and EDITED_LINE in downloaded.text()

    page.get_by_role("button", name="Publish to Discourse").click()
    expect(page.locator("#digest-status")).to_have_text("published")
    expect(page.get_by_role("link", name="Open the topic")).to_be_visible()
    (topic,) = forum.topics.values()
    assert topic.category_id == 5 and topic.title.startswith("You said, we did: ")
    assert topic.posts[0].username == "feedback-bot"
    assert topic.posts[0].raw.startswith(EDITED_LINE)

    page.goto("/digests")
    row = page.locator("table.digests tbody tr").first
    expect(row).to_contain_text("published")
    expect(row).to_contain_text("all communities")
    expect(row.get_by_role("link", name="Topic")).to_be_visible()
    shot(page, "digests")


def test_publishing_without_discourse_shows_the_apis_reason(signed_in):
    page = signed_in
    page.goto("/digests")
    page.get_by_label("Language").select_option("de")
    page.get_by_role("button", name="Draft digest").click()
    page.wait_for_url("**/digests/*")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ihr habt gesagt, wir haben gehandelt")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("Discourse is not configured for this service")).to_be_visible()

    page.get_by_role("button", name="Publish to Discourse").click()

    expect(page.get_by_role("alert")).to_contain_text("Discourse is not configured")
    expect(page.locator("#digest-status")).to_have_text("approved")
