"""Triage: the items waiting for a human, each routed in one click (or one key) with its corrections.

The page reads what ``GET /v1/triage`` lists; its Route button sends ``POST /v1/feedback/{id}/route``
with the team and any corrected labels, so the corrections and the route are one transaction.
"""

import logging
import re

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from classifiers.labels import KINDS
from classifiers.topics import TaxonomyError, load_topics
from feedback_router.auth.deps import get_session
from feedback_router.config import Settings, get_settings
from feedback_router.feedback import labels, service
from feedback_router.feedback.models import Feedback
from feedback_router.routing import live
from feedback_router.routing.rules import SLUG
from feedback_router.web.pages import Viewer, manager, render

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

TRIAGE_PAGE = 100
TOPIC = re.compile(SLUG)  # what a topic correction accepts


def known_topics(session: Session, settings: Settings) -> dict[str, str]:
    """The topics a manager can choose, by name with what to show: those of stored items and those
    of the taxonomy, if there is one (with its labels)."""
    found = {topic: topic for topic in session.scalars(select(Feedback.topic).distinct()) if topic}
    if settings.topics_file:
        try:
            taxonomy = load_topics(settings.topics_file)
        except TaxonomyError as exc:  # the worker refuses it too; the page still offers stored topics
            log.warning("topic taxonomy not offered in triage: %s", exc)
        else:
            found.update({name: topic.label for name, topic in taxonomy.topics.items()})
    return {name: found[name] for name in sorted(found) if TOPIC.match(name)}


@router.get("/triage", response_class=HTMLResponse)
def triage(
    request: Request,
    viewer: Viewer = Depends(manager),
    session: Session = Depends(get_session, scope="function"),
) -> HTMLResponse:
    """The items in triage, what teaches the model most first (``service.triage_page``), each with
    why it waits and the team its kind would go to."""
    settings = get_settings()
    routing = live.current(settings.routing_file)
    items, more = service.triage_page(session=session, limit=TRIAGE_PAGE)
    teams = sorted(routing.teams)
    proposals = (
        {
            item.id: {
                kind: team or teams[0]
                for kind, team in labels.proposed_teams(item=item, routing=routing).items()
            }
            for item in items
        }
        if teams
        else {}
    )
    return render(
        request,
        "triage.html",
        viewer,
        items=service.read_many(session, list(items)),
        more=more is not None,
        kinds=KINDS,
        topics=known_topics(session, settings),
        teams=teams,
        proposals=proposals,
    )
