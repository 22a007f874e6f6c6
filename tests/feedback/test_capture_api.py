"""POST /v1/feedback and /v1/feedback/batch: every rule of capture, on SQLite and PostgreSQL."""

import json
import re

import pytest
from sqlalchemy import func, select

from feedback_router.db import session_scope
from feedback_router.errors import InvalidInput
from feedback_router.feedback import service
from feedback_router.feedback.models import Feedback, ProcessingJob, Source
from feedback_router.feedback.schemas import FeedbackCreate

VALID = {
    "text": "  The export to PDF crashes every time on Android 14.  ",
    "source": "forum",
    "author": {"handle": "anna", "display_name": "Anna K.", "email": "anna@example.org"},
    "url": "https://forum.example.org/t/123",
    "external_id": "post-123",
    "created_at": "2026-11-20T10:00:00Z",
    "language": "en",
    "metadata": {"thread": "Exports", "board": "Bugs"},
}


def count_rows(url: str) -> tuple[int, int]:
    with session_scope(url) as session:
        return (
            session.scalar(select(func.count()).select_from(Feedback)),
            session.scalar(select(func.count()).select_from(ProcessingJob)),
        )


def test_accepts_item_with_its_job_and_answers_202(api, auth, settings):
    response = api.post("/v1/feedback", json=VALID, headers=auth["forwarder"])
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "received" and isinstance(body["id"], int)
    assert count_rows(settings.database_url) == (1, 1)

    stored = api.get(f"/v1/feedback/{body['id']}", headers=auth["manager"]).json()
    assert stored["text"] == VALID["text"].strip()
    assert stored["author"] == VALID["author"]
    assert stored["metadata"] == VALID["metadata"]
    assert stored["status"] == "received" and stored["kind"] is None  # no model ran in the request


def test_minimal_item_defaults_source_to_api(api, auth):
    response = api.post("/v1/feedback", json={"text": "hi"}, headers=auth["forwarder"])
    assert response.status_code == 202
    assert api.get(f"/v1/feedback/{response.json()['id']}", headers=auth["manager"]).json()["source"] == "api"


def test_same_source_and_external_id_returns_existing_id_with_200(api, auth, settings):
    first = api.post("/v1/feedback", json=VALID, headers=auth["forwarder"])
    again = api.post("/v1/feedback", json={**VALID, "text": "edited later"}, headers=auth["forwarder"])
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    other_source = api.post("/v1/feedback", json={**VALID, "source": "twitter"}, headers=auth["forwarder"])
    assert other_source.status_code == 202
    assert count_rows(settings.database_url) == (2, 2)


def test_same_idempotency_key_returns_existing_id_with_200(api, auth, settings):
    headers = {**auth["forwarder"], "Idempotency-Key": "retry-7"}
    first = api.post("/v1/feedback", json={"text": "one"}, headers=headers)
    again = api.post("/v1/feedback", json={"text": "one"}, headers=headers)
    assert (first.status_code, again.status_code) == (202, 200)
    assert first.json()["id"] == again.json()["id"]
    assert count_rows(settings.database_url) == (1, 1)


def test_an_empty_idempotency_key_is_refused_naming_it(api, auth, settings):
    headers = {**auth["forwarder"], "Idempotency-Key": ""}
    answers = [api.post("/v1/feedback", json={"text": text}, headers=headers) for text in ("one", "two")]

    assert [a.status_code for a in answers] == [422, 422]
    assert answers[1].json()["errors"][0]["field"] == "idempotency-key"
    assert count_rows(settings.database_url) == (0, 0)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"text": "   "}, "text"),
        ({"text": "x" * 10_001}, "text"),
        ({"text": None}, "text"),
        ({"source": "myspace"}, "source"),
        ({"author": {"display_name": "no handle"}}, "author.handle"),
        ({"author": {"handle": "a", "email": "not-an-email"}}, "author.email"),
        ({"url": "not a url"}, "url"),
        ({"url": "https://example.org/" + "p" * 2048}, "url"),
        ({"created_at": "yesterday"}, "created_at"),
        ({"language": "english!"}, "language"),
        ({"metadata": {"nested": {"no": "objects"}}}, "metadata"),
        ({"metadata": {"n": 1}}, "metadata"),
        ({"unexpected": "field"}, "unexpected"),
    ],
)
def test_invalid_fields_get_422_with_one_message_per_field(api, auth, settings, change, field):
    response = api.post("/v1/feedback", json={**VALID, **change}, headers=auth["forwarder"])
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == [field]
    assert errors[0]["message"]
    assert count_rows(settings.database_url) == (0, 0)


def test_text_of_exactly_10000_characters_after_trimming_is_accepted(api, auth):
    response = api.post("/v1/feedback", json={"text": "  " + "y" * 10_000 + "  "}, headers=auth["forwarder"])
    assert response.status_code == 202


