"""Items labelled as the classifier would label them, routed by the real routing code.

Processing does exactly this after the model ran (feedback.processing._apply); these helpers
take the labels as given, so that routing tests need no model.
"""

from pathlib import Path

from feedback_router.config import Settings
from feedback_router.db import session_scope
from feedback_router.feedback import service
from feedback_router.feedback.models import FeedbackStatus
from feedback_router.feedback.schemas import FeedbackCreate
from feedback_router.routing import live
from feedback_router.routing.service import route

TWO_TEAMS = """\
version: 2
teams:
  product: {sinks: [{type: board}]}
  support: {sinks: [{type: board}, {type: slack, channel: "#support"}]}
rules:
  - name: bugs-to-product
    when: {kind: bug_report}
    team: product
default_team: triage
"""


def labelled(settings: Settings, text: str, kind: str, confidence: float, **labels: object) -> int:
    """Store an item with these labels and route it by the rules in force; returns its id."""
    metadata = labels.pop("metadata", {})
    with session_scope(settings.database_url) as session:
        item, _ = service.create(session=session, feedback_in=FeedbackCreate(text=text, metadata=metadata))
        item.kind, item.kind_confidence = kind, confidence
        for name, value in labels.items():
            setattr(item, name, value)
        item.status = FeedbackStatus.processed
        route(session=session, item=item, routing=live.current(settings.routing_file))
        return item.id


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
