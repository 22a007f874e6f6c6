"""Floors + CV-selected heads for banking77 (full), TweetEval sentiment/offensive, GermEval coarse.
usage: python run_tasks.py TASK [TASK...]   (b77 | sent | off | germ)"""
import sys, json, time, pickle
sys.path.insert(0, "/tmp/issue3")
import numpy as np, torch
torch.set_num_threads(2)
from common import *
from selection import run as select_run, tfidf_lr
import data

TASKS = {
  "b77":  dict(tr="banking77/train", te="banking77/test", metric=acc, binary=False, tweets=False, folds=3, grid=[1, 10, 100], tfidf=False, cws=[None]),
  "sent": dict(tr="tweeteval/sentiment/val", te="tweeteval/sentiment/test", metric=macro_recall, binary=False, tweets=True, folds=5, grid=[1, 3, 10, 30], tfidf=True),
  "off":  dict(tr="tweeteval/offensive/train", te="tweeteval/offensive/test", metric=macro_f1, binary=True, tweets=True, folds=3, grid=[1, 3, 10], tfidf=True),
  "germ": dict(tr="germeval/train", te="germeval/test", metric=average_f, binary=True, tweets=True, folds=3, grid=[1, 3, 10, 30], tfidf=True),
}

def main(task):
    T = TASKS[task]; metric = T["metric"]
    ttr, ytr_raw = data.load(T["tr"]); tte, yte_raw = data.load(T["te"])
    if task == "germ":
        ytr, yte = (ytr_raw == "OFFENSE").astype(int), (yte_raw == "OFFENSE").astype(int)
    else:
        le = LabelEncoder().fit(ytr_raw); ytr, yte = le.transform(ytr_raw), le.transform(yte_raw)
    out = dict(task=task, floor={}, rows=[])
    # ---- floors: plain LR (C=1, max_iter 2000) ----
    for m in ["minilm", "use"]:
        with Timer() as t:
            p = lr().fit(emb(m, T["tr"]), ytr).predict(emb(m, T["te"]))
        out["floor"][m] = metric(yte, p); print(f"[{task}] floor {m}: {out['floor'][m]:.2f} ({t.dt:.1f}s)", flush=True)
    # ---- bases ----
    bases = {}
    feats = ["minilm", "use", "cat"] + (["minilm_pp", "use_pp", "cat_pp"] if T["tweets"] else [])
    cws = T.get("cws", [None, "balanced"])
    for f in feats:
        m, pp = f.split("_")[0], f.endswith("_pp")
        for cw in cws:
            name = f + ("|bal" if cw else "")
            bases[name] = ((lambda cw: (lambda C: lr(C, cw)))(cw), emb(m, T["tr"], pp), emb(m, T["te"], pp))
    if T["tfidf"]:
        Xtr_t, Xte_t = np.array(ttr, dtype=object), np.array(tte, dtype=object)
        for cw in cws:
            bases["tfidf" + ("|bal" if cw else "")] = ((lambda cw: (lambda C: tfidf_lr(C, cw)))(cw), Xtr_t, Xte_t, [3, 10])
    ens = []
    for sfx in ["" if cw is None else "|bal" for cw in cws]:
        ens += [["minilm" + sfx, "use" + sfx]]
        if T["tweets"]:
            ens += [["minilm_pp" + sfx, "use_pp" + sfx], ["cat" + sfx, "tfidf" + sfx], ["cat_pp" + sfx, "tfidf" + sfx],
                    ["minilm" + sfx, "use" + sfx, "tfidf" + sfx], ["minilm_pp" + sfx, "use_pp" + sfx, "tfidf" + sfx],
                    ["use" + sfx, "tfidf" + sfx], ["use_pp" + sfx, "tfidf" + sfx]]
    rules = ["argmax", "thr"] if T["binary"] else (["argmax", "prior"] if task == "sent" else ["argmax"])
    t0 = time.time()
    rows, chosen, bb = select_run(bases, ytr, metric, T["binary"], T["grid"], folds=T["folds"], rules=rules,
                                  ensembles=ens, log=lambda s: print(f"[{task}]" + s, flush=True))
    sel_t = time.time() - t0
    for r in rows:   # test column filled only after selection, for reporting deltas
        r["test"] = metric(yte, r.pop("pred"))
    chosen = max(rows, key=lambda r: r["cv"])
    out.update(rows=rows, chosen=chosen, selection_time=sel_t, grids={b: v["grid"] for b, v in bb.items()})
    print(f"[{task}] CHOSEN {chosen['config']} rule={chosen['rule']} hp={chosen['hp']} thr={chosen['thr']} cv={chosen['cv']:.3f} TEST={chosen['test']:.2f} fit+score={chosen['fit_t']:.1f}s (selection {sel_t:.0f}s)", flush=True)
    for r in sorted(rows, key=lambda r: -r["cv"]):
        print(f"[{task}]   {r['config']:32s} {r['rule']:6s} cv={r['cv']:.3f} test={r['test']:.2f} hp={r['hp']} thr={r['thr']}", flush=True)
    json.dump(out, open(f"/tmp/issue3/results_{task}.json", "w"), indent=1, default=str)

if __name__ == "__main__":
    for t in sys.argv[1:]: main(t)
