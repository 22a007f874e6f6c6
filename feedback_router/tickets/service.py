"""The built-in ticket board, and every delivery: tickets stored in our own database."""

from collections.abc import Sequence

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from feedback_router.db import utcnow
from feedback_router.errors import Conflict, NotFound
from feedback_router.feedback.models import Feedback
from feedback_router.routing.rules import RouteDecision
from feedback_router.tickets.models import Delivery, Ticket
from integrations.redact import redact_then_cut

BOARD = "board"
TITLE_LENGTH = 80


def make_title(text: str) -> str:
    """The title of a ticket, cluster or notice: the text redacted, on one line, cut at a word boundary.

    Titles leave the service (Jira summaries, cluster titles, digests, thanks) and are cut, so they are
    always redacted whole first: half a phone number would no longer be recognised at the sink.
    """
    return redact_then_cut(text, TITLE_LENGTH)


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


def open_board_ticket(
    *, session: Session, item: Feedback, decision: RouteDecision, priority: str | None = None
) -> Ticket:
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
        priority=priority,
    )
    session.add(ticket)
    session.flush()
    return ticket


def list_tickets(
    *,
    session: Session,
    team: str | None,
    limit: int,
    delivery: str | None = None,
    ids: Sequence[int] | None = None,
    failed_first: bool = False,
) -> Sequence[Ticket]:
    """Newest first, optionally of one team, delivery state or set of ids; ``failed_first`` puts
    failed deliveries on top."""
    newest = Ticket.id.desc()
    failed = case((Ticket.delivery == Delivery.failed, 0), else_=1)
    query = select(Ticket).order_by(*((failed, newest) if failed_first else (newest,))).limit(limit)
    if team:
        query = query.where(Ticket.team == team)
    if delivery:
        query = query.where(Ticket.delivery == delivery)
    if ids is not None:
        query = query.where(Ticket.id.in_(ids))
    return session.scalars(query).all()


def ticket_teams(*, session: Session) -> list[str]:
    """Every team that has tickets, by name."""
    return sorted(session.scalars(select(Ticket.team).distinct()))


def delivery_counts(*, session: Session) -> dict[str, int]:
    """How many tickets are in each delivery state (every state named, zero included)."""
    rows = session.execute(select(Ticket.delivery, func.count()).group_by(Ticket.delivery))
    found = {state: count for state, count in rows}
    return {state.value: found.get(state.value, 0) for state in Delivery}


def retry(*, session: Session, ticket_id: int) -> Ticket:
    """Send a failed delivery again: pending from now, with a fresh count of attempts.

    Its ``last_error`` stays until an attempt succeeds: it tells the worker that an earlier
    attempt may have reached the tool, so the first attempt after a retry looks the Jira issue
    up by its label before creating one (``delivery._send``), as any later attempt does.
    Raises NotFound, or Conflict for a delivery that has not failed.
    """
    # One conditional update: of two retries at the same moment only one resets the row, so the
    # other can never pull it back from a worker that already took it.
    changed = session.execute(  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult
        update(Ticket)
        .where(Ticket.id == ticket_id, Ticket.delivery == Delivery.failed)
        .values(
            delivery=Delivery.pending, available_at=utcnow(), attempts=0, lease_token=None, leased_until=None
        )
    ).rowcount
    ticket = session.get(Ticket, ticket_id, populate_existing=True)
    if ticket is None:
        raise NotFound(f"ticket {ticket_id} does not exist")
    if not changed:
        raise Conflict(
            f"ticket {ticket_id} is {ticket.delivery}, not failed: only a failed delivery can be retried"
        )
    return ticket
