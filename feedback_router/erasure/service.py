"""Erasing an author's data on request (GDPR Art. 17), and anonymising old items (retention).

Both anonymise items the same way (``anonymise``). The row stays, so that every count stays true
(a cluster still counts the report, a digest its theme, the overview its day) and the ``fr-<id>``
that tickets outside carry still points somewhere; what could identify the author goes:

- the item and its parts (a mixed message split): the text becomes ``MARKER``; handle, display name,
  e-mail, link, external id and idempotency key are cleared (an id may itself be personal: an
  e-mail's Message-ID, a page address), the metadata keeps only ``community`` (digests count by
  it), the embedding is dropped (it is derived from the text), ``erased_at`` is set;
- the copies of its words: its tickets' title, body and last error; its author notices (those not
  sent are withdrawn, so nobody contacts the author, the sent ones keep no message); cluster titles
  made from its text (a cluster holding it also rewrites its Jira issue, whose quotes are read
  live); digests not published yet (its quotes and titles in the sections and the Markdown; an
  approved one goes back to draft, for a manager to look again); and where a manager's correction
  made it a training example, other items' nearest-example evidence and the stored model versions'
  example banks (the active one is stored anew, so running workers load the clean copy).

Its labels stay as counts, but an anonymised item no longer trains (``labels.training_examples``).
What is outside this service is listed for a person: tickets already delivered to Jira, Slack or
a webhook. Erasing twice changes nothing the second time.
"""

import logging
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from feedback_router.clusters import titles
from feedback_router.clusters.models import Cluster
from feedback_router.config import Settings
from feedback_router.db import session_scope, utcnow
from feedback_router.digests.models import Digest, DigestStatus
from feedback_router.digests.render import escape_markdown
from feedback_router.erasure.schemas import Erased
from feedback_router.feedback.models import Feedback, FeedbackLabel, ProcessingJob
from feedback_router.loopback.models import AuthorNotice
from feedback_router.loopback.notices import NOT_SENT
from feedback_router.model_versions import ModelVersion, activate_new
from feedback_router.tickets.models import Delivery, Ticket
from feedback_router.tickets.service import make_title
from integrations.redact import redact

log = logging.getLogger(__name__)

MARKER = "[erased]"
KEPT_METADATA = ("community",)
SHORTEST_NAME = 3  # shorter names would cut words out of other people's text
RETENTION_CHUNK = 50  # items per transaction: short, so that capture (on SQLite: one writer) hardly waits
RETENTION_CHUNKS = 200  # per turn: a large first run goes on at the next turn
EVIDENCE_CHUNK = 500


class Traces:
    """The strings that carried some items' personal data, to cut out of copies of them."""

    def __init__(self, items: Sequence[Feedback]) -> None:
        texts: set[str] = set()
        names: set[str] = set()
        for item in items:
            # As written, and as copies show it: redacted, quoted in a ticket body (tickets.service).
            for text in {item.text, redact(item.text)}:
                texts |= {text, text.replace("\n", "\n> ")}
            for name in (item.author_handle, item.author_display_name, item.author_email, item.url):
                if name and name.strip():
                    names |= {name.strip(), escape_markdown(name)}
        self.originals = frozenset(item.text for item in items)
        self.titles = frozenset(make_title(text) for text in self.originals)
        self.texts = sorted(texts - {"", MARKER}, key=len, reverse=True)
        self._all_names = _words(names)
        self._long_names = _words({name for name in names if len(name) >= SHORTEST_NAME})

    def scrub_names(self, value: str) -> str:
        """The value without the names long enough to tell apart from words: for any text."""
        return self._long_names.sub(MARKER, value) if self._long_names else value

    def scrub(self, value: str) -> str:
        """The value without the texts and names: for copies made of these items only."""
        for text in self.texts:
            value = value.replace(text, MARKER)
        return self._all_names.sub(MARKER, value) if self._all_names else value


def _words(names: set[str]) -> re.Pattern[str] | None:
    """Whole words only, any case: "Anna" goes, "Annabel" stays."""
    if not names:
        return None
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def _strings(value: Any, change: Callable[[str], str]) -> Any:
    """A JSON value with ``change`` applied to every string in it."""
    if isinstance(value, str):
        return change(value)
    if isinstance(value, list):
        return [_strings(v, change) for v in value]
    if isinstance(value, dict):
        return {k: _strings(v, change) for k, v in value.items()}
    return value


