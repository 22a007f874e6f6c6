"""Pytest fixtures for the fake servers; import them into a conftest to use them.

Each fake runs once per test session on ``127.0.0.1:<free port>`` and is reset before every test that
asks for it, so tests see a fresh site (no issues, no messages, no scripted faults) at little cost:

- ``fake_jira_cloud`` / ``fake_jira_server``: :class:`tests.fakes.jira.FakeJira`, ``.url``, ``.user``,
  ``.token``, ``.issues``, ``.requests``, ``.script(...)``, ``.search_lag``;
- ``fake_slack``: :class:`tests.fakes.slack.FakeSlack`, ``.webhook_url``, ``.api_url``, ``.token``,
  ``.messages``;
- ``fake_webhook``: :class:`tests.fakes.webhook.FakeWebhookReceiver`, ``.hook_url``, ``.secret``,
  ``.deliveries``;
- ``fake_discourse``: :class:`tests.fakes.discourse.FakeDiscourse`, ``.url``, ``.api_key``, ``.users``,
  ``.topics``, ``.posts``, ``.community_post(...)``, ``.webhook_delivery(...)``, ``.webhook_secret``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.discourse import FakeDiscourse
from tests.fakes.jira import FakeJira
from tests.fakes.server import serve
from tests.fakes.slack import FakeSlack
from tests.fakes.smtp import FakeSmtp, serve_smtp
from tests.fakes.webhook import FakeWebhookReceiver

__all__ = [
    "fake_discourse",
    "fake_discourse_session",
    "fake_jira_cloud",
    "fake_jira_cloud_session",
    "fake_jira_server",
    "fake_jira_server_session",
    "fake_slack",
    "fake_slack_session",
    "fake_smtp",
    "fake_smtp_session",
    "fake_webhook",
    "fake_webhook_session",
]


@pytest.fixture(scope="session")
def fake_jira_cloud_session() -> Iterator[FakeJira]:
    """The running fake Jira Cloud site (not reset between tests; use ``fake_jira_cloud``)."""
    fake = FakeJira("Cloud")
    with serve(fake.asgi(fake.app()), name="jira-cloud") as url:
        fake.url = url
        yield fake


@pytest.fixture(scope="session")
def fake_jira_server_session() -> Iterator[FakeJira]:
    """The running fake Jira Data Center site (not reset between tests; use ``fake_jira_server``)."""
    fake = FakeJira("Server")
    with serve(fake.asgi(fake.app()), name="jira-server") as url:
        fake.url = url
        yield fake


@pytest.fixture(scope="session")
def fake_slack_session() -> Iterator[FakeSlack]:
    """The running fake Slack (not reset between tests; use ``fake_slack``)."""
    fake = FakeSlack()
    with serve(fake.asgi(fake.app()), name="slack") as url:
        fake.url = url
        yield fake


@pytest.fixture(scope="session")
def fake_webhook_session() -> Iterator[FakeWebhookReceiver]:
    """The running webhook receiver (not reset between tests; use ``fake_webhook``)."""
    fake = FakeWebhookReceiver()
    with serve(fake.asgi(fake.app()), name="webhook") as url:
        fake.url = url
        yield fake


@pytest.fixture(scope="session")
def fake_discourse_session() -> Iterator[FakeDiscourse]:
    """The running fake Discourse forum (not reset between tests; use ``fake_discourse``)."""
    fake = FakeDiscourse()
    with serve(fake.asgi(fake.app()), name="discourse") as url:
        fake.url = url
        yield fake


@pytest.fixture
def fake_jira_cloud(fake_jira_cloud_session: FakeJira) -> FakeJira:
    """A fresh fake Jira Cloud: basic auth ``bot@example.com`` / ``jira-test-token``, project FR."""
    fake_jira_cloud_session.reset()
    return fake_jira_cloud_session


@pytest.fixture
def fake_jira_server(fake_jira_server_session: FakeJira) -> FakeJira:
    """A fresh fake Jira Data Center: Bearer ``jira-test-token``, REST v2 only, project FR."""
    fake_jira_server_session.reset()
    return fake_jira_server_session


@pytest.fixture
def fake_slack(fake_slack_session: FakeSlack) -> FakeSlack:
    """A fresh fake Slack: one incoming webhook, bot token ``xoxb-fake-bot-token``, #feedback, #bugs."""
    fake_slack_session.reset()
    return fake_slack_session


@pytest.fixture
def fake_webhook(fake_webhook_session: FakeWebhookReceiver) -> FakeWebhookReceiver:
    """A fresh webhook receiver with a ``whsec_`` secret (``.secret``), answering 204."""
    fake_webhook_session.reset()
    return fake_webhook_session


@pytest.fixture
def fake_discourse(fake_discourse_session: FakeDiscourse) -> FakeDiscourse:
    """A fresh fake Discourse: API key ``discourse-test-api-key`` for users feedback-bot, system, anna, jo."""
    fake_discourse_session.reset()
    return fake_discourse_session


@pytest.fixture(scope="session")
def fake_smtp_session() -> Iterator[FakeSmtp]:
    """The running fake SMTP server (not reset between tests; use ``fake_smtp``)."""
    with serve_smtp() as fake:
        yield fake


@pytest.fixture
def fake_smtp(fake_smtp_session: FakeSmtp) -> FakeSmtp:
    """A fresh fake SMTP server on 127.0.0.1 (no TLS, no login), recording every message."""
    fake_smtp_session.reset()
    return fake_smtp_session
