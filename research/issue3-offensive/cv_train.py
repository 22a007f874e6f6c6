"""Cross-check without the validation split: 5-fold CV on TRAIN (out-of-fold probabilities, threshold per fold chosen on the
other folds) for non-fine-tuned bases with the C values chosen on val, TF-IDF vs NB-TF-IDF. (The fine-tuned MiniLM cannot be
CV'd on train honestly: it was fine-tuned on all of train.)"""
import os, sys, itertools
sys.argv = [sys.argv[0]]
exec(open("heads.py").read().split("GRID = ")[0])   # loaders, feature defs
sys.path.insert(0, "/work/main/research/issue3-heads")
from selection import fold_ids, oof, cv_rule_score
fid = fold_ids(ytr, 5)
Cs = {"minilm__pp": 3, "use__pp": 1, "minilm": 1, "use": 10, "tfidf_pp": 1, "tfidf": 1, "nbtfidf_pp": 3}
P = {}
for b, C in Cs.items():
    mk, Xtr = feats[b][0], feats[b][1]
    P[b] = oof(lambda: mk(C), Xtr, ytr, fid); print(b, C, f"cv(thr)={cv_rule_score(P[b], ytr, fid, 'thr', lambda y, p: mf1(y, p), None):.2f}", flush=True)
res = []
for k in (2, 3):
    for combo in itertools.combinations(Cs, k):
        if sum("tfidf" in c for c in combo) != 1: continue
        Pm = np.mean([P[c] for c in combo], 0)
        res.append((cv_rule_score(Pm, ytr, fid, "thr", lambda y, p: mf1(y, p), None), "+".join(combo)))
for s, c in sorted(res, reverse=True)[:15]: print(f"CV {c:40s} {s:.2f}")