def erase_author(*, session: Session, handle: str, source: str | None) -> Erased:
    """Anonymise every item of the author ``handle`` (of ``source``, or of every source), in the
    caller's transaction. An author of whom nothing is held gets zero counts."""
    where = [Feedback.author_handle == handle, Feedback.erased_at.is_(None)]
    if source is not None:
        where.append(Feedback.source == source)
    found = set(session.scalars(select(Feedback.id).where(*where)).all())
    erased = anonymise(session=session, ids=found)
    log.info("erased an author's data: %s", erased.counts(), extra={"source": source})
    return erased


def anonymise(*, session: Session, ids: Iterable[int]) -> Erased:
    """Anonymise these items, their parts and the items they are parts of, and every copy of their
    words in this service (see the module's docstring); in the caller's transaction."""
    wanted = set(ids)
    if not wanted:
        return Erased()
    related = select(Feedback.id, Feedback.parent_id).where(
        or_(Feedback.id.in_(wanted), Feedback.parent_id.in_(wanted))
    )
    for item_id, parent_id in session.execute(related).all():
        wanted |= {item_id} | ({parent_id} if parent_id is not None else set())
    items = session.scalars(
        select(Feedback)
        .where(Feedback.id.in_(wanted), Feedback.erased_at.is_(None))
        .order_by(Feedback.id)
        .with_for_update()
    ).all()
    if not items:
        return Erased()
    traces = Traces(items)
    item_ids = [item.id for item in items]
    trained = bool(
        session.scalar(select(FeedbackLabel.id).where(FeedbackLabel.feedback_id.in_(item_ids)).limit(1))
    )
    erased = Erased(
        items=sum(1 for item in items if item.parent_id is None),
        parts=sum(1 for item in items if item.parent_id is not None),
    )
    for job in session.scalars(select(ProcessingJob).where(ProcessingJob.feedback_id.in_(item_ids))):
        if job.last_error:  # a database error may quote the text it could not store
            job.last_error = traces.scrub(job.last_error)
    erased.tickets, erased.outside = _tickets(session, item_ids, traces)
    erased.notices_withdrawn, erased.notices = _notices(session, item_ids)
    clusters = {item.cluster_id for item in items if item.cluster_id is not None}
    now = utcnow()
    for item in items:
        _anonymise_item(item, traces)
        item.erased_at = now
    session.flush()
    retitled = _clusters(session, clusters, set(item_ids), traces)
    erased.clusters = len(retitled | clusters)
    erased.digests = _digests(session, set(item_ids), retitled, traces)
    erased.outside += _published(session, set(item_ids), retitled)
    if trained:  # only a training example's text can be another item's evidence
        erased.evidence = _evidence(session, traces)
        erased.model_versions = _model_versions(session, traces)
    return erased


def _anonymise_item(item: Feedback, traces: Traces) -> None:
    item.text = MARKER
    item.author_handle = item.author_display_name = item.author_email = item.url = None
    item.external_id = item.idempotency_key = None
    item.meta = {key: value for key, value in (item.meta or {}).items() if key in KEPT_METADATA}
    item.embedding = None
    if item.failure_reason:
        item.failure_reason = traces.scrub(item.failure_reason)
    if item.route_reason:  # a manager's note may name the author
        item.route_reason = traces.scrub(item.route_reason)
    if item.route_explanation:
        item.route_explanation = _strings(item.route_explanation, traces.scrub)


def _tickets(session: Session, item_ids: Sequence[int], traces: Traces) -> tuple[int, list[str]]:
    """Scrub the items' tickets; returns how many, and the deliveries outside to erase by hand."""
    outside = []
    tickets = session.scalars(
        select(Ticket).where(Ticket.feedback_id.in_(item_ids)).order_by(Ticket.id)
    ).all()
    for ticket in tickets:
        ticket.title = MARKER  # an item's ticket is titled by its text, however that is cut
        ticket.body = traces.scrub(ticket.body)
        if ticket.last_error:
            ticket.last_error = traces.scrub(ticket.last_error)
        if ticket.delivery == Delivery.delivered and ticket.sink != "board":
            where = ticket.external_url or ticket.external_key or ""
            outside.append(f"{ticket.destination} {where}".strip())
        elif ticket.delivery == Delivery.sending:  # on its way out with the words it had
            outside.append(f"{ticket.destination} (being sent now: ticket {ticket.id})")
    return len(tickets), outside


