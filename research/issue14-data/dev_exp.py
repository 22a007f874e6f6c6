"""Choose on our own dev sets: kind (forum sentences) and sentiment (DE customer feedback)."""
from common import *
from classifiers.training import seed_examples, HEAD_CONFIGS
from classifiers.heads import train_heads, HeadConfig
from classifiers.evaluation import metrics
import collections, sys
DEV = Path(__file__).resolve().parent  # our own dev sets, written blind to every dataset
def rows(name):
    return [json.loads(l) for l in (DEV/name).read_text(encoding="utf-8").split("\n") if l.strip()]
forum, fb = rows("dev_forum.jsonl"), rows("dev_feedback_de.jsonl")
seeds = seed_examples()
KINDS = ["bug_report","feature_request","question","other","praise","criticism"]

def kind_report(hs, data, tag):
    X = embed([r["text"] for r in data], "dev")
    preds = hs.predict("kind", X, [r["text"] for r in data])
    gold=[r["kind"] for r in data]; pl=[p.label for p in preds]; conf=[p.confidence for p in preds]
    f = {k: round(metrics.binary_f1([g==k for g in gold],[p==k for p in pl]),3) for k in KINDS}
    ece = metrics.expected_calibration_error(conf, [g==p for g,p in zip(gold,pl)])
    print(f"  {tag}: macroF1 {metrics.macro_f1(gold,pl):.3f} acc {metrics.accuracy(gold,pl):.3f} ECE {ece:.3f} F1 {f}")
    print(f"     predicted bug {pl.count('bug_report')} (gold {gold.count('bug_report')}), other {pl.count('other')} (gold {gold.count('other')})")

def sent_report(hs, data, tag):
    X = embed([r["text"] for r in data], "dev")
    preds = hs.predict("sentiment", X, [r["text"] for r in data])
    gold=[r["sentiment"] for r in data]; pl=[p.label for p in preds]; conf=[p.confidence for p in preds]
    maj = collections.Counter(gold).most_common(1)[0][1]/len(gold)
    ece = metrics.expected_calibration_error(conf, [g==p for g,p in zip(gold,pl)])
    print(f"  {tag}: acc {metrics.accuracy(gold,pl):.3f} (maj {maj:.3f}) macroF1 {metrics.macro_f1(gold,pl):.3f} ECE {ece:.3f} pred {dict(collections.Counter(pl))}")

def kind_heads(extra, cfg=HEAD_CONFIGS["kind"]):
    return train_heads({"kind": seeds["kind"] + extra}, lambda t: embed(t,"train"), embedding_model="use", configs={"kind": cfg})
def sent_heads(extra, cfg=HEAD_CONFIGS["sentiment"]):
    return train_heads({"sentiment": seeds["sentiment"] + extra}, lambda t: embed(t,"train"), embedding_model="use", configs={"sentiment": cfg})

which = sys.argv[1] if len(sys.argv) > 1 else "all"
if which in ("all", "sent"):
    ge = [(r["text"], r["label"]) for r in load("goemotions_sentiment_en","train", limit=12000)]
    po = [(r["text"], r["label"]) for r in load("potts_de","train")]
    for tag, extra, cfg in [("seeds", [], HEAD_CONFIGS["sentiment"]), ("+ge+potts balanced", ge+po, HEAD_CONFIGS["sentiment"]), ("+ge+potts natural C=1", ge+po, HeadConfig(C=1.0)), ("+potts only balanced", po, HEAD_CONFIGS["sentiment"])]:
        hs = sent_heads(extra, cfg); print("SENT", tag); sent_report(hs, fb, "dev_feedback_de"); sent_report(hs, forum, "dev_forum"); sys.stdout.flush()
if which in ("all", "kind"):
    def take(name, limit=None): return [(r["text"], r["label"]) for r in load(name, "train", limit=limit)]
    other_talk = take("sgd_dialogue_acts") + take("germeval2018_other_de", 1500) + take("xquad_de") + take("banking77_questions", 1500)
    small = take("sgd_dialogue_acts", 2000) + take("germeval2018_other_de", 600) + take("xquad_de", 600) + take("banking77_questions", 500)
    for tag, extra in [("seeds", []), ("+talk small (3.7k)", small), ("+talk all (12k)", other_talk)]:
        hs = kind_heads(extra); print("KIND", tag); kind_report(hs, forum, "dev_forum"); kind_report(hs, fb, "dev_feedback_de"); sys.stdout.flush()
