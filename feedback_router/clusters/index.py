"""Nearest open cluster of a team through a Haystack document store (issue 5).

One Document per open cluster: id = the cluster's id, meta ``team``, and an embedding built so
that its inner product with the item's ``[x, 1]`` is exactly ``classifiers.clustering.similarities``:

    1 - w |x - m|^2 = (1 - w - w |m|^2) + 2 w x.m,    w = n / (n + 1), m the centroid, |x| = 1

so the store's maximum-inner-product top-k ranks clusters the way ``assign`` does.

The store is an ``InMemoryDocumentStore`` for the embedded default (SQLite; one process), a
``PgvectorDocumentStore`` (table ``cluster_index_<dim+1>``) when the database is PostgreSQL with
the ``vector`` extension; otherwise there is no index and ``attach`` scans, with the reason logged.

The index is a cache of the ``clusters`` table, written through at every flush that changes a
cluster (so every path that moves centroids or status is covered: attach, merge, split, recluster,
loopback's resolve/reopen), while the transaction still holds the team's lock; a transaction that
rolls back puts its clusters' entries back to what the table holds. A process that dies in between
leaves an entry behind until the cluster's next change (or the next process's first load). Readers
therefore verify: the candidates are re-read from ``clusters`` and re-scored there, and entries
that no longer match an open cluster of the team are dropped.
"""

import logging
import threading
from typing import Any

import numpy as np
from sqlalchemy import event, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from feedback_router.clusters.models import Cluster, ClusterStatus
from feedback_router.db import get_engine, session_scope

log = logging.getLogger(__name__)

_lock = threading.Lock()
_indexes: dict[str, "ClusterIndex | None"] = {}
INDEXED = ("vector_sum", "size", "status", "team")


def embedding_of(cluster: Cluster) -> list[float] | None:
    """The cluster's document embedding (see the module); None for an empty cluster."""
    if cluster.vector_sum is None or not cluster.size:
        return None
    n = float(cluster.size)
    mean = np.frombuffer(cluster.vector_sum, dtype=np.float32).astype(np.float64) / n
    w = n / (n + 1.0)
    return [*(2.0 * w * mean).tolist(), float(1.0 - w - w * float(mean @ mean))]


class ClusterIndex:
    """Open clusters of every team in one Haystack document store."""

    def __init__(self, kind: str, make_store: Any) -> None:
        self.kind = kind
        self._make_store = make_store  # dimension -> store; the table's width is known at first use
        self._stores: dict[int, Any] = {}
        self._loaded: set[int] = set()
        # The API's threads and the in-process worker share one index; the in-memory store is a
        # plain dict, so reads and writes take turns.
        self.guard = threading.RLock()

    def _store(self, dim: int) -> Any:
        if dim not in self._stores:
            self._stores[dim] = self._make_store(dim)
        return self._stores[dim]

    def load(self, session: Session, dim: int) -> None:
        """Once per process and width: write every open cluster (the store may predate them)."""
        with self.guard:
            self._load(session, dim)

    def _load(self, session: Session, dim: int) -> None:
        if dim in self._loaded:
            return
        from haystack import Document
        from haystack.document_stores.types import DuplicatePolicy

        docs = []
        for cluster in session.scalars(select(Cluster).where(Cluster.status == ClusterStatus.open)):
            embedding = embedding_of(cluster)
            if embedding is not None and len(embedding) == dim:
                docs.append(Document(id=str(cluster.id), embedding=embedding, meta={"team": cluster.team}))
        if docs:
            self._store(dim).write_documents(docs, policy=DuplicatePolicy.OVERWRITE)
        self._loaded.add(dim)

    def apply(self, changes: dict[int, tuple[str, list[float]] | None]) -> None:
        """Write the clusters given a (team, embedding); drop those given None."""
        with self.guard:
            self._apply(changes)

    def _apply(self, changes: dict[int, tuple[str, list[float]] | None]) -> None:
        from haystack import Document
        from haystack.document_stores.types import DuplicatePolicy

        write: dict[int, list[Any]] = {}
        for cluster_id, entry in changes.items():
            if entry is not None:
                team, embedding = entry
                doc = Document(id=str(cluster_id), embedding=embedding, meta={"team": team})
                write.setdefault(len(embedding), []).append(doc)
        for dim, docs in write.items():
            self._store(dim).write_documents(docs, policy=DuplicatePolicy.OVERWRITE)
        self.remove([str(i) for i, entry in changes.items() if entry is None])

    def remove(self, ids: list[str]) -> None:
        if ids:
            with self.guard:
                for store in self._stores.values():
                    store.delete_documents(ids)

    def nearest(self, session: Session, team: str, vector: np.ndarray, top_k: int = 3) -> list[int]:
        """The ids of the team's ``top_k`` open clusters most similar to the (unit) vector."""
        dim = len(vector) + 1
        query = [*np.asarray(vector, dtype=np.float64).tolist(), 1.0]
        filters = {"field": "meta.team", "operator": "==", "value": team}
        with self.guard:
            self._load(session, dim)
            store = self._store(dim)
            if self.kind == "memory":
                docs = store.embedding_retrieval(query_embedding=query, filters=filters, top_k=top_k)
            else:
                docs = store._embedding_retrieval(query_embedding=query, filters=filters, top_k=top_k)
        return [int(d.id) for d in docs]


