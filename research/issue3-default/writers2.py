"""Do a fourth and fifth writer's review seeds help? Scored on two dev sets of our own.

    python research/issue3-default/writers2.py [--cache-dir DIR]

Dev sets: dev_reviews.jsonl (writer A) and dev_reviews_2.jsonl (writer B), both written blind to
the seeds and to every dataset; never trained on. Prints, for each seed choice, bug / feature /
macro F1 on each dev set and on both together, bootstrap intervals of the change against the
seeds shipped before, and leave-one-writer-out scores on the review writers' own texts.
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from run import HERE, DATA, EmbeddingCache, bug_feature_macro, load, shipped_predict  # noqa: E402

MODEL = "use-multilingual"
parser = argparse.ArgumentParser()
parser.add_argument("--cache-dir", type=Path, default=None)
parser.add_argument("--new", type=Path, nargs="*", default=[DATA / "seed_kinds_reviews_4.jsonl", DATA / "seed_kinds_reviews_5.jsonl"])
args = parser.parse_args()
cache = EmbeddingCache(args.cache_dir) if args.cache_dir else EmbeddingCache()


def predict(seeds, texts):
    return shipped_predict(cache, MODEL, seeds, texts)


scores = bug_feature_macro


writers = {
    "forum": load([DATA / "seed_kinds.jsonl"]),
    "w1": load([DATA / "seed_kinds_reviews.jsonl"]),
    "w2": load([DATA / "seed_kinds_reviews_2.jsonl"]),
    "w3": load([DATA / "seed_kinds_reviews_3.jsonl"]),
}
for number, path in enumerate(args.new, start=4):
    writers[f"w{number}"] = load([path])
shipped = ["forum", "w1", "w2", "w3"]
new = [name for name in writers if name not in shipped]
choices = {"shipped (forum+w1..w3)": shipped}
for name in new:
    choices[f"shipped+{name}"] = shipped + [name]
if len(new) > 1:
    choices["shipped+" + "+".join(new)] = shipped + new

devs = {"devA": load([HERE / "dev_reviews.jsonl"]), "devB": load([HERE / "dev_reviews_2.jsonl"])}
devs["devA+B"] = devs["devA"] + devs["devB"]
results = {}
for dev_name, dev in devs.items():
    texts, gold = [t for t, _ in dev], np.asarray([k for _, k in dev])
    baseline = None
    for choice, names in choices.items():
        seeds = [pair for name in names for pair in writers[name]]
        predicted = predict(seeds, texts)
        bug, feature, macro = scores(gold, predicted)
        line = f"{dev_name} ({len(dev)}) {choice} [{len(seeds)} seeds]: bug {bug:.3f} feature {feature:.3f} macro {macro:.3f}"
        results[f"{dev_name} {choice}"] = [round(bug, 4), round(feature, 4), round(macro, 4)]
        if baseline is None:
            baseline = predicted
        else:
            rng = np.random.default_rng(0)
            deltas = []
            for _ in range(1000):
                i = rng.integers(0, len(gold), len(gold))
                deltas.append(np.subtract(scores(gold[i], predicted[i]), scores(gold[i], baseline[i])))
            low, high = np.percentile(np.array(deltas), [2.5, 97.5], axis=0)
            line += "  Δ95% " + " ".join(f"{n} {lo:+.3f}..{hi:+.3f}" for n, lo, hi in zip(("bug", "feat", "macro"), low, high))
        print(line, flush=True)

# Leave one writer out: each review writer's texts, from all the others vs from the shipped ones only.
for held in ["w2", "w3", *new]:
    texts, gold = [t for t, _ in writers[held]], np.asarray([k for _, k in writers[held]])
    for label, names in [
        ("shipped writers only", [n for n in shipped if n != held]),
        ("all other writers", [n for n in writers if n != held]),
    ]:
        seeds = [pair for name in names for pair in writers[name]]
        bug, feature, macro = scores(gold, predict(seeds, texts))
        results[f"held {held} {label}"] = [round(bug, 4), round(feature, 4), round(macro, 4)]
        print(f"{held}'s texts from {label} [{len(seeds)}]: bug {bug:.3f} feature {feature:.3f} macro {macro:.3f}", flush=True)
(HERE / "results_writers2.json").write_text(json.dumps(results, indent=1) + "\n")
