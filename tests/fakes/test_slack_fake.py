"""The fake Slack answers like Slack (checked with raw HTTP)."""

from __future__ import annotations

import httpx

from tests.fakes.slack import FakeSlack, block_errors


def test_incoming_webhook_answers_text(fake_slack: FakeSlack) -> None:
    ok = httpx.post(fake_slack.webhook_url, json={"text": "hi"})
    invalid = httpx.post(
        fake_slack.webhook_url, content=b"{nope", headers={"Content-Type": "application/json"}
    )
    empty = httpx.post(fake_slack.webhook_url, json={})
    unknown = httpx.post(fake_slack.url + "/services/T/B/other", json={"text": "hi"})
    assert (ok.status_code, ok.text) == (200, "ok")
    assert (invalid.status_code, invalid.text) == (400, "invalid_payload")
    assert (empty.status_code, empty.text) == (400, "no_text")
    assert (unknown.status_code, unknown.text) == (404, "no_service")
    assert [m["text"] for m in fake_slack.messages] == ["hi"]


def test_chat_post_message_answers_200_with_ok_false(fake_slack: FakeSlack) -> None:
    url = fake_slack.api_url + "/chat.postMessage"
    good = {"Authorization": f"Bearer {fake_slack.token}"}
    assert httpx.post(url, json={"channel": "#feedback", "text": "hi"}).json() == {
        "ok": False,
        "error": "not_authed",
    }
    wrong = httpx.post(
        url, json={"channel": "#feedback", "text": "hi"}, headers={"Authorization": "Bearer xoxb-no"}
    )
    assert (wrong.status_code, wrong.json()["error"]) == (200, "invalid_auth")
    assert (
        httpx.post(url, json={"channel": "#nope", "text": "hi"}, headers=good).json()["error"]
        == "channel_not_found"
    )
    assert (
        httpx.post(url, json={"channel": "#quiet", "text": "hi"}, headers=good).json()["error"]
        == "not_in_channel"
    )
    posted = httpx.post(url, json={"channel": "#feedback", "text": "hi"}, headers=good).json()
    assert posted["ok"] is True and posted["channel"] == "C0FEEDBACK" and posted["ts"] == "1700000000.000001"
    bad_blocks = httpx.post(
        url,
        json={"channel": "C0BUGS", "blocks": [{"type": "header", "text": {"type": "mrkdwn", "text": "x"}}]},
        headers=good,
    ).json()
    assert (
        bad_blocks["error"] == "invalid_blocks" and "json-pointer:/blocks/0/text" in bad_blocks["errors"][0]
    )


def test_block_checks() -> None:
    assert (
        block_errors([{"type": "divider"}, {"type": "section", "text": {"type": "mrkdwn", "text": "a"}}])
        == []
    )
    assert block_errors([{"type": "section", "text": {"type": "mrkdwn", "text": "a" * 3001}}])
    assert block_errors(
        [
            {
                "type": "actions",
                "elements": [{"type": "button", "text": {"type": "plain_text", "text": "x" * 76}}],
            }
        ]
    )
    assert block_errors([{"type": "video"}])
