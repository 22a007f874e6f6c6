"""CV-driven model selection over bases x (C, class_weight) x decision rule x late-fusion ensembles.
Everything is chosen on out-of-fold predictions of the TRAINING data only."""
import itertools, time
import numpy as np
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline, make_union
from sklearn.feature_extraction.text import TfidfVectorizer
from common import lr, best_threshold

def tfidf_lr(C=1.0, cw=None):
    vec = make_union(
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2), min_df=2, sublinear_tf=True, lowercase=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True, lowercase=True, max_features=200000))
    return make_pipeline(vec, lr(C, cw))

def fold_ids(y, folds, seed=0):
    f = np.zeros(len(y), int)
    for k, (_, va) in enumerate(StratifiedKFold(folds, shuffle=True, random_state=seed).split(np.zeros(len(y)), y)):
        f[va] = k
    return f

def oof(make, X, y, fid):
    K = len(np.unique(y)); P = np.zeros((len(y), K))
    for k in range(fid.max() + 1):
        tr, va = fid != k, fid == k
        m = make().fit(X[tr], y[tr]); P[va] = m.predict_proba(X[va])
    return P

def decide(P, rule, prior=None, thr=0.5):
    if rule == "argmax": return P.argmax(1)
    if rule == "prior": return (P / prior).argmax(1)
    if rule == "thr": return (P[:, 1] >= thr).astype(int)

def cv_rule_score(P, y, fid, rule, metric, prior):
    """Fold-averaged CV score; for 'thr' the threshold for fold k is chosen on the other folds (honest)."""
    sc, thrs = [], []
    for k in range(fid.max() + 1):
        va = fid == k
        if rule == "thr":
            t, _ = best_threshold(P[~va, 1], y[~va], metric); thrs.append(t)
            sc.append(metric(y[va], decide(P[va], "thr", thr=t)))
        else:
            sc.append(metric(y[va], decide(P[va], rule, prior)))
    return float(np.mean(sc))

def run(bases, y_tr, metric, binary, grid, folds=5, rules=None, ensembles=(), log=print, y_te=None, Xte=None):
    """bases: name -> (make(C,cw), X_train, X_test). Returns candidate rows and chosen row.
    y_te is used ONLY to fill the informational 'test' column after selection."""
    fid = fold_ids(y_tr, folds)
    prior = np.bincount(y_tr) / len(y_tr)
    rules = rules or (["argmax", "thr"] if binary else ["argmax"])
    rows, best_base = [], {}
    for b, spec in bases.items():
        make, Xtr, Xte_b = spec[:3]; g = spec[3] if len(spec) > 3 else grid
        scored = []
        for C in g:
            t0 = time.time(); P = oof(lambda: make(C), Xtr, y_tr, fid); dt = time.time() - t0
            s = cv_rule_score(P, y_tr, fid, "argmax", metric, prior)
            scored.append((s, C, P)); log(f"  cv {b} C={C} argmax={s:.3f} ({dt:.0f}s)")
        s, C, P = max(scored, key=lambda r: r[0])
        # final fit on all training data (timed: train + scoring of the test split)
        t0 = time.time(); m = make(C).fit(Xtr, y_tr); Pte = m.predict_proba(Xte_b); fit_t = time.time() - t0
        best_base[b] = dict(C=C, P=P, Pte=Pte, fit_t=fit_t, grid=[(C0, s0) for (s0, C0, _) in scored])
    cands = [((b,), ) for b in bases] + [(tuple(e),) for e in ensembles if all(x in bases for x in e)]
    for (combo,) in cands:
        P = np.mean([best_base[b]["P"] for b in combo], 0)
        Pte = np.mean([best_base[b]["Pte"] for b in combo], 0)
        for rule in rules:
            s = cv_rule_score(P, y_tr, fid, rule, metric, prior)
            thr = best_threshold(P[:, 1], y_tr, metric)[0] if rule == "thr" else 0.5
            pred = decide(Pte, rule, prior, thr)
            row = dict(config="+".join(combo), rule=rule, thr=thr if rule == "thr" else None,
                       hp={b: best_base[b]["C"] for b in combo},
                       cv=s, fit_t=sum(best_base[b]["fit_t"] for b in combo), pred=pred)
            rows.append(row)
    chosen = max(rows, key=lambda r: r["cv"])
    return rows, chosen, best_base