def _pgvector(url: str) -> "ClusterIndex | None":
    """A pgvector-backed index, or None (logged) where the server has no ``vector`` extension."""
    try:
        with get_engine(url).connect() as connection:
            installed = connection.scalar(text("SELECT 1 FROM pg_extension WHERE extname = 'vector'"))
            available = installed or connection.scalar(
                text("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
            )
        if not available:
            log.info("cluster index: PostgreSQL has no vector extension: open clusters are scanned")
            return None
        from haystack.utils import Secret
        from haystack_integrations.document_stores.pgvector import PgvectorDocumentStore
    except Exception as exc:  # pgvector-haystack not installed, or the server not reachable
        log.info("cluster index: pgvector not usable (%s): open clusters are scanned", exc)
        return None
    libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)

    def make(dim: int) -> Any:
        store = PgvectorDocumentStore(
            connection_string=Secret.from_token(libpq),
            table_name=f"cluster_index_{dim}",
            embedding_dimension=dim,
            vector_function="inner_product",
            search_strategy="exact_nearest_neighbor",
        )
        store.count_documents()  # creates the extension and table now: failures surface here
        return store

    return ClusterIndex("pgvector", make)


def _key(url: str) -> str:
    return make_url(url).render_as_string(hide_password=False)


def for_url(url: str) -> "ClusterIndex | None":
    """The process's index for this database; None: scan (the reason is logged once)."""
    url = _key(url)
    with _lock:
        if url not in _indexes:
            if url.startswith("sqlite"):
                from haystack.document_stores.in_memory import InMemoryDocumentStore

                _indexes[url] = ClusterIndex(
                    "memory", lambda dim: InMemoryDocumentStore(embedding_similarity_function="dot_product")
                )
            elif url.startswith("postgresql"):
                _indexes[url] = _pgvector(url)
            else:
                _indexes[url] = None
        return _indexes[url]


def for_session(session: Session) -> "ClusterIndex | None":
    bind = session.get_bind().engine
    return for_url(bind.url.render_as_string(hide_password=False))


def forget(url: str) -> None:
    """Close and drop this process's index for the database (tests; engine disposal)."""
    with _lock:
        url = _key(url)
        index = _indexes.pop(url, None)
    for store in index._stores.values() if index else ():
        if hasattr(store, "close"):
            store.close()


def disable(url: str, reason: object) -> None:
    """Scan from now on in this process (the store failed)."""
    log.warning("cluster index for %s failed (%s): open clusters are scanned", make_url(url), reason)
    with _lock:
        _indexes[_key(url)] = None


def _moved(cluster: Cluster) -> bool:
    """Whether the flush changed what the index holds of the cluster."""
    state = inspect(cluster)
    return any(state.attrs[name].history.has_changes() for name in INDEXED)


NOTED = "cluster_index_noted"  # session.info: ids of clusters this transaction wrote to the index


def _document(cluster: Cluster, deleted: bool = False) -> tuple[str, list[float]] | None:
    embedding = embedding_of(cluster)
    if deleted or cluster.status != ClusterStatus.open or not embedding:
        return None
    return cluster.team, embedding


def _apply(session: Session, changes: dict[int, tuple[str, list[float]] | None]) -> None:
    url = session.get_bind().engine.url.render_as_string(hide_password=False)
    index = for_url(url)
    if index is None:
        return
    try:
        index.apply(changes)
    except Exception as exc:  # the index is a cache of the table: never fail the work for it
        disable(url, exc)


@event.listens_for(Session, "after_flush")
def _write_through(session: Session, _context: Any) -> None:
    """Write what the flush did to clusters now, while the transaction still holds the team's lock,
    so that the next attach of the team (waiting on that lock) finds it."""
    changes = {
        cluster.id: _document(cluster, deleted=cluster in session.deleted)
        for cluster in (*session.new, *session.dirty, *session.deleted)
        if isinstance(cluster, Cluster) and (cluster not in session.dirty or _moved(cluster))
    }
    if changes:
        session.info.setdefault(NOTED, set()).update(changes)
        _apply(session, changes)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    session.info.pop(NOTED, None)


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, previous: Any) -> None:
    """A rolled-back transaction's writes to the index are put back to what the table holds."""
    if previous.parent is not None or not session.info.get(NOTED):
        return  # a savepoint: the transaction goes on
    ids = session.info.pop(NOTED)
    url = session.get_bind().engine.url.render_as_string(hide_password=False)
    with session_scope(url) as fresh:
        rows = {c.id: c for c in fresh.scalars(select(Cluster).where(Cluster.id.in_(ids)))}
        _apply(fresh, {i: _document(rows[i]) if i in rows else None for i in ids})