def _notices(session: Session, item_ids: Sequence[int]) -> tuple[int, int]:
    """Withdraw the notices not sent (nobody contacts the author now); the sent ones keep no message.
    Returns (withdrawn, scrubbed)."""
    withdrawn = session.execute(
        delete(AuthorNotice).where(
            AuthorNotice.feedback_id.in_(item_ids),
            AuthorNotice.status.in_(NOT_SENT),
            AuthorNotice.lease_token.is_(None),  # one being sent right now is past taking back
        )
    )
    kept = session.scalars(select(AuthorNotice).where(AuthorNotice.feedback_id.in_(item_ids))).all()
    for notice in kept:
        notice.message, notice.last_error, notice.author_key = MARKER, None, None  # the key holds the handle
    return int(getattr(withdrawn, "rowcount", 0) or 0), len(kept)


def _clusters(session: Session, holding: set[int], item_ids: set[int], traces: Traces) -> set[int]:
    """Give new titles to each cluster titled from the items' words (in any language: the item may have
    moved since, or its cluster been merged), or that a manager named with their words; a cluster
    holding an item rewrites its Jira issue at the next sweep. Returns the ids of the clusters retitled."""
    from_items = [
        cluster_id
        for cluster_id, titles in session.execute(select(Cluster.id, Cluster.titles))
        if any(t.get("feedback_id") in item_ids for t in (titles or {}).values())
    ]
    named = session.scalars(
        select(Cluster)
        .where(or_(Cluster.title.in_(traces.titles), Cluster.id.in_(holding | set(from_items))))
        .order_by(Cluster.id)
    ).all()
    retitled = set()
    for cluster in named:
        before = (cluster.title, cluster.titles)
        words = {str(t["text"]) for t in (cluster.titles or {}).values() if t.get("feedback_id") in item_ids}
        if cluster.title_locked:
            cluster.title = traces.scrub(cluster.title)[:200]
        else:
            titles.refresh(session, cluster)  # from the reports left: an erased one names nothing
            if cluster.title in traces.titles | words:  # no report left to name it (merged away)
                cluster.title = MARKER
        # A report that is not theirs may still name them.
        kept = {code: t for code, t in (cluster.titles or {}).items() if t.get("feedback_id") not in item_ids}
        cluster.titles = {code: {**t, "text": traces.scrub_names(t["text"])} for code, t in kept.items()}
        cluster.title = traces.scrub_names(cluster.title)[:200]
        if (cluster.title, cluster.titles) != before:
            retitled.add(cluster.id)
        if cluster.id in holding or cluster.id in retitled:
            cluster.synced_at = None  # its Jira issue follows: title and quotes
    return retitled


def _published(session: Session, item_ids: set[int], clusters: set[int]) -> list[str]:
    """The published digests that quote the items or name them or the clusters retitled: the forum
    holds them, so they are listed, not changed (what was published stays as it was published)."""
    found = []
    out = (DigestStatus.published, DigestStatus.publishing)
    for digest in session.scalars(select(Digest).where(Digest.status.in_(out)).order_by(Digest.id)):
        sections = digest.sections or {}
        entries = [
            *((sections.get("praise") or {}).get("quotes") or []),
            *(e for part in ("themes", "in_progress", "shipped") for e in sections.get(part) or []),
        ]
        if any(e.get("feedback_id") in item_ids or e.get("cluster_id") in clusters for e in entries):
            found.append(f"digest {digest.id} {digest.published_url or '(being published now)'}")
    return found


def _digests(session: Session, item_ids: set[int], clusters: set[int], traces: Traces) -> int:
    """Cut the items' quotes and titles, and the titles of the clusters retitled, out of the digests
    not published yet; returns how many changed."""
    changed = 0
    unpublished = (DigestStatus.draft, DigestStatus.approved)
    for digest in session.scalars(select(Digest).where(Digest.status.in_(unpublished)).order_by(Digest.id)):
        sections = dict(digest.sections or {})
        cut: set[str] = set()
        praise = dict(sections.get("praise") or {})
        quotes = []
        for quote in praise.get("quotes") or []:
            if quote.get("feedback_id") in item_ids:
                cut |= {quote.get("text") or "", quote.get("author") or ""}
                quote = {**quote, "text": MARKER, "author": None}
            quotes.append(quote)
        if praise:
            sections["praise"] = {**praise, "quotes": quotes}
        for part in ("themes", "in_progress", "shipped"):
            entries = []
            for entry in sections.get(part) or []:
                if entry.get("feedback_id") in item_ids or entry.get("cluster_id") in clusters:
                    cut.add(entry.get("title") or "")
                    entry = {**entry, "title": MARKER}
                entries.append(entry)
            if part in sections:
                sections[part] = entries
        markdown = digest.markdown
        for text in sorted(cut - {""}, key=len, reverse=True):
            markdown = markdown.replace(escape_markdown(text), escape_markdown(MARKER))
        markdown = traces.scrub_names(markdown)
        title = traces.scrub_names(digest.title)
        sections = _strings(sections, traces.scrub_names)
        if (markdown, title, sections) == (digest.markdown, digest.title, digest.sections):
            continue
        digest.markdown, digest.title, digest.sections = markdown, title[:200], sections
        if digest.status == DigestStatus.approved:  # not what was approved any more: look again
            digest.status, digest.approved_at, digest.approved_by = DigestStatus.draft, None, None
        changed += 1
    return changed


