"""POST /v1/feedback/{id}/labels: corrections are stored, applied, and become training data."""

from sqlalchemy import select

from feedback_router.db import session_scope
from feedback_router.feedback.labels import training_examples
from feedback_router.feedback.models import FeedbackLabel


def submit(api, auth, text: str) -> int:
    response = api.post("/v1/feedback", json={"text": text}, headers=auth["forwarder"])
    assert response.status_code == 202
    return response.json()["id"]


def test_correction_is_applied_routes_the_item_and_is_stored(api, auth, settings):
    feedback_id = submit(api, auth, "The sync button spins forever since the update.")

    response = api.post(
        f"/v1/feedback/{feedback_id}/labels",
        json={"kind": "bug_report", "sentiment": "negative", "topic": "sync"},
        headers=auth["manager"],
    )

    assert response.status_code == 200
    item = response.json()
    assert (item["kind"], item["kind_confidence"], item["sentiment"], item["topic"]) == (
        "bug_report",
        1.0,
        "negative",
        "sync",
    )
    assert item["corrected"] == {"kind": "bug_report", "sentiment": "negative", "topic": "sync"}
    assert item["team"] == "product" and "corrected by a manager" in item["route_reason"]
    assert [t["team"] for t in item["tickets"]] == ["product"]
    with session_scope(settings.database_url) as session:
        assert training_examples(session=session) == {
            "kind": [("The sync button spins forever since the update.", "bug_report")],
            "sentiment": [("The sync button spins forever since the update.", "negative")],
            "topic": [("The sync button spins forever since the update.", "sync")],
        }


def test_a_second_correction_replaces_the_first(api, auth, settings):
    feedback_id = submit(api, auth, "you people are clowns")
    for abuse in (False, True):
        response = api.post(
            f"/v1/feedback/{feedback_id}/labels", json={"abuse": abuse}, headers=auth["admin"]
        )
        assert response.status_code == 200 and response.json()["abuse"] is abuse
    with session_scope(settings.database_url) as session:
        rows = session.scalars(select(FeedbackLabel)).all()
        assert [(r.task, r.value) for r in rows] == [("abuse", "abusive")]
        assert rows[0].api_key_id is not None


def test_bad_corrections_are_refused_with_a_reason(api, auth):
    feedback_id = submit(api, auth, "hello")
    cases = [
        ({}, "give at least one"),
        ({"kind": "rant"}, "Input should be"),
        ({"kind": None}, "kind cannot be null"),
        ({"topic": "Not A Slug"}, "should match pattern"),
        ({"colour": "red"}, "Extra inputs"),
    ]
    for body, message in cases:
        response = api.post(f"/v1/feedback/{feedback_id}/labels", json=body, headers=auth["manager"])
        assert response.status_code == 422, body
        assert message in response.json()["errors"][0]["message"]


def test_abuse_is_true_or_false_as_the_schema_says_not_a_number_or_word(api, auth):
    feedback_id = submit(api, auth, "hello")
    for abuse in (0, 1, "yes"):
        url = f"/v1/feedback/{feedback_id}/labels"
        response = api.post(url, json={"abuse": abuse}, headers=auth["manager"])
        assert response.status_code == 422, abuse
        assert response.json()["errors"][0]["field"] == "abuse"
    assert api.get(f"/v1/feedback/{feedback_id}", headers=auth["manager"]).json()["corrected"] is None


def test_only_managers_correct_and_unknown_items_are_404(api, auth):
    feedback_id = submit(api, auth, "hello")
    body = {"kind": "other"}
    assert (
        api.post(f"/v1/feedback/{feedback_id}/labels", json=body, headers=auth["forwarder"]).status_code
        == 403
    )
    missing = api.post("/v1/feedback/999999/labels", json=body, headers=auth["manager"])
    assert missing.status_code == 404 and "999999" in missing.json()["detail"]


def test_corrections_survive_reprocessing_with_their_types(api, auth, settings):
    from sqlalchemy import update

    from feedback_router.feedback.models import ProcessingJob
    from feedback_router.jobs import drain

    feedback_id = submit(api, auth, "Where do I find the export settings?")
    body = {"abuse": True, "topic": None, "sentiment": "positive"}
    assert (
        api.post(f"/v1/feedback/{feedback_id}/labels", json=body, headers=auth["manager"]).status_code == 200
    )
    drain(settings)  # the model labels it after the correction

    item = api.get(f"/v1/feedback/{feedback_id}", headers=auth["manager"]).json()
    assert (item["abuse"], item["topic"], item["sentiment"]) == (True, None, "positive")
    assert item["corrected"] == body
    with session_scope(settings.database_url) as session:
        session.execute(update(ProcessingJob).values(status="pending"))
    drain(settings)  # and again: corrections still win
    again = api.get(f"/v1/feedback/{feedback_id}", headers=auth["manager"]).json()
    assert (again["abuse"], again["topic"], again["sentiment"]) == (True, None, "positive")
