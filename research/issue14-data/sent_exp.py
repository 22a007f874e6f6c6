"""Sentiment head: seeds only vs seeds + GoEmotions + PotTS; scored on unseen sets."""
from common import *
from classifiers.training import seed_examples, HEAD_CONFIGS
from classifiers.heads import train_heads, HeadConfig
from classifiers.evaluation import metrics
import collections, sys

seeds = seed_examples()["sentiment"]
EVAL = [("omp_sentiment_de","test"), ("sanders_twitter_en","test"), ("xlmt_sb10k_de","test"), ("goemotions_sentiment_en","test"), ("potts_de","test")]
def run(pairs, cfg, tag):
    hs = train_heads({"sentiment": pairs}, lambda t: embed(t, "train"), embedding_model="use", configs={"sentiment": cfg})
    print(tag, len(pairs), dict(collections.Counter(l for _,l in pairs)), cfg)
    for name, split in EVAL:
        rows = load(name, split)
        X = embed([r["text"] for r in rows], name)
        preds = hs.predict("sentiment", X, [r["text"] for r in rows])
        gold = [r["label"] for r in rows]; pl = [p.label for p in preds]
        conf = [p.confidence for p in preds]
        maj = collections.Counter(gold).most_common(1)[0][1]/len(gold)
        ece = metrics.expected_calibration_error(conf, [g==p for g,p in zip(gold,pl)])
        print(f"   {name:28s} acc {metrics.accuracy(gold,pl):.3f} (maj {maj:.3f}) macroF1 {metrics.macro_f1(gold,pl):.3f} ECE {ece:.3f} pred {dict(collections.Counter(pl))}")
    sys.stdout.flush()

run(seeds, HEAD_CONFIGS["sentiment"], "seeds only")
extra = [(r["text"], r["label"]) for r in load("goemotions_sentiment_en","train", limit=12000)] + [(r["text"], r["label"]) for r in load("potts_de","train")]
run(seeds + extra, HEAD_CONFIGS["sentiment"], "+goemotions+potts balanced")
run(seeds + extra, HeadConfig(C=1.0, balanced=False), "+goemotions+potts natural C=1")
