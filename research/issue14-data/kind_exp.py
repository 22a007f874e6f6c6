"""Kind head: seeds only vs seeds + real datasets, scored on unseen sets."""
from common import *
from classifiers.training import seed_examples, HEAD_CONFIGS
from classifiers.heads import train_heads, HeadConfig
from classifiers.evaluation import metrics
import collections, sys

def f1s(gold, pred, classes=("bug_report","feature_request","question")):
    return {c: round(metrics.binary_f1([g==c for g in gold],[p==c for p in pred]),3) for c in classes}

seeds = seed_examples()["kind"]
EXTRA = {
  "maalej2016_app_reviews": None,
  "banking77_questions": 1500,
  "sgd_dialogue_acts": None,
  "xquad_de": None,
  "germeval2018_other_de": 1500,
}
def build(use):
    pairs = list(seeds)
    for name in use:
        rows = load(name, "train", limit=EXTRA[name])
        pairs += [(r["text"], r["label"]) for r in rows]
    return pairs

def run(pairs, cfg=HEAD_CONFIGS["kind"], tag=""):
    texts = [t for t,_ in pairs]
    hs = train_heads({"kind": pairs}, lambda t: embed(t, "train"), embedding_model="use", configs={"kind": cfg})
    out = {}
    for name, split in [("nlbse2024_issues","test"), ("maalej2016_app_reviews","test"), ("sgd_dialogue_acts","test")]:
        rows = load(name, split)
        X = embed([r["text"] for r in rows], name)
        preds = hs.predict("kind", X, [r["text"] for r in rows])
        gold = [r["label"] for r in rows]
        pl = [p.label for p in preds]
        out[name] = (f1s(gold, pl, sorted(set(gold))), dict(collections.Counter(pl)))
    print(tag, len(pairs), collections.Counter(l for _,l in pairs))
    for k,v in out.items(): print("  ", k, v[0], "pred:", v[1])
    sys.stdout.flush()
    return hs

run(seeds, tag="seeds only")
run(build(["maalej2016_app_reviews"]), tag="+maalej")
run(build(list(EXTRA)), tag="+all")
