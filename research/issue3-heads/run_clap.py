"""CLAP rq1: BUG vs rest and FEATURE vs rest, 5-fold stratified outer CV (reporting);
every choice (features, C, class_weight, threshold, ensemble) is made by an inner 5-fold CV on the outer-train part.
usage: python run_clap.py BUG FEATURE"""
import sys, json, time
sys.path.insert(0, "/tmp/issue3")
import numpy as np, torch
torch.set_num_threads(2)
from common import *
from selection import run as select_run, tfidf_lr
import data
from collections import defaultdict, Counter

def main(lab):
    texts, cat = data.load("clap/rq1"); y = (cat == lab).astype(int)
    X = {m: emb(m, "clap/rq1") for m in ["minilm", "use", "cat"]}; Xt = np.array(texts, dtype=object)
    outer = StratifiedKFold(5, shuffle=True, random_state=0)
    floor = defaultdict(list); per_cand = defaultdict(list); chosen_scores, chosen_cfg, fit_ts = [], [], []
    for k, (tr, te) in enumerate(outer.split(Xt, y)):
        for m in ["minilm", "use"]:
            floor[m].append(f1_pos(y[te], lr().fit(X[m][tr], y[tr]).predict(X[m][te])))
        bases = {}
        for cw in [None, "balanced"]:
            sfx = "|bal" if cw else ""
            for m in ["minilm", "use", "cat"]:
                bases[m + sfx] = ((lambda cw: (lambda C: lr(C, cw)))(cw), X[m][tr], X[m][te])
            bases["tfidf" + sfx] = ((lambda cw: (lambda C: tfidf_lr(C, cw)))(cw), Xt[tr], Xt[te], [3, 10])
        ens = [[a + s for a in e] for s in ["", "|bal"] for e in
               [["minilm", "use"], ["cat", "tfidf"], ["use", "tfidf"], ["minilm", "use", "tfidf"]]]
        rows, _, _ = select_run(bases, y[tr], f1_pos, True, [1, 3, 10, 30], folds=3, rules=["argmax", "thr"],
                                ensembles=ens, log=lambda s: print(f'[{lab}] fold {k}' + s, flush=True) if 'tfidf' in s else None)
        for r in rows:
            r["test"] = f1_pos(y[te], r.pop("pred")); per_cand[(r["config"], r["rule"])].append((r["cv"], r["test"], r["hp"], r["thr"]))
        c = max(rows, key=lambda r: r["cv"])
        chosen_scores.append(c["test"]); chosen_cfg.append(f"{c['config']}/{c['rule']} hp={c['hp']} thr={c['thr']}"); fit_ts.append(c["fit_t"])
        print(f"[{lab}] fold {k}: chosen {chosen_cfg[-1]} innerCV={c['cv']:.4f} outer F1={c['test']:.4f} fit={c['fit_t']:.1f}s", flush=True)
    print(f"[{lab}] FLOOR minilm={np.mean(floor['minilm']):.4f} use={np.mean(floor['use']):.4f}")
    print(f"[{lab}] NESTED-CV SELECTED: F1={np.mean(chosen_scores):.4f} (+-{np.std(chosen_scores):.4f}); mean fit+score {np.mean(fit_ts):.1f}s")
    summ = []
    for key, v in per_cand.items():
        summ.append((key, np.mean([a for a, _, _, _ in v]), np.mean([b for _, b, _, _ in v]), [h for _, _, h, _ in v], [t for *_, t in v]))
    for key, cvm, tm, hps, thrs in sorted(summ, key=lambda s: -s[1]):
        print(f"[{lab}]   {key[0]:28s} {key[1]:6s} innerCV={cvm:.4f} outer={tm:.4f} C={Counter(str(h) for h in hps).most_common(1)[0][0]} thr={thrs}")
    json.dump(dict(label=lab, floor={m: float(np.mean(v)) for m, v in floor.items()}, selected=float(np.mean(chosen_scores)),
                   selected_folds=chosen_scores, chosen=chosen_cfg, fit_t=fit_ts,
                   cands=[dict(config=k[0], rule=k[1], inner=cvm, outer=tm) for k, cvm, tm, _, _ in summ]),
              open(f"/tmp/issue3/results_clap_{lab}.json", "w"), indent=1, default=str)

if __name__ == "__main__":
    for l in sys.argv[1:]: main(l)