def test_several_bad_fields_get_a_message_each(api, auth):
    response = api.post("/v1/feedback", json={"text": "", "source": "nope"}, headers=auth["forwarder"])
    assert response.status_code == 422
    assert sorted(e["field"] for e in response.json()["errors"]) == ["source", "text"]


def test_body_over_one_mebibyte_gets_413(api, auth, settings):
    body = json.dumps({"text": "ok", "metadata": {"blob": "z" * (1024 * 1024)}})
    response = api.post(
        "/v1/feedback", content=body, headers={**auth["forwarder"], "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]
    assert count_rows(settings.database_url) == (0, 0)


def test_streamed_body_over_the_limit_gets_413_without_content_length(api, auth):
    def chunks():
        yield b'{"text": "'
        for _ in range(20):
            yield b"a" * 65536
        yield b'"}'

    response = api.post(
        "/v1/feedback", content=chunks(), headers={**auth["forwarder"], "Content-Type": "application/json"}
    )
    assert response.status_code == 413


@pytest.mark.parametrize("body", [b'{"text": ', b"not json at all", b"[1, 2]", b'"just a string"', b""])
def test_malformed_or_non_object_json_gets_a_clear_400(api, auth, body):
    response = api.post(
        "/v1/feedback", content=body, headers={**auth["forwarder"], "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


def test_batch_reports_each_item(api, auth, settings):
    items = [
        {"text": "first", "external_id": "b1"},
        {"text": ""},
        {"text": "first again", "external_id": "b1"},
        "not an object",
        {"text": "second", "source": "twitter"},
    ]
    response = api.post("/v1/feedback/batch", json={"items": items}, headers=auth["forwarder"])
    assert response.status_code == 200
    body = response.json()
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (2, 1, 2)
    statuses = [r["status"] for r in body["results"]]
    assert statuses == ["accepted", "rejected", "duplicate", "rejected", "accepted"]
    assert body["results"][2]["id"] == body["results"][0]["id"]
    assert body["results"][1]["errors"][0]["field"] == "text"
    assert count_rows(settings.database_url) == (2, 2)


def test_batch_of_1000_is_accepted_and_1001_refused(api, auth, settings):
    items = [{"text": f"item {i}"} for i in range(1001)]
    too_many = api.post("/v1/feedback/batch", json={"items": items}, headers=auth["forwarder"])
    assert too_many.status_code == 422
    assert "1000" in too_many.json()["detail"]
    assert count_rows(settings.database_url) == (0, 0)
    ok = api.post("/v1/feedback/batch", json={"items": items[:1000]}, headers=auth["forwarder"])
    assert ok.status_code == 200 and ok.json()["accepted"] == 1000
    assert count_rows(settings.database_url) == (1000, 1000)


NUL_ITEM = {
    "text": "Export\u0000 crashes\u0000",
    "author": {"handle": "an\u0000na", "display_name": "Anna\u0000 K.", "email": "anna@example.org\u0000"},
    "url": "https://forum.example.org/t/1\u000023",
    "external_id": "post\u0000-9",
    "language": "e\u0000n",
    "metadata": {"thr\u0000ead": "Ex\u0000ports"},
}


def test_nul_characters_are_dropped_from_every_text_field_on_both_databases(api, auth):
    response = api.post("/v1/feedback", json=NUL_ITEM, headers=auth["forwarder"])

    assert response.status_code == 202, response.text
    stored = api.get(f"/v1/feedback/{response.json()['id']}", headers=auth["manager"]).json()
    assert stored["text"] == "Export crashes"
    assert stored["author"] == {"handle": "anna", "display_name": "Anna K.", "email": "anna@example.org"}
    assert (stored["url"], stored["external_id"], stored["language"]) == (
        "https://forum.example.org/t/123",
        "post-9",
        "en",
    )
    assert stored["metadata"] == {"thread": "Exports"}


def test_a_text_of_nul_characters_only_is_an_empty_text(api, auth, settings):
    response = api.post("/v1/feedback", json={"text": "\u0000 \u0000"}, headers=auth["forwarder"])
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["text"]
    assert count_rows(settings.database_url) == (0, 0)


def test_nul_in_a_batch_keeps_every_item(api, auth, settings):
    items = [{"text": "good before"}, NUL_ITEM, {"text": "\u0000"}, {"text": "good after"}]
    response = api.post("/v1/feedback/batch", json={"items": items}, headers=auth["forwarder"])

    assert response.status_code == 200, response.text
    statuses = [r["status"] for r in response.json()["results"]]
    assert statuses == ["accepted", "accepted", "rejected", "accepted"]
    with session_scope(settings.database_url) as session:
        texts = session.scalars(select(Feedback.text).order_by(Feedback.id)).all()
    assert texts == ["good before", "Export crashes", "good after"]


def test_nul_in_a_query_filter_is_dropped_like_in_a_body(api, auth):
    api.post("/v1/feedback", json={"text": "one"}, headers=auth["forwarder"])
    response = api.get("/v1/feedback", params={"status": "rece\u0000ived"}, headers=auth["manager"])
    assert response.status_code == 200
    assert [item["text"] for item in response.json()["items"]] == ["one"]


def test_nul_in_a_plain_query_parameter_gets_a_json_reason_not_a_500(api, auth, settings):
    """Where no input model drops it, PostgreSQL refuses the value; SQLite just finds nothing."""
    response = api.get("/v1/tickets", params={"team": "a\u0000b"}, headers=auth["manager"])
    if settings.database_url.startswith("postgresql"):
        assert response.status_code == 422
        assert "NUL" in response.json()["detail"]
    else:
        assert (response.status_code, response.json()) == (200, [])


def test_a_url_too_long_once_encoded_rejects_only_its_item_in_a_batch(api, auth, settings):
    """1,020 characters as sent, 6,020 once percent-encoded: longer than the stored column holds."""
    long_url = "https://example.org/" + "ä" * 1000
    items = [{"text": "good before"}, {"text": "with a link", "url": long_url}, {"text": "good after"}]

    single = api.post("/v1/feedback", json=items[1], headers=auth["forwarder"])
    batch = api.post("/v1/feedback/batch", json={"items": items}, headers=auth["forwarder"])

    assert single.status_code == 422
    assert [e["field"] for e in single.json()["errors"]] == ["url"]
    assert batch.status_code == 200
    assert [r["status"] for r in batch.json()["results"]] == ["accepted", "rejected", "accepted"]
    assert count_rows(settings.database_url) == (2, 2)


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"])
def test_a_date_out_of_range_in_utc_rejects_only_its_item(api, auth, settings, moment):
    items = [{"text": "good before"}, {"text": "dated", "created_at": moment}, {"text": "good after"}]

    single = api.post("/v1/feedback", json=items[1], headers=auth["forwarder"])
    batch = api.post("/v1/feedback/batch", json={"items": items}, headers=auth["forwarder"])
    listed = api.get("/v1/feedback", params={"changed_since": moment}, headers=auth["manager"])

    assert single.status_code == listed.status_code == 422
    assert [e["field"] for e in single.json()["errors"]] == ["created_at"]
    assert [e["field"] for e in listed.json()["errors"]] == ["changed_since"]
    assert [r["status"] for r in batch.json()["results"]] == ["accepted", "rejected", "accepted"]
    assert count_rows(settings.database_url) == (2, 2)


def test_a_value_the_database_refuses_costs_only_its_own_item(settings):
    """PostgreSQL refuses NUL in text; an item built without validation stands for any value the schema
    would let through by mistake. Its savepoint keeps the transaction's other items."""
    unchecked = FeedbackCreate.model_construct(
        text="a\x00b", source=Source.api, author=None, url=None, external_id=None, created_at=None,
        language=None, metadata={},
    )  # fmt: skip
    refused = settings.database_url.startswith("postgresql")
    with session_scope(settings.database_url) as session:
        service.create(session=session, feedback_in=FeedbackCreate(text="good before"))
        if refused:
            with pytest.raises(InvalidInput, match="the database cannot store this item"):
                service.create(session=session, feedback_in=unchecked)
        else:  # SQLite stores what it is given: the schema is what keeps NUL out
            service.create(session=session, feedback_in=unchecked)
        service.create(session=session, feedback_in=FeedbackCreate(text="good after"))
    assert count_rows(settings.database_url) == ((2, 2) if refused else (3, 3))


def test_nul_in_an_item_forwarded_from_a_signed_in_browser_is_dropped(api, auth):
    """The bookmarklet's window and the extension send to POST /v1/feedback like this."""
    csrf = re.search(r'name="csrf" value="([^"]+)"', api.get("/login").text)[1]
    key = auth["forwarder"]["Authorization"].removeprefix("Bearer ")
    assert api.post("/login", data={"key": key, "csrf": csrf}, follow_redirects=False).status_code == 303
    token = re.search(r'name="csrf-token" content="([^"]+)"', api.get("/forward").text)[1]

    sent = api.post(
        "/v1/feedback",
        json={
            "text": "Selected\u0000 text",
            "url": "https://forum.example.org/t/9",
            "author": {"handle": "mi\u0000a"},
        },
        headers={"X-CSRF-Token": token},
    )

    assert sent.status_code == 202, sent.text
    stored = api.get(f"/v1/feedback/{sent.json()['id']}", headers=auth["manager"]).json()
    assert (stored["text"], stored["author"]["handle"]) == ("Selected text", "mia")