def _evidence(session: Session, traces: Traces) -> int:
    """Replace the items' texts where items (theirs too) show them as nearest examples; returns how
    many items changed. Only items labelled by a trained model version can show a community example."""
    trained = select(ModelVersion.version)
    query = (
        select(Feedback.id, Feedback.kind_evidence, Feedback.evidence)
        .where(Feedback.model_version.in_(trained))
        .order_by(Feedback.id)
    )
    changed, last = 0, 0
    while True:  # columns only, a chunk at a time: the table may be large
        rows = session.execute(query.where(Feedback.id > last).limit(EVIDENCE_CHUNK)).all()
        if not rows:
            return changed
        updates = []
        for item_id, kind_evidence, evidence in rows:
            new_kind = _without(kind_evidence, traces)
            new_other = {task: _without(e, traces) for task, e in evidence.items()} if evidence else evidence
            if new_kind != kind_evidence or new_other != evidence:
                updates.append({"id": item_id, "kind_evidence": new_kind, "evidence": new_other})
        if updates:  # by primary key, in one executemany
            session.execute(update(Feedback), updates)
            changed += len(updates)
        last = rows[-1].id


def _without(examples: list[dict[str, Any]] | None, traces: Traces) -> list[dict[str, Any]] | None:
    if not examples:
        return examples
    return [{**e, "text": MARKER} if e.get("text") in traces.originals else e for e in examples]


def _model_versions(session: Session, traces: Traces) -> int:
    """Replace the items' texts in the stored model versions' example banks (the evidence a version
    shows); the active version is stored anew, so that running workers load the clean copy."""
    from classifiers.heads import HeadSet

    changed = 0
    for row in session.scalars(select(ModelVersion).order_by(ModelVersion.id)).all():
        heads = HeadSet.from_bytes(row.heads)
        touched = False
        for bank in heads.banks.values():
            if any(text in traces.originals for text in bank.texts):
                bank.texts = [MARKER if text in traces.originals else text for text in bank.texts]
                touched = True
        if not touched:
            continue
        changed += 1
        if row.active:  # workers switch when the active id changes (worker.Processor.refresh)
            version, model, info = row.version, row.embedding_model, row.info
            session.delete(row)
            session.flush()
            activate_new(
                session=session, version=version, embedding_model=model, heads=heads.to_bytes(), info=info
            )
        else:
            row.heads = heads.to_bytes()
    return changed


# --- retention ----------------------------------------------------------------------------------


def anonymise_older(
    *, settings: Settings, days: int, chunks: int = RETENTION_CHUNKS, stop: threading.Event | None = None
) -> Erased:
    """Anonymise the items received more than ``days`` ago, ``RETENTION_CHUNK`` at a time, each chunk
    in a transaction of its own; at most ``chunks`` of them, and none more once ``stop`` is set (the
    rest waits for the next turn)."""
    total = Erased()
    cutoff = utcnow() - timedelta(days=days)
    for _ in range(chunks):
        if stop is not None and stop.is_set():  # a service shutting down does not wait for the run
            break
        with session_scope(settings.database_url) as session:
            old = session.scalars(
                select(Feedback.id)
                .where(
                    Feedback.received_at < cutoff, Feedback.erased_at.is_(None), Feedback.parent_id.is_(None)
                )
                .order_by(Feedback.id)
                .limit(RETENTION_CHUNK)
            ).all()
            if not old:
                break
            total = total + anonymise(session=session, ids=old)
    return total
