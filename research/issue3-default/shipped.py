"""The shipped kind head (classifiers.training, seed sets and HEAD_CONFIGS as they are) on our dev set.

    python research/issue3-default/shipped.py [--model use-multilingual]
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from run import HERE, load, report  # noqa: E402

from classifiers.evaluation.cache import EmbeddingCache  # noqa: E402
from classifiers.training import seed_examples, train  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="use-multilingual")
    args = parser.parse_args()
    cache = EmbeddingCache()
    started = time.perf_counter()
    heads = train(
        {"kind": seed_examples()["kind"]},
        lambda texts: cache.embed(args.model, texts),
        embedding_model=args.model,
    )
    print(f"trained in {time.perf_counter() - started:.1f} s")
    dev = load([HERE / "dev_reviews.jsonl"])
    texts, gold = [t for t, _ in dev], np.asarray([k for _, k in dev])
    predictions = heads.predict("kind", np.asarray(cache.embed(args.model, texts)), texts)
    report(f"shipped kind head, {args.model}", gold, np.asarray([p.label for p in predictions]))
    print(f"stored model version: {len(heads.to_bytes()) / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
