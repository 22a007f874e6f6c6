"""The learning curve: how much a community's corrections lift the shipped model on its own posts.

An unseen labelled set is split in two: a pool, standing for the community's inbox, and a scored
split that no correction comes from. Each draw takes a random two thirds of the pool as the inbox
(arrival order random too); N items of it are corrected, either in the order the triage inbox
offers them (``classifiers.teaching``, on the shipped model's kind scores and the embeddings) or at
random, the shipped heads are adapted to them (``classifiers.adapt.adapt``), and the scored split
is classified again. F1 per kind and N is the mean over the draws.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from classifiers.adapt import STRENGTH, adapt
from classifiers.evaluation import metrics
from classifiers.evaluation.datasets import Split
from classifiers.heads import HeadSet
from classifiers.teaching import teaching_order

SIZES = (0, 25, 50, 100, 200)
DRAWS = 5
KINDS = ("bug_report", "feature_request", "question")
ORDERS = ("triage", "random")
INBOX_SHARE = 2 / 3


@dataclass(frozen=True)
class CurveRow:
    """Mean F1 per kind on the scored split after ``corrections`` corrections in one order."""

    order: str
    corrections: int
    f1: dict[str, float]
    std: dict[str, float]

    def to_json(self) -> dict[str, object]:
        return {
            "order": self.order,
            "corrections": self.corrections,
            "f1": {k: round(v, 4) for k, v in self.f1.items()},
            "std": {k: round(v, 4) for k, v in self.std.items()},
        }


def learning_curve(
    base: HeadSet,
    pool: Split,
    pool_vectors: np.ndarray,
    scored: Split,
    scored_vectors: np.ndarray,
    *,
    sizes: Sequence[int] = SIZES,
    draws: int = DRAWS,
    strength: float = STRENGTH,
) -> list[CurveRow]:
    """Rows per order and N (N = 0 is the shipped model itself, once for both orders).

    Args:
        base: the shipped heads.
        pool, pool_vectors: where corrections come from, with the texts' embeddings.
        scored, scored_vectors: the held-out split F1 is measured on.
        sizes: the numbers of corrections; larger than a draw's inbox, the whole inbox.
        draws: how many random inboxes the means are taken over.
        strength: ``adapt``'s anchor strength.
    """
    vectors_of = dict(zip(pool.texts, np.asarray(pool_vectors, dtype=np.float32), strict=True))
    scored_vectors = np.asarray(scored_vectors, dtype=np.float32)

    def f1s(heads: HeadSet) -> dict[str, float]:
        predicted = [p.label for p in heads.predict("kind", scored_vectors, scored.texts)]
        return {
            kind: metrics.binary_f1([g == kind for g in scored.labels], [p == kind for p in predicted])
            for kind in KINDS
        }

    pool_predictions = base.predict("kind", np.asarray(pool_vectors, dtype=np.float32), pool.texts)
    classes = base.heads["kind"].classes
    pool_scores = np.array([[p.scores[c] for c in classes] for p in pool_predictions])
    start = f1s(base)
    found: dict[tuple[str, int], list[dict[str, float]]] = {}
    for draw in range(draws):
        rng = np.random.default_rng(draw)
        inbox = rng.permutation(len(pool.texts))[: round(len(pool.texts) * INBOX_SHARE)]
        offered = {
            "triage": inbox[teaching_order(pool_scores[inbox], np.asarray(pool_vectors)[inbox])],
            "random": inbox,
        }
        for order, ranked in offered.items():
            for size in sizes:
                if size == 0:
                    continue
                corrections = [(pool.texts[i], pool.labels[i]) for i in ranked[:size]]
                heads = adapt(
                    base,
                    {"kind": corrections},
                    lambda texts: np.array([vectors_of[t] for t in texts]),
                    strength,
                )
                found.setdefault((order, size), []).append(f1s(heads))
    rows = [CurveRow(order, 0, start, dict.fromkeys(KINDS, 0.0)) for order in ORDERS if 0 in sizes]
    for (order, size), runs in found.items():
        rows.append(
            CurveRow(
                order,
                size,
                {k: float(np.mean([r[k] for r in runs])) for k in KINDS},
                {k: float(np.std([r[k] for r in runs])) for k in KINDS},
            )
        )
    return sorted(rows, key=lambda row: (ORDERS.index(row.order), row.corrections))


def gain(rows: Sequence[CurveRow], order: str, size: int, kind: str = "bug_report") -> float:
    """The F1 lift of ``size`` corrections in ``order`` over the shipped model (N = 0)."""
    by_key = {(r.order, r.corrections): r.f1[kind] for r in rows}
    return by_key[(order, size)] - by_key[(order, 0)]
