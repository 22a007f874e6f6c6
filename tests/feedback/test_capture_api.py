"""POST /v1/feedback and /v1/feedback/batch: every rule of capture, on SQLite and PostgreSQL."""

import json

import pytest
from sqlalchemy import func, select

from feedback_router.db import session_scope
from feedback_router.feedback.models import Feedback, ProcessingJob

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
