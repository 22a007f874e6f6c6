"""The cluster index ranks clusters as ``classifiers.clustering.assign`` does, and attach uses it."""

import logging

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from classifiers.clustering import assign
from feedback_router.clusters import index as cluster_index
from feedback_router.clusters.models import Cluster
from feedback_router.db import get_engine, session_scope
from tests.clusters.test_clusters import cluster_of, report, wired  # noqa: F401  (fixture)


def test_attach_goes_through_the_index_and_picks_the_cluster_assign_picks(wired, caplog):  # noqa: F811
    caplog.set_level(logging.INFO, logger="feedback_router.clusters.index")
    first = [report(wired, f"Export to PDF crashes, case {n}", 0, seed=n) for n in range(3)]
    other = [report(wired, f"Login fails, case {n}", 1, seed=10 + n) for n in range(2)]

    index = cluster_index.for_url(wired.database_url)
    expected = (
        "pgvector"
        if "host=" in wired.database_url
        else None
        if "127.0.0.1" in wired.database_url
        else "memory"
    )
    assert (index.kind if index else None) == expected, caplog.text
    assert "failed" not in caplog.text
    assert len({cluster_of(wired, i).id for i in first}) == 1
    assert cluster_of(wired, other[0]).id == cluster_of(wired, other[1]).id != cluster_of(wired, first[0]).id

    with session_scope(wired.database_url) as session:
        clusters = session.scalars(select(Cluster).where(Cluster.status == "open").order_by(Cluster.id)).all()
        rng = np.random.default_rng(1)
        for _ in range(20):  # the index's best is the scan's best, with the same similarity
            x = rng.normal(size=16)
            x /= np.linalg.norm(x)
            centroids = [np.frombuffer(c.vector_sum, dtype=np.float32) / c.size for c in clusters]
            choice = assign(x, centroids, [c.size for c in clusters], threshold=-10)
            if index is not None:
                assert index.nearest(session, "product", x, top_k=1) == [clusters[choice.index].id]


def test_a_rolled_back_change_leaves_the_index_as_the_table_is(wired):  # noqa: F811
    items = [report(wired, f"Export to PDF crashes, case {n}", 0, seed=n) for n in range(2)]
    cluster_id = cluster_of(wired, items[0]).id
    index = cluster_index.for_url(wired.database_url)
    if index is None:
        return  # no index on this server: attach scans the table itself
    direction = np.zeros(16)
    direction[0] = 1.0
    with session_scope(wired.database_url) as session:
        assert index.nearest(session, "product", direction, top_k=1) == [cluster_id]
    with Session(get_engine(wired.database_url)) as session:
        session.get_one(Cluster, cluster_id).status = "merged"
        session.flush()  # written through: the index no longer offers it ...
        assert index.nearest(session, "product", direction, top_k=1) == []
        session.rollback()  # ... and after the rollback it does again
    with session_scope(wired.database_url) as session:
        assert index.nearest(session, "product", direction, top_k=1) == [cluster_id]
