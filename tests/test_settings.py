"""Settings: each integration's settings are a nested group; the old flat names still work for one
release, each with a logged deprecation warning."""

import logging
import os

import pytest
from pydantic import ValidationError

from feedback_router.config import Settings


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in list(os.environ):
        if name.startswith("FEEDBACK_ROUTER_"):
            monkeypatch.delenv(name)
    return monkeypatch


def test_integration_settings_are_nested_groups(env, caplog):
    env.setenv("FEEDBACK_ROUTER_JIRA__URL", "https://jira.example.org")
    env.setenv("FEEDBACK_ROUTER_JIRA__TOKEN", "secret-token")
    env.setenv("FEEDBACK_ROUTER_JIRA__POLL_SECONDS", "60")
    env.setenv("FEEDBACK_ROUTER_MAIL__HOST", "smtp.example.org")
    env.setenv("FEEDBACK_ROUTER_SLACK__BOT_TOKEN", "xoxb-1")

    with caplog.at_level(logging.WARNING, logger="feedback_router.config"):
        settings = Settings()

    assert str(settings.jira.url) == "https://jira.example.org/" and settings.jira.poll_seconds == 60
    assert settings.jira.token is not None and settings.jira.token.get_secret_value() == "secret-token"
    assert settings.mail.host == "smtp.example.org" and settings.mail.port == 587
    assert settings.integration("slack") is settings.slack
    assert settings.integration("webhook").model_dump() == {}  # a registered group without a field
    assert settings.variable("jira", "url") == "FEEDBACK_ROUTER_JIRA__URL"
    assert caplog.messages == []


def test_the_old_flat_names_are_read_with_a_deprecation_warning(env, caplog):
    env.setenv("FEEDBACK_ROUTER_JIRA_URL", "https://old.example.org")
    env.setenv("FEEDBACK_ROUTER_JIRA_TOKEN", "old-token")
    env.setenv("FEEDBACK_ROUTER_SMTP_HOST", "smtp.example.org")  # e-mail's group is mail now
    env.setenv("FEEDBACK_ROUTER_DISCOURSE_DIGEST_CATEGORY", "5")

    with caplog.at_level(logging.WARNING, logger="feedback_router.config"):
        settings = Settings()

    assert str(settings.jira.url) == "https://old.example.org/"
    assert settings.jira.token is not None and settings.jira.token.get_secret_value() == "old-token"
    assert settings.mail.host == "smtp.example.org" and settings.discourse.digest_category == 5
    read = "is deprecated and read for one more release: set"
    assert sorted(caplog.messages) == [
        f"FEEDBACK_ROUTER_DISCOURSE_DIGEST_CATEGORY {read} FEEDBACK_ROUTER_DISCOURSE__DIGEST_CATEGORY",
        f"FEEDBACK_ROUTER_JIRA_TOKEN {read} FEEDBACK_ROUTER_JIRA__TOKEN",
        f"FEEDBACK_ROUTER_JIRA_URL {read} FEEDBACK_ROUTER_JIRA__URL",
        f"FEEDBACK_ROUTER_SMTP_HOST {read} FEEDBACK_ROUTER_MAIL__HOST",
    ]


def test_a_nested_name_wins_over_its_flat_name(env):
    env.setenv("FEEDBACK_ROUTER_JIRA_URL", "https://old.example.org")
    env.setenv("FEEDBACK_ROUTER_JIRA__URL", "https://new.example.org")

    assert str(Settings().jira.url) == "https://new.example.org/"
    assert str(Settings(jira_url="https://kwarg.example.org").jira.url) == "https://new.example.org/"


def test_a_bad_value_in_a_group_is_an_error_naming_it(env):
    env.setenv("FEEDBACK_ROUTER_JIRA__POLL_SECONDS", "-1")

    with pytest.raises(ValidationError, match=r"jira\.poll_seconds"):
        Settings()
