"""Kind-head candidates for the shipped default, scored on our own dev set of app reviews.

Never reads CLAP: the dev set (dev_reviews.jsonl) was written for this by a separate writer,
blind to the seed sets and to every evaluation dataset. Usage:
    python research/issue3-default/run.py [--more] [--models use-multilingual all-MiniLM-L6-v2]
"""

import argparse
import itertools
import json
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.pipeline import make_pipeline, make_union

from classifiers.evaluation.cache import EmbeddingCache
from classifiers.labels import KINDS
from classifiers.training import DATA, load_jsonl

HERE = Path(__file__).parent
PRECEDENCE = ("abuse", "bug_report", "feature_request", "question")


def load(paths):
    return [pair for path in paths for pair in load_jsonl(path, "kind", KINDS)]


def ovr_scores(x_train, y_train, x_test, C, balanced=False, classes=KINDS):
    rows = []
    for label in classes:
        model = LogisticRegression(C=C, max_iter=3000, class_weight="balanced" if balanced else None)
        model.fit(x_train, y_train == label)
        rows.append(model.predict_proba(x_test)[:, 1])
    return np.stack(rows, axis=1)


def softmax_scores(x_train, y_train, x_test, C, classes=KINDS):
    model = LogisticRegression(C=C, max_iter=3000).fit(x_train, y_train)
    order = [list(model.classes_).index(c) for c in classes]
    return model.predict_proba(x_test)[:, order]


def tfidf(train_texts, test_texts):
    union = make_union(
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2), min_df=1, sublinear_tf=True, lowercase=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True, lowercase=True),
    )
    return union.fit_transform(train_texts), union.transform(test_texts)


def decide(scores, tau=None):
    best = scores.argmax(axis=1)
    if tau is None:
        return np.asarray(KINDS)[best]
    out = []
    for row, b in zip(scores, best):
        chosen = KINDS[b]
        for kind in PRECEDENCE:
            if row[KINDS.index(kind)] >= tau:
                chosen = kind
                break
        out.append(chosen)
    return np.asarray(out)


def shipped_predict(cache, model, seeds, texts):
    """The kind head exactly as ``classifiers.training`` ships it, trained on ``seeds``."""
    from classifiers.training import train

    heads = train({"kind": seeds}, lambda t: cache.embed(model, t), embedding_model=model)
    return np.asarray([p.label for p in heads.predict("kind", np.asarray(cache.embed(model, texts)), texts)])


def bug_feature_macro(gold, predicted):
    return (
        f1_score(gold == "bug_report", predicted == "bug_report"),
        f1_score(gold == "feature_request", predicted == "feature_request"),
        f1_score(gold, predicted, average="macro", labels=list(KINDS)),
    )


def report(name, gold, predicted):
    result = {
        "variant": name,
        "bug_f1": round(f1_score(gold == "bug_report", predicted == "bug_report"), 4),
        "feature_f1": round(f1_score(gold == "feature_request", predicted == "feature_request"), 4),
        "macro_f1": round(f1_score(gold, predicted, average="macro", labels=list(KINDS)), 4),
        "accuracy": round(float(np.mean(gold == predicted)), 4),
    }
    print(json.dumps(result))
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", nargs="+", default=["seed_kinds.jsonl", "seed_kinds_reviews.jsonl", "seed_kinds_reviews_2.jsonl"])
    parser.add_argument("--dev", default=str(HERE / "dev_reviews.jsonl"))
    parser.add_argument("--models", nargs="+", default=["use-multilingual", "all-MiniLM-L6-v2"])
    parser.add_argument("--out")
    args = parser.parse_args()
    seeds = load([DATA / name for name in args.seeds])
    dev = load([Path(args.dev)])
    train_texts, y = [t for t, _ in seeds], np.asarray([k for _, k in seeds])
    dev_texts, gold = [t for t, _ in dev], np.asarray([k for _, k in dev])
    print(f"seeds {len(seeds)} dev {len(dev)}")
    cache = EmbeddingCache()
    vec = {m: (cache.embed(m, train_texts), cache.embed(m, dev_texts)) for m in args.models}
    x_tfidf = tfidf(train_texts, dev_texts)
    results = []
    probs = {}
    for m in args.models:
        for C in (1, 3, 10, 30):
            probs[(m, "ovr", C)] = ovr_scores(*vec[m][:1], y, vec[m][1], C)
            results.append(report(f"{m} ovr C={C}", gold, decide(probs[(m, 'ovr', C)])))
        for C in (1, 10):
            probs[(m, "softmax", C)] = softmax_scores(vec[m][0], y, vec[m][1], C)
            results.append(report(f"{m} softmax C={C}", gold, decide(probs[(m, 'softmax', C)])))
        results.append(report(f"{m} ovr C=10 balanced", gold, decide(ovr_scores(vec[m][0], y, vec[m][1], 10, True))))
    if len(args.models) == 2:
        cat = tuple(np.hstack([vec[m][i] for m in args.models]) for i in (0, 1))
        for C in (3, 10):
            probs[("cat", "ovr", C)] = ovr_scores(cat[0], y, cat[1], C)
            results.append(report(f"cat ovr C={C}", gold, decide(probs[("cat", "ovr", C)])))
        mean = (probs[(args.models[0], "ovr", 10)] + probs[(args.models[1], "ovr", 10)]) / 2
        results.append(report("mean(use, minilm) ovr C=10", gold, decide(mean)))
    for C in (3, 10, 30):
        probs[("tfidf", "ovr", C)] = ovr_scores(x_tfidf[0], y, x_tfidf[1], C)
        results.append(report(f"tfidf ovr C={C}", gold, decide(probs[("tfidf", "ovr", C)])))
    base = probs[(args.models[0], "ovr", 10)]
    for C in (3, 10, 30):
        results.append(report(f"mean({args.models[0]} C=10, tfidf C={C})", gold, decide((base + probs[("tfidf", "ovr", C)]) / 2)))
    for tau in (0.3, 0.4, 0.5):
        results.append(report(f"{args.models[0]} ovr C=10 precedence {tau}", gold, decide(base, tau)))
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
