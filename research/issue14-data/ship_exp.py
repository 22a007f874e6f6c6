"""Recipe trials for the shipped heads, scored on our own development sets only.

Every text's embedding comes from the on-disk cache (``feedback-router train --datasets`` fills
it), so a trial costs the heads' training (about 2 minutes on a quiet 2-core machine, 10 on a
busy one), not the texts' embedding. Usage:
    python research/issue14-data/ship_exp.py [TRIAL ...]       # results_ship.txt
    python research/issue14-data/ship_exp.py --heads FILE.npz  # a built file, same scores
"""

import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from classifiers import training
from classifiers.evaluation.cache import EmbeddingCache
from classifiers.evaluation.metrics import expected_calibration_error
from classifiers.heads import HeadSet, train_heads
from classifiers.labels import KINDS, SENTIMENTS

ROOT = Path(__file__).resolve().parents[2]
DATASETS = Path("/work/datasets")
CACHE = EmbeddingCache()
# Hand-written probes of our own: plain money complaints must read negative.
PROBES = [
    "I was charged twice for my subscription and nobody answers, I want a refund!",
    "Ich habe zweimal bezahlt und niemand antwortet, ich will mein Geld zurück!",
]


def embed(texts):
    return np.asarray(CACHE.embed("use-multilingual", list(texts)), dtype=np.float32)


def rows(path):
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


DEV = {
    "reviews": rows(ROOT / "research/issue3-default/dev_reviews.jsonl")
    + rows(ROOT / "research/issue3-default/dev_reviews_2.jsonl"),
    "forum": rows(ROOT / "research/issue14-data/dev_forum.jsonl"),
    "feedback_de": rows(ROOT / "research/issue14-data/dev_feedback_de.jsonl"),
}


def f1(gold, predicted, label):
    tp = np.sum((gold == label) & (predicted == label))
    denominator = np.sum(gold == label) + np.sum(predicted == label)
    return 2 * tp / denominator if denominator else 0.0


def score(heads, task, field, classes):
    out = {}
    for name, items in DEV.items():
        items = [r for r in items if r.get(field)]
        if not items:
            continue
        texts = [r["text"] for r in items]
        gold = np.asarray([r[field] for r in items])
        predictions = heads.predict(task, embed(texts), texts)
        predicted = np.asarray([p.label for p in predictions])
        present = [c for c in classes if c in set(gold)]
        result = {
            "macro": round(float(np.mean([f1(gold, predicted, c) for c in present])), 4),
            "acc": round(float(np.mean(gold == predicted)), 3),
            "ece": round(
                expected_calibration_error([p.confidence for p in predictions], list(gold == predicted)), 3
            ),
        }
        if task == "kind":
            result |= {
                c[:3]: round(f1(gold, predicted, c), 3)
                for c in ("bug_report", "feature_request", "question", "other")
            }
        out[name] = result
    return out


def trial(name, recipe=None, configs=None, extra=None, tasks=("kind", "sentiment"), seed_weight=None):
    started = time.perf_counter()
    saved = training.DATASET_RECIPE
    training.DATASET_RECIPE = recipe if recipe is not None else saved
    try:
        datasets = training.dataset_examples(DATASETS)
    finally:
        training.DATASET_RECIPE = saved
    seeds = training.merge(training.seed_examples(), extra or {})
    examples = training.merge(datasets, seeds)
    examples = {t: p for t, p in examples.items() if t in tasks}
    heads = train_heads(
        examples,
        embed,
        embedding_model="use-multilingual",
        configs=configs or training.SHIPPED_CONFIGS,
        weights={t: dict.fromkeys((x for x, _ in seeds[t]), w) for t, w in (seed_weight or {}).items()},
    )
    result = {"trial": name, "seconds": round(time.perf_counter() - started)}
    if "kind" in heads.heads:
        result["kind"] = score(heads, "kind", "kind", KINDS)
    if "sentiment" in heads.heads:
        result["sentiment"] = score(heads, "sentiment", "sentiment", SENTIMENTS)
        result["probes"] = [
            (p.label, p.confidence) for p in heads.predict("sentiment", embed(PROBES), PROBES)
        ]
    print(json.dumps(result), flush=True)
    return heads


TRIALS = {}


def register(function):
    TRIALS[function.__name__] = function
    return function


@register
def seeds_only():
    trial("seeds_only (plain HEAD_CONFIGS)", recipe={}, configs=training.HEAD_CONFIGS)


@register
def current():
    trial("current recipe")


KIND = dict(training.DATASET_RECIPE)


def kind_config(**changes):
    return {**training.SHIPPED_CONFIGS, "kind": replace(training.SHIPPED_CONFIGS["kind"], **changes)}


def scaled(task, factor):
    return {task: tuple((name, int(limit * factor) if limit else None) for name, limit in KIND[task])}


@register
def kind_no_priors():
    trial("kind: calibration without priors", configs=kind_config(priors=()), tasks=("kind",))


@register
def kind_half():
    trial("kind: talk sample halved", recipe=scaled("kind", 0.5), tasks=("kind",))


@register
def kind_no_banking():
    recipe = {"kind": tuple(s for s in KIND["kind"] if s[0] != "banking77_questions")}
    trial("kind: without banking77 questions", recipe=recipe, tasks=("kind",))


@register
def sent_ge4k():
    trial(
        "sentiment: goemotions 4000",
        recipe={"sentiment": (("goemotions_sentiment_en", 4000), ("potts_de", None))},
        tasks=("sentiment",),
    )


@register
def weight_seeds_3():
    trial("seeds count 3 times", seed_weight={"kind": 3.0, "sentiment": 3.0})


@register
def weight_seeds_10():
    trial("seeds count 10 times", seed_weight={"kind": 10.0, "sentiment": 10.0})


@register
def sentiment_money_3():
    trial("sentiment: money seeds, seeds count 3 times", seed_weight={"sentiment": 3.0}, tasks=("sentiment",))


@register
def kind_weight_5():
    trial("kind: seeds count 5 times", seed_weight={"kind": 5.0}, tasks=("kind",))


def score_file(path):
    heads = HeadSet.from_bytes(Path(path).read_bytes())
    result = {"heads": str(path), "version": heads.version}
    result["kind"] = score(heads, "kind", "kind", KINDS)
    result["sentiment"] = score(heads, "sentiment", "sentiment", SENTIMENTS)
    result["probes"] = [(p.label, p.confidence) for p in heads.predict("sentiment", embed(PROBES), PROBES)]
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--heads"]:
        score_file(sys.argv[2])
    else:
        for name in sys.argv[1:] or list(TRIALS):
            TRIALS[name]()
