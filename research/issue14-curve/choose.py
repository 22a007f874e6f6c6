"""Choose adapt()'s strength and the triage order on the POOL only (NLBSE'24 train), never its test split.

Each draw splits the pool at random into an inbox (1,000) and a pool-internal held-out part (499)
that scores the adapted heads (bug / feature / question F1); the curve on NLBSE'24 test
(`feedback-router eval --task learning-curve`) was only run after the choice.

Usage: PYTHONPATH=. python research/issue14-curve/choose.py DATA CACHE STRENGTHS ORDERS SIZES DRAWS
e.g. ... /work/data14 /tmp/cache 0.1,0.3,1 random,margin+dup0.9,densitydup0.9,dm0.1dup0.9 50 3
Orders: random; margin / leastconf / entropy (least certain first; +dupD: near-duplicates at
similarity >= D after the others); mmrA (greedy A * uncertainty + (1 - A) * distance to the items
chosen); densitydupD (typical first); dm{B}dup{D} (typicality - B * margin, the shipped order);
mdensdupD (uncertainty * typicality). Results of the runs that chose the defaults: results.md.
"""

import sys
import time
from pathlib import Path

import numpy as np

from classifiers.adapt import adapt
from classifiers.evaluation import metrics
from classifiers.evaluation.cache import EmbeddingCache
from classifiers.evaluation.datasets import load_normalised
from classifiers.teaching import margins
from classifiers.training import seed_examples, train

MODEL = "use-multilingual"
root, cache = Path(sys.argv[1]), EmbeddingCache(Path(sys.argv[2]))
strengths = [float(s) for s in (sys.argv[3].split(",") if len(sys.argv) > 3 else ["0.1", "0.3", "1", "3"])]
names = sys.argv[4].split(",") if len(sys.argv) > 4 else ["random", "margin+dup0.9", "dm0.1dup0.9"]
embed = lambda texts: cache.embed(MODEL, texts)  # noqa: E731
base = train(seed_examples(), embed, embedding_model=MODEL)
pool = load_normalised(root, "nlbse2024_issues", "train")
vectors = np.asarray(embed(pool.texts), dtype=np.float32)
vec = dict(zip(pool.texts, vectors, strict=True))
labels = np.array(pool.labels)
predictions = base.predict("kind", vectors, pool.texts)
classes = base.heads["kind"].classes
scores = np.array([[p.scores[c] for c in classes] for p in predictions])


def entropy(s):
    p = s / s.sum(axis=1, keepdims=True)
    return -(p * np.log(p + 1e-12)).sum(axis=1)


def ordered(key, rows, dup):
    order = rows[np.argsort(key[rows], kind="stable")]
    if dup is None:
        return order
    v = vectors[order]
    similar = (v @ v.T) >= dup
    kept = np.zeros(len(order), dtype=bool)
    for i in range(len(order)):
        kept[i] = not similar[i, :i][kept[:i]].any()
    return np.concatenate([order[kept], order[~kept]])


ngram_features = base.ngrams["kind"].view.transform(pool.texts)  # the view never changes: once


def f1(heads, rows):
    """As HeadSet.predict's labels (mean of both kind heads), without re-reading the texts."""
    kind = heads.heads["kind"]
    both = (kind.scores(vectors[rows]) + heads.ngrams["kind"].head.scores(ngram_features[rows])) / 2
    predicted = np.array(kind.classes)[both.argmax(axis=1)]
    kinds = ("bug_report", "feature_request", "question")
    return [metrics.binary_f1(list(labels[rows] == k), list(predicted == k)) for k in kinds]


