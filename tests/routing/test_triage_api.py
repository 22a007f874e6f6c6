"""GET /v1/triage and POST /v1/feedback/{id}/route, on SQLite and PostgreSQL."""

import numpy as np
from sqlalchemy import select

from feedback_router.db import session_scope
from feedback_router.feedback.labels import training_examples
from feedback_router.feedback.models import Feedback, FeedbackLabel
from tests.routing.helpers import labelled

UNSURE = "The thing does the stuff again"
OTHER = "Greetings from Berlin"
QUESTION = "How do I export my notes?"
BUG = "The export crashes on Android 14"


def test_triage_lists_items_waiting_for_a_human_with_why(api, auth, settings):
    # without kind scores (set by the model, not by these helpers) the oldest come first
    unsure = labelled(settings, UNSURE, "bug_report", 0.41, abuse=False, urgency="normal", language="en")
    labelled(settings, QUESTION, "question", 0.9, abuse=False)  # routed: not in triage
    other = labelled(settings, OTHER, "other", 0.93, abuse=False, sentiment="positive")

    response = api.get("/v1/triage", headers=auth["manager"])

    assert response.status_code == 200
    page = response.json()
    assert [item["id"] for item in page["items"]] == [unsure, other]
    assert page["next_cursor"] is None
    first = page["items"][0]
    assert (first["kind"], first["kind_confidence"], first["team"], first["route_rule"]) == (
        "bug_report",
        0.41,
        "triage",
        None,
    )
    assert first["route_reason"] == "kind confidence 0.41 under the triage threshold 0.5"
    explanation = first["route_explanation"]
    assert explanation["reason"] == first["route_reason"] and explanation["sinks"] == []
    assert explanation["labels"]["urgency"] == "normal" and explanation["labels"]["language"] == "en"
    tried = {trial["rule"]: trial for trial in explanation["rules"]}
    assert tried["product-issues"] == {
        "rule": "product-issues",
        "matched": False,
        "failed": "kind confidence 0.41 under 0.5 (triage_below)",
        "held": [],
    }
    assert page["items"][1]["route_reason"] == (
        "no rule matched kind other (confidence 0.93); default team triage"
    )


def test_triage_pages_with_a_cursor(api, auth, settings):
    ids = [labelled(settings, f"{OTHER} {n}", "other", 0.9, abuse=False) for n in range(3)]

    first = api.get("/v1/triage", params={"limit": 2}, headers=auth["manager"]).json()
    rest = api.get(
        "/v1/triage", params={"limit": 2, "cursor": first["next_cursor"]}, headers=auth["manager"]
    ).json()

    assert [i["id"] for i in first["items"]] == ids[:2]
    assert [i["id"] for i in rest["items"]] == ids[2:] and rest["next_cursor"] is None
    assert api.get("/v1/triage", params={"cursor": "???"}, headers=auth["manager"]).status_code == 422
    assert api.get("/v1/triage", headers=auth["forwarder"]).status_code == 403


def vector(*values: float) -> bytes:
    v = np.array(values, dtype=np.float32)
    return (v / np.linalg.norm(v)).tobytes()


def test_triage_offers_first_what_teaches_the_model_most(api, auth, settings):
    sure = {"other": 0.9, "question": 0.1}
    unsure = {"bug_report": 0.41, "question": 0.38}
    first = labelled(settings, OTHER, "other", 0.9, abuse=False, kind_scores=sure, embedding=vector(1, 0, 0))
    second = labelled(settings, UNSURE, "bug_report", 0.41, kind_scores=unsure, embedding=vector(0, 1, 0))
    again = labelled(  # nearly the second item again
        settings, f"{UNSURE}!", "bug_report", 0.41, kind_scores=unsure, embedding=vector(0, 1, 0.05)
    )
    unscored = labelled(settings, "Greetings from Paris", "other", 0.9, abuse=False)

    page = api.get("/v1/triage", params={"limit": 2}, headers=auth["manager"]).json()
    rest = api.get(
        "/v1/triage", params={"limit": 2, "cursor": page["next_cursor"]}, headers=auth["manager"]
    ).json()

    assert [i["id"] for i in page["items"]] == [second, first]
    assert [i["id"] for i in rest["items"]] == [again, unscored] and rest["next_cursor"] is None
    assert page["order"].startswith("what teaches the model most first")


