"""Shared helpers: banking77 embeddings from the eval cache, train samples, a stream runner."""

import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import adjusted_rand_score, v_measure_score

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from classifiers.clustering import OnlineClusterer  # noqa: E402

MODELS = {"minilm": "all-MiniLM-L6-v2", "use": "use-multilingual"}
DATA = Path("/tmp/issue5/b77.npz")


def load():
    if not DATA.exists():
        from classifiers.evaluation.cache import EmbeddingCache
        from classifiers.evaluation.datasets import load_banking77

        cache, out = EmbeddingCache(), {}
        for split in ("train", "test"):
            s = load_banking77(Path(__file__).resolve().parents[3] / "shared" / "datasets", split)
            out[f"{split}_labels"] = np.array(s.labels)
            for key, model in MODELS.items():
                out[f"{split}_{key}"] = cache.embed(model, s.texts)
        DATA.parent.mkdir(exist_ok=True)
        np.savez(DATA, **out)
    return np.load(DATA)


def norm(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def view(d, split, key):
    if key == "cat":
        return np.hstack([norm(d[f"{split}_minilm"]), norm(d[f"{split}_use"])]) / np.sqrt(2)
    return norm(d[f"{split}_{key}"])


def train_samples(d, key, seeds=(0, 1, 2), size=3080):
    """Shuffled samples of the train split, the test split's size: where settings are chosen."""
    x, y = view(d, "train", key), d["train_labels"]
    for seed in seeds:
        rows = np.random.default_rng(seed).choice(len(x), size, replace=False)
        yield x[rows], y[rows]


def score(y, p):
    return v_measure_score(y, p), adjusted_rand_score(y, p), len(set(p))


def schedule(n, every):
    """Re-cluster after every `every` items; the last pass after the last item takes the tail too."""
    points = list(range(every, n - every + 1, every)) + [n]
    return set(points)


def stream(x, threshold, margin, every):
    """Add items one by one; re-cluster on `schedule`."""
    when = schedule(len(x), every)
    c = OnlineClusterer(threshold=threshold, margin=margin)
    passes, first = [], []
    t = time.perf_counter()
    for i, v in enumerate(x):
        cluster, _, _ = c.add(i, v)
        first.append(cluster)
        if i + 1 in when:
            r = c.recluster()
            passes.append(r)
    return np.array(c.labels), np.array(first), passes, time.perf_counter() - t