def greedy(uncertainty, rows, alpha):
    """Greedy: alpha * uncertainty + (1 - alpha) * (1 - similarity to the nearest item already chosen)."""
    v = vectors[rows]
    similarity = v @ v.T
    u = uncertainty[rows]
    nearest = np.full(len(rows), -1.0)
    chosen, free = [], np.ones(len(rows), dtype=bool)
    for _ in range(min(len(rows), 300)):
        value = alpha * u + (1 - alpha) * (1 - np.maximum(nearest, 0))
        value[~free] = -np.inf
        best = int(np.argmax(value))
        chosen.append(best)
        free[best] = False
        nearest = np.maximum(nearest, similarity[best])
    return rows[np.array(chosen + list(np.flatnonzero(free)))]


def density(rows, k=10):
    """Mean similarity to the k nearest other items of the inbox: high for typical items."""
    v = vectors[rows]
    similarity = v @ v.T
    np.fill_diagonal(similarity, -1)
    return np.sort(similarity, axis=1)[:, -k:].mean(axis=1)


def ordered_by(key, rows, dup):
    """Rows by key ascending, near-duplicates (similarity >= dup) of kept rows after the others."""
    order = rows[np.argsort(key, kind="stable")]
    v = vectors[order]
    similar = (v @ v.T) >= dup
    kept = np.zeros(len(order), dtype=bool)
    for i in range(len(order)):
        kept[i] = not similar[i, :i][kept[:i]].any()
    return np.concatenate([order[kept], order[~kept]])


orders = {
    "random": None,
    "margin": (margins(scores), None),
    "margin+dup0.9": (margins(scores), 0.9),
    "margin+dup0.8": (margins(scores), 0.8),
    "leastconf": (scores.max(axis=1), None),
    "entropy": (-entropy(scores), None),
    **{f"mmr{a}": None for a in ("0", "0.3", "0.5", "0.7")},
    **{f"{a}dup{d}": None for a in ("density", "mdens", "dm0.1", "dm0.3") for d in ("0.8", "0.9")},
}
sizes = tuple(int(n) for n in (sys.argv[5].split(",") if len(sys.argv) > 5 else ["50"]))
results = {}
started = time.time()
for draw in range(int(sys.argv[6]) if len(sys.argv) > 6 else 3):
    rng = np.random.default_rng(100 + draw)
    perm = rng.permutation(len(labels))
    inbox, held = perm[:1000], perm[1000:]
    base_f1 = f1(base, held)
    results.setdefault(("base", 0, 0), []).append(base_f1)
    for name, spec in orders.items():
        if name not in names:
            continue
        if name.startswith("density"):
            dup = float(name.split("dup")[1])
            rows = ordered_by(-density(inbox), inbox, dup)
        elif name.startswith("dm"):
            beta, dup = (float(x) for x in name[2:].split("dup"))
            rows = ordered_by(-(density(inbox) - beta * margins(scores)[inbox]), inbox, dup)
        elif name.startswith("mdens"):
            dup = float(name.split("dup")[1])
            rows = ordered_by(-(1 - margins(scores)[inbox]) * density(inbox), inbox, dup)
        elif name.startswith("mmr"):
            rows = greedy(1 - margins(scores), inbox, float(name[3:]))
        else:
            rows = inbox if spec is None else ordered(spec[0], inbox, spec[1])
        for strength in strengths:
            for n in sizes:
                heads = adapt(
                    base,
                    {"kind": [(pool.texts[i], pool.labels[i]) for i in rows[:n]]},
                    lambda t: np.array([vec[x] for x in t]),
                    strength,
                )
                results.setdefault((name, strength, n), []).append(f1(heads, held))
print(f"{time.time() - started:.0f} s")
b = np.mean(results[("base", 0, 0)], axis=0)
print("base", np.round(b, 3))
for key, runs in results.items():
    if key[0] == "base":
        continue
    m = np.mean(runs, axis=0)
    print(
        f"{key[0]:<15} strength {key[1]:<5} N {key[2]:<4} "
        f"bug {m[0]:.3f} ({m[0] - b[0]:+.3f}) feature {m[1]:.3f} question {m[2]:.3f}"
    )