def test_routing_by_hand_sends_the_item_to_the_team_and_keeps_the_choice(api, auth, settings):
    feedback_id = labelled(settings, UNSURE, "bug_report", 0.41, abuse=False)

    response = api.post(
        f"/v1/feedback/{feedback_id}/route",
        json={"team": "support", "note": "  a known customer problem "},
        headers=auth["manager"],
    )

    assert response.status_code == 200, response.text
    item = response.json()
    assert (item["team"], item["route_rule"]) == ("support", "manual")
    assert item["route_reason"] == "routed by hand by key test manager: a known customer problem"
    assert item["route_explanation"]["rules"] == [] and item["route_explanation"]["sinks"] == [
        {"type": "board"}
    ]
    assert [(t["sink"], t["team"]) for t in item["tickets"]] == [("board", "support")]
    assert api.get("/v1/triage", headers=auth["manager"]).json()["items"] == []
    with session_scope(settings.database_url) as session:
        (label,) = session.scalars(select(FeedbackLabel)).all()
        assert (label.feedback_id, label.task, label.value) == (feedback_id, "team", "support")
        assert label.api_key_id is not None
        assert training_examples(session=session) == {}  # kept, but no head learns teams yet


def test_routing_again_by_hand_adds_the_new_teams_ticket_and_keeps_the_old(api, auth, settings):
    feedback_id = labelled(settings, BUG, "bug_report", 0.95, abuse=False)
    assert api.get(f"/v1/feedback/{feedback_id}", headers=auth["manager"]).json()["team"] == "product"

    for _ in range(2):  # the same choice twice opens one ticket
        response = api.post(
            f"/v1/feedback/{feedback_id}/route", json={"team": "support"}, headers=auth["admin"]
        )
        assert response.status_code == 200
    item = response.json()

    assert item["route_reason"] == "routed by hand by key test admin"
    assert [(t["sink"], t["team"]) for t in item["tickets"]] == [("board", "product"), ("board", "support")]
    with session_scope(settings.database_url) as session:
        assert [(r.task, r.value) for r in session.scalars(select(FeedbackLabel))] == [("team", "support")]


def test_the_rules_do_not_overrule_a_team_chosen_by_hand(api, auth, settings):
    feedback_id = labelled(settings, UNSURE, "other", 0.9, abuse=False)
    api.post(f"/v1/feedback/{feedback_id}/route", json={"team": "social"}, headers=auth["manager"])

    # A corrected kind routes an item again, but not one a person already sent somewhere.
    response = api.post(
        f"/v1/feedback/{feedback_id}/labels", json={"kind": "question"}, headers=auth["manager"]
    )

    item = response.json()
    assert (item["kind"], item["team"], item["route_rule"]) == ("question", "social", "manual")
    assert [t["team"] for t in item["tickets"]] == ["social"]


def test_routing_by_hand_refuses_unknown_teams_and_items(api, auth, settings):
    feedback_id = labelled(settings, OTHER, "other", 0.9, abuse=False)
    url = f"/v1/feedback/{feedback_id}/route"

    unknown = api.post(url, json={"team": "sales"}, headers=auth["manager"])
    assert unknown.status_code == 422
    assert unknown.json()["detail"] == (
        "unknown team 'sales'; the routing file declares moderation, product, social, support"
    )
    assert "unknown team 'triage'" in api.post(url, json={"team": "triage"}, headers=auth["manager"]).text
    for body, message in [
        ({"team": "Sales Team"}, "String should match pattern"),
        ({}, "Field required"),
        ({"team": "support", "colour": "red"}, "Extra inputs"),
    ]:
        response = api.post(url, json=body, headers=auth["manager"])
        assert response.status_code == 422 and message in response.json()["errors"][0]["message"]
    missing = api.post("/v1/feedback/999999/route", json={"team": "support"}, headers=auth["manager"])
    assert missing.status_code == 404 and "999999" in missing.json()["detail"]
    assert api.post(url, json={"team": "support"}, headers=auth["forwarder"]).status_code == 403
    assert api.get(f"/v1/feedback/{feedback_id}", headers=auth["manager"]).json()["team"] == "triage"


def test_an_item_not_processed_yet_can_be_routed_by_hand(api, auth):
    feedback_id = api.post("/v1/feedback", json={"text": BUG}, headers=auth["forwarder"]).json()["id"]

    item = api.post(
        f"/v1/feedback/{feedback_id}/route", json={"team": "product"}, headers=auth["manager"]
    ).json()

    assert (item["status"], item["team"], item["kind"]) == ("received", "product", None)
    assert [t["team"] for t in item["tickets"]] == ["product"]


