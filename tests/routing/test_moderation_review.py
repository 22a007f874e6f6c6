"""Moderation that a person should decide first: a part of a mixed post, or a confidence near the
line, waits in triage with the reason; a clearly abusive whole post still goes to moderation.
On SQLite and PostgreSQL, with the packaged rules, routed by the real routing code."""

from sqlalchemy import select

from feedback_router.db import session_scope
from feedback_router.feedback.labels import proposed_teams
from feedback_router.feedback.models import Feedback
from feedback_router.routing import live
from feedback_router.tickets.models import Ticket
from tests.routing.helpers import labelled

INSULT = "You are all idiots and this app is garbage made by clowns."


def routed(settings, feedback_id: int) -> tuple[str | None, str | None, str | None, list[str]]:
    with session_scope(settings.database_url) as session:
        item = session.get_one(Feedback, feedback_id)
        teams = session.scalars(select(Ticket.team).where(Ticket.feedback_id == feedback_id)).all()
        return item.team, item.route_rule, item.route_reason, list(teams)


def test_a_harmless_part_of_a_mixed_post_waits_in_triage(api, auth, settings):
    parent = labelled(settings, "The old toolbar was better. Bring it back please.", "criticism", 0.8)
    part = labelled(
        settings, "Bring it back please.", "feature_request", 0.84,
        abuse=True, abuse_confidence=0.57, parent_id=parent, span_start=28, span_end=49,
    )  # fmt: skip

    team, rule, reason, tickets = routed(settings, part)

    assert (team, rule, tickets) == ("triage", None, [])
    assert reason == (
        "rule 'abuse-to-moderation' would send it to moderation, but a person decides: "
        "it is a part of a mixed message, judged without the rest of the post"
    )
    waiting = api.get("/v1/triage", headers=auth["manager"]).json()["items"]
    assert part in [item["id"] for item in waiting]


def test_a_near_line_abuse_score_waits_in_triage_and_a_clear_one_goes_to_moderation(api, auth, settings):
    chess = labelled(
        settings, "Does anyone here also play chess?", "other", 0.6, abuse=True, abuse_confidence=0.55
    )
    insult = labelled(settings, INSULT, "abuse", 0.93, abuse=True, abuse_confidence=0.97)

    team, rule, reason, tickets = routed(settings, chess)
    assert (team, rule, tickets) == ("triage", None, [])
    assert reason.endswith("but a person decides: abuse confidence 0.55 is within 0.25 of the line 0.5")
    assert routed(settings, insult)[:2] == ("moderation", "abuse-to-moderation")
    assert routed(settings, insult)[3] == ["moderation"]

    waiting = [item["id"] for item in api.get("/v1/triage", headers=auth["manager"]).json()["items"]]
    assert chess in waiting and insult not in waiting


def test_triage_proposes_the_team_of_the_kind_a_manager_confirms(settings):
    near = labelled(
        settings, "Does anyone here also play chess?", "other", 0.6, abuse=True, abuse_confidence=0.55
    )
    with session_scope(settings.database_url) as session:
        proposals = proposed_teams(
            item=session.get_one(Feedback, near), routing=live.current(settings.routing_file)
        )

    # the manager who confirms the kind decides what the unsure abuse flag could not
    assert proposals["question"] == "support" and proposals["praise"] == "social"
    assert proposals["abuse"] == "moderation" and proposals["other"] is None
