"""Does a third writer's batch of review seeds help? Dev-set bootstrap and leave-one-writer-out.

    python research/issue3-default/writers.py
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from run import HERE, DATA, EmbeddingCache, bug_feature_macro, load, shipped_predict  # noqa: E402

MODEL = "use-multilingual"
cache = EmbeddingCache()


def predict(seeds, texts):
    return shipped_predict(cache, MODEL, seeds, texts)


scores = bug_feature_macro


forum, first, second, third = (
    load([DATA / f"seed_kinds{part}.jsonl"]) for part in ("", "_reviews", "_reviews_2", "_reviews_3")
)
dev = load([HERE / "dev_reviews.jsonl"])
texts, gold = [t for t, _ in dev], np.asarray([k for _, k in dev])
without, with_third = predict(forum + first + second, texts), predict(forum + first + second + third, texts)
rng = np.random.default_rng(0)
deltas = []
for _ in range(1000):
    i = rng.integers(0, len(gold), len(gold))
    deltas.append(np.subtract(scores(gold[i], with_third[i]), scores(gold[i], without[i])))
for name, column in zip(("bug F1", "feature F1", "macro F1"), np.array(deltas).T, strict=True):
    low, high = np.percentile(column, [2.5, 97.5])
    print(f"dev, adding the third writer: {name} {column.mean():+.3f} (95% bootstrap {low:+.3f} to {high:+.3f})")
for name, train_set, test_set in [
    ("second writer's, from forum + first", forum + first, second),
    ("second writer's, from forum + first + third", forum + first + third, second),
    ("third writer's, from forum + first", forum + first, third),
    ("third writer's, from forum + first + second", forum + first + second, third),
]:
    test_texts, test_gold = [t for t, _ in test_set], np.asarray([k for _, k in test_set])
    bug, feature, macro = scores(test_gold, predict(train_set, test_texts))
    print(f"{name}: bug {bug:.3f} feature {feature:.3f} macro {macro:.3f}")