def test_correcting_kind_and_topic_while_routing_is_one_step_and_one_ticket(api, auth, settings):
    feedback_id = labelled(settings, UNSURE, "bug_report", 0.41, abuse=False, topic="sync")

    response = api.post(
        f"/v1/feedback/{feedback_id}/route",
        json={"team": "support", "labels": {"kind": "question", "topic": None}},
        headers=auth["manager"],
    )

    assert response.status_code == 200, response.text
    item = response.json()
    assert (item["kind"], item["kind_confidence"], item["topic"], item["team"], item["route_rule"]) == (
        "question",
        1.0,
        None,
        "support",
        "manual",
    )
    assert item["corrected"] == {"kind": "question", "topic": None}
    assert item["route_reason"] == (
        "routed by hand by key test manager, kind corrected to question, topic corrected to no topic"
    )
    # The corrected kind does not route the item by the rules first: only the chosen team's ticket.
    assert [(t["sink"], t["team"]) for t in item["tickets"]] == [("board", "support")]
    assert api.get("/v1/triage", headers=auth["manager"]).json()["items"] == []
    with session_scope(settings.database_url) as session:
        stored = {(r.task, r.value) for r in session.scalars(select(FeedbackLabel))}
        assert stored == {("kind", "question"), ("topic", "none"), ("team", "support")}
        assert training_examples(session=session) == {
            "kind": [(UNSURE, "question")],
            "topic": [(UNSURE, "none")],
        }


def test_a_refused_route_stores_none_of_its_corrections(api, auth, settings):
    feedback_id = labelled(settings, UNSURE, "bug_report", 0.41, abuse=False)
    url = f"/v1/feedback/{feedback_id}/route"

    unknown = api.post(url, json={"team": "sales", "labels": {"kind": "question"}}, headers=auth["manager"])
    bad_label = api.post(url, json={"team": "support", "labels": {"kind": "rant"}}, headers=auth["manager"])
    empty = api.post(url, json={"team": "support", "labels": {}}, headers=auth["manager"])

    assert unknown.status_code == 422 and "unknown team 'sales'" in unknown.json()["detail"]
    assert bad_label.status_code == 422 and bad_label.json()["errors"][0]["field"] == "labels.kind"
    assert empty.status_code == 422 and "give at least one" in empty.json()["errors"][0]["message"]
    item = api.get(f"/v1/feedback/{feedback_id}", headers=auth["manager"]).json()
    assert (item["kind"], item["team"], item["corrected"], item["tickets"]) == (
        "bug_report",
        "triage",
        None,
        [],
    )
    with session_scope(settings.database_url) as session:
        assert session.scalars(select(FeedbackLabel)).all() == []


def test_proposed_teams_follow_the_rules_for_each_kind(settings):
    from feedback_router.feedback import service
    from feedback_router.feedback.labels import proposed_teams
    from feedback_router.routing import live

    feedback_id = labelled(settings, UNSURE, "bug_report", 0.41, abuse=False)
    with session_scope(settings.database_url) as session:
        item = service.get(session=session, feedback_id=feedback_id)
        proposals = proposed_teams(item=item, routing=live.current(settings.routing_file))

    assert proposals == {
        "praise": "social",
        "criticism": "product",
        "question": "support",
        "bug_report": "product",
        "feature_request": "product",
        "abuse": "moderation",
        "other": None,  # no rule takes it: it would wait in triage again
    }


def test_forwarded_says_where_each_part_of_a_split_message_went(api, auth, settings):
    """A mixed message has no team of its own: the forward window shows its parts' (not "→ null")."""
    whole = labelled(settings, f"{BUG}. {QUESTION}", "bug_report", 0.9)
    parts = [labelled(settings, BUG, "bug_report", 0.9), labelled(settings, QUESTION, "question", 0.9)]
    with session_scope(settings.database_url) as session:
        for part in parts:
            session.get_one(Feedback, part).parent_id = whole
        session.get_one(Feedback, whole).team = None

    answer = api.get(f"/v1/forwarded/{whole}", headers=auth["manager"]).json()

    assert answer["team"] is None and answer["url"].endswith(f"/inbox?id={whole}")
    assert [(p["id"], p["kind"]) for p in answer["parts"]] == [
        (parts[0], "bug_report"),
        (parts[1], "question"),
    ]
    assert api.get(f"/v1/forwarded/{parts[0]}", headers=auth["manager"]).json()["parts"] == []
