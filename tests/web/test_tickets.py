"""The tickets page in Chromium: a Jira delivery that failed shows Jira's reason, and Retry, once the
fault is gone, delivers it. Jira is the local fake (tests/fakes), scripted to refuse the first issue."""

import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.fakes.server import Reply
from tests.web.conftest import ROUTES

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BUG = "The app crashes every time I open the export dialog. Please fix this bug!"


@pytest.fixture
def routes_file(tmp_path: Path) -> Path:
    """The product team's tickets go to Jira project FR as well as to the board."""
    path = tmp_path / "routes.yaml"
    path.write_text(
        ROUTES.replace(
            "product: {sinks: [{type: board}]}",
            "product: {sinks: [{type: board}, {type: jira, project: FR}]}",
        ),
        encoding="utf-8",
    )
    return path


def opened(service: str, auth, count: int) -> None:  # type: ignore[no-untyped-def]
    """Wait until ``count`` tickets were opened."""
    deadline = time.monotonic() + 90
    while len(httpx.get(f"{service}/v1/tickets", headers=auth["manager"]).json()) < count:
        assert time.monotonic() < deadline, f"{count} tickets were not opened"
        time.sleep(0.5)


def test_a_failed_delivery_shows_its_reason_and_is_delivered_after_retry(
    configure, fake_jira_cloud, request, auth, shot
):
    jira = fake_jira_cloud
    configure(**jira.connection)
    fake_jira_cloud.script(
        "POST",
        "/rest/api/3/issue",
        Reply(400, {"errorMessages": [], "errors": {"components": "Component name 'Export' is not valid"}}),
    )
    service = request.getfixturevalue("service")
    page = request.getfixturevalue("signed_in")
    page.goto("/tickets")
    expect(page.get_by_text("No tickets yet")).to_be_visible()

    answer = httpx.post(f"{service}/v1/feedback", json={"text": BUG}, headers=auth["forwarder"])
    feedback_id = answer.json()["id"]
    opened(service, auth, 2)  # classified and routed: the board ticket, and the Jira one on its way
    page.reload()
    jira = page.locator("tr[data-id]", has=page.locator(".where", has_text="FR"))
    expect(jira).to_contain_text("failed")  # refreshed in place while on its way
    expect(jira).to_contain_text("Component name 'Export' is not valid")
    expect(jira).to_contain_text("1 attempt")
    expect(jira.get_by_role("link", name=f"#{feedback_id}")).to_be_visible()
    board = page.locator("tr[data-id]", has_text="board")
    expect(board).to_contain_text("delivered")
    expect(board.get_by_role("button")).to_have_count(0)  # only failed deliveries are retried

    page.reload()
    expect(page.locator("tr[data-id]").first).to_contain_text("failed")  # failed ones come first
    expect(page.get_by_role("link", name="1 delivery failed")).to_be_visible()
    shot(page, "tickets")
    page.get_by_label("Delivery").select_option("failed")
    page.get_by_role("button", name="Filter", exact=True).click()
    expect(page.locator("tr[data-id]")).to_have_count(1)
    page.get_by_label("Team").select_option("support")
    page.get_by_role("button", name="Filter", exact=True).click()
    expect(page.get_by_text("No tickets match these filters.")).to_be_visible()
    page.goto("/tickets?delivery=failed")

    # The scripted fault was used up: Jira takes the issue now.
    page.get_by_role("button", name="Retry").click()
    expect(page.get_by_role("status")).to_contain_text("will be delivered again")
    row = page.locator("tr[data-id]")
    expect(row).to_contain_text("delivered")
    [issue] = fake_jira_cloud.issues
    expect(row.get_by_role("link", name=issue.key)).to_be_visible()
    expect(row.get_by_role("button", name="Retry")).to_have_count(0)
    assert len(fake_jira_cloud.requests_to("POST", "/rest/api/3/issue")) == 2

    page.goto(f"/inbox?id={feedback_id}")
    expect(page.locator(f"tr[data-id='{feedback_id}']").get_by_role("link", name=issue.key)).to_be_visible()
