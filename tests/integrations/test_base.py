"""The interface models and the error hierarchy."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from integrations._http import error_for_status, parse_retry_after
from integrations.base import TicketRequest, TicketUpdate
from integrations.errors import (
    IntegrationError,
    PermanentIntegrationError,
    RetryableIntegrationError,
    UnclearOutcomeError,
)


def test_ticket_request_normalises_the_summary_and_adds_our_label_once() -> None:
    request = TicketRequest(
        ref="fr-42",
        project="FR",
        summary="  Export\nis   empty " + "x" * 300,
        labels=["feedback-router", "fr-42"],
    )
    assert "\n" not in request.summary and "  " not in request.summary
    assert len(request.summary) == 255 and request.summary.endswith("…")
    assert request.all_labels == ["feedback-router", "fr-42"]


@pytest.mark.parametrize(
    "values",
    [
        {"summary": "   "},
        {"labels": ["two words"]},
        {"ref": 'fr-1" OR project = X'},
        {"project": "F R"},
        {"unknown": 1},
    ],
)
def test_ticket_request_rejects_what_jira_or_jql_would_choke_on(values: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        TicketRequest.model_validate({"ref": "fr-1", "project": "FR", "summary": "ok", **values})


def test_ticket_update_knows_when_it_is_empty() -> None:
    assert TicketUpdate().is_empty
    assert not TicketUpdate(add_labels=["x"]).is_empty
    assert not TicketUpdate(components=[]).is_empty  # clearing the components is a change


def test_error_hierarchy() -> None:
    assert issubclass(UnclearOutcomeError, RetryableIntegrationError)
    assert issubclass(RetryableIntegrationError, IntegrationError)
    assert issubclass(PermanentIntegrationError, IntegrationError)
    assert not issubclass(PermanentIntegrationError, RetryableIntegrationError)
    error = UnclearOutcomeError("Jira: create issue: no answer", retry_after=30)
    assert (str(error), error.retry_after, error.status_code) == ("Jira: create issue: no answer", 30, None)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (None, None),
        ("", None),
        ("5", 5.0),
        (" 1.5 ", 1.5),
        ("-3", 0.0),
        ("soon", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
    ],
)
def test_parse_retry_after(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header) == seconds


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, PermanentIntegrationError),
        (401, PermanentIntegrationError),
        (404, PermanentIntegrationError),
        (408, RetryableIntegrationError),
        (429, RetryableIntegrationError),
        (500, RetryableIntegrationError),
        (503, RetryableIntegrationError),
    ],
)
def test_error_for_status(status: int, kind: type[IntegrationError]) -> None:
    error = error_for_status("Thing: do", status, "reason", "2")
    assert type(error) is kind
    assert str(error).startswith(f"Thing: do failed with HTTP {status}: reason")
