"""The built-in ticket board: tickets stored in our own database."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from feedback_router.feedback.models import Feedback
from feedback_router.routing.rules import RouteDecision
from feedback_router.tickets.models import Ticket

BOARD = "board"
TITLE_LENGTH = 80


def make_title(text: str) -> str:
    """The first line, cut at a word boundary."""
    first = " ".join(text.split())
    if len(first) <= TITLE_LENGTH:
        return first
    return first[: TITLE_LENGTH - 1].rsplit(" ", 1)[0] + "…"


def make_body(item: Feedback, decision: RouteDecision) -> str:
    author = item.author_display_name or item.author_handle or "unknown author"
    lines = [
        "> " + item.text.replace("\n", "\n> "),
        "",
        f"Author: {author}",
        f"Source: {item.source}" + (f" ({item.url})" if item.url else ""),
        f"Kind: {item.kind} (confidence {item.kind_confidence:.2f})"
        if item.kind and item.kind_confidence is not None
        else "Kind: not classified yet",
        f"Routing: {decision.reason}",
        f"Feedback: fr-{item.id}",
    ]
    return "\n".join(lines)


def open_board_ticket(*, session: Session, item: Feedback, decision: RouteDecision) -> Ticket:
    """Create the board ticket of an item for the decision's team, or return the one it has."""
    existing = session.scalar(
        select(Ticket).where(
            Ticket.feedback_id == item.id, Ticket.sink == BOARD, Ticket.team == decision.team
        )
    )
    if existing is not None:
        return existing
    ticket = Ticket(
        feedback_id=item.id,
        sink=BOARD,
        team=decision.team,
        title=make_title(item.text),
        body=make_body(item, decision),
    )
    session.add(ticket)
    session.flush()
    return ticket


def list_tickets(*, session: Session, team: str | None, limit: int) -> Sequence[Ticket]:
    query = select(Ticket).order_by(Ticket.id.desc()).limit(limit)
    if team:
        query = query.where(Ticket.team == team)
    return session.scalars(query).all()
