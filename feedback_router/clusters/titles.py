"""A cluster's titles: per language, the key sentence of its most representative report there
(``classifiers.titles``), redacted and then cut to ``TITLE_LENGTH``; a manager's name wins over all.

``refresh`` runs whenever a cluster's members change (a report joins, re-clustering, merge, split,
erasure), so the title follows the content; it keeps a title whose report is still among the most
representative, so it stays put while the content does. ``title_for`` is what a reader gets: the
manager's name, else the title in the reader's language, else the one in the cluster's majority
language (``fallback_language``).
"""

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedback_router.clusters.models import Cluster
from feedback_router.feedback.models import Feedback
from feedback_router.tickets.service import TITLE_LENGTH
from integrations.redact import redact_then_cut

SHARED_FROM = 50  # the key sentence weighs words against this many of the language's reports at most


def title_for(cluster: Cluster, language: str | None) -> str:
    """The cluster's title for a reader of ``language`` (any case, "de-AT" is "de")."""
    from classifiers.language import normalise_code

    own = None if cluster.title_locked else (cluster.titles or {}).get(normalise_code(language or ""))
    return str(own["text"]) if own else cluster.title or f"cluster {cluster.id}"


def title_language(cluster: Cluster, language: str | None) -> str | None:
    """The language ``title_for`` answers in, where it is known (for a ``lang`` attribute)."""
    from classifiers.language import normalise_code

    if cluster.title_locked:
        return None
    found = [code for code, t in (cluster.titles or {}).items() if t["text"] == title_for(cluster, language)]
    wanted = normalise_code(language or "")
    return wanted if wanted in found else next(iter(found), None)


def refresh(session: Session, cluster: Cluster) -> None:
    """Retitle the cluster from its current reports; its Jira issue follows when the title changed."""
    from classifiers.titles import fallback_language

    members = [
        m
        for m in session.scalars(
            select(Feedback).where(Feedback.cluster_id == cluster.id).order_by(Feedback.id)
        ).all()
        if m.embedding is not None and m.erased_at is None
    ]
    titles = titles_of(members, cluster.titles or {})
    title = cluster.title
    if titles and not cluster.title_locked:
        counts = Counter(language_of(m) for m in members)
        main = fallback_language({language: counts[language] for language in titles})
        title = titles[main]["text"] if main else title
    if (titles, title) != (cluster.titles or {}, cluster.title):
        cluster.titles, cluster.title = titles, title
        if cluster.size == cluster.synced_size:  # else its grown size brings the ticket up to date, paced
            cluster.synced_at = None  # the ticket's summary follows at the next sweep


def language_of(item: Feedback) -> str:
    from classifiers.language import normalise_code
    from classifiers.titles import UNDETERMINED

    return normalise_code(item.language or UNDETERMINED)


def titles_of(members: Sequence[Feedback], current: dict[str, Any]) -> dict[str, Any]:
    """Per language, ``{"text": title, "feedback_id": its report}``; ``current`` is kept where its
    report still stands among the most representative (``classifiers.titles.title_sources``)."""
    from classifiers.titles import key_sentence, shared_words, title_sources

    if not members:
        return {}
    vectors = np.vstack([np.frombuffer(m.embedding, dtype=np.float32) for m in members if m.embedding])
    languages = [language_of(m) for m in members]
    row_of = {m.id: row for row, m in enumerate(members)}
    now = {lang: row_of[t["feedback_id"]] for lang, t in current.items() if t.get("feedback_id") in row_of}
    titles: dict[str, Any] = {}
    for language, row in title_sources(vectors, languages, now).items():
        source = members[row]
        if current.get(language, {}).get("feedback_id") == source.id:
            titles[language] = current[language]  # kept as it was (its words are as they were)
            continue
        others = [m.text for m in members if language_of(m) == language and m.id != source.id]
        sentence = key_sentence(source.text, shared_words(others[-SHARED_FROM:]))
        text = redact_then_cut(sentence or source.text, TITLE_LENGTH)  # redacted whole, then cut
        titles[language] = {"text": text, "feedback_id": source.id}
    return titles
