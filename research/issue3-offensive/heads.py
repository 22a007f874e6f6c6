"""Heads + late-fusion ensembles for TweetEval offensive. ALL choices (C, threshold, combination) on the VALIDATION split;
heads are trained on TRAIN only (and, for the '+val' rows, refit on train+val with the val-chosen C and threshold).
Test is scored once per candidate row only for the report table; selection never looks at it.
usage: python heads.py ft_tag [ft_tag ...]"""
import os, sys, json, time, itertools
sys.path.insert(0, "/work/main/research/issue3-heads")
import numpy as np, warnings; warnings.filterwarnings("ignore")
import data
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.pipeline import make_pipeline, make_union
from sklearn.feature_extraction.text import TfidfVectorizer
E = "/tmp/issue3off/emb"
def mf1(y, p): return 100 * f1_score(y, p, average="macro")
TS = np.round(np.linspace(0.1, 0.9, 81), 2)
def best_thr(p, y):
    s = [mf1(y, (p >= t).astype(int)) for t in TS]; i = int(np.argmax(s)); return float(TS[i]), float(s[i])
splits = {}
for s in ("train", "val", "test"):
    T, y = data.load(f"tweeteval/offensive/{s}"); splits[s] = ([data.preprocess_tweet(t) for t in T], T, y)
ytr, yva, yte = splits["train"][2], splits["val"][2], splits["test"][2]
def tfidf(C):
    vec = make_union(TfidfVectorizer(analyzer="word", ngram_range=(1, 2), min_df=2, sublinear_tf=True),
                     TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True, max_features=200000))
    return make_pipeline(vec, LogisticRegression(C=C, max_iter=3000))
def lr(C): return LogisticRegression(C=C, max_iter=3000)
from sklearn.base import BaseEstimator, TransformerMixin
import scipy.sparse as sp
class NBWeight(BaseEstimator, TransformerMixin):
    """NB-SVM style: scale each feature by the log-count ratio r = log((p/|p|)/(q/|q|)), alpha=1 (Wang & Manning 2012)."""
    def fit(self, X, y):
        X = sp.csr_matrix(X); p = 1 + np.asarray(X[y == 1].sum(0)).ravel(); q = 1 + np.asarray(X[y == 0].sum(0)).ravel()
        self.r_ = np.log((p / p.sum()) / (q / q.sum())); return self
    def transform(self, X): return sp.csr_matrix(X).multiply(self.r_).tocsr()
def nbtfidf(C):
    vec = make_union(TfidfVectorizer(analyzer="word", ngram_range=(1, 2), min_df=2, sublinear_tf=True, binary=True),
                     TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True, max_features=200000))
    return make_pipeline(vec, NBWeight(), LogisticRegression(C=C, max_iter=3000))
feats = {}  # name -> (make, Xtr, Xva, Xte)
for b in ["minilm__pp", "use__pp", "minilm", "use"] + sys.argv[1:]:
    suf = "__pp" if b.endswith("__pp") else ""; base = b.replace("__pp", "")
    try: X = [np.load(f"{E}/{base}__{s}{suf}.npy") for s in ("train", "val", "test")]
    except FileNotFoundError: print("missing", b); continue
    feats[b] = (lr, *X)
arr = lambda L: np.array(L, dtype=object)
feats["tfidf_pp"] = (tfidf, arr(splits["train"][0]), arr(splits["val"][0]), arr(splits["test"][0]))
feats["tfidf"] = (tfidf, arr(splits["train"][1]), arr(splits["val"][1]), arr(splits["test"][1]))
feats["nbtfidf_pp"] = (nbtfidf, arr(splits["train"][0]), arr(splits["val"][0]), arr(splits["test"][0]))
GRID = [0.3, 1, 3, 10, 30]
base = {}
import pickle
HC = "/tmp/issue3off/heads_cache"; os.makedirs(HC, exist_ok=True)
for b, (mk, Xtr, Xva, Xte) in feats.items():
    if os.path.exists(f"{HC}/{b}.pkl"):
        base[b] = pickle.load(open(f"{HC}/{b}.pkl", "rb")); base[b].update(mk=mk, X=(Xtr, Xva, Xte))
        print(f"{b}: C={base[b]['C']} (cached) grid {base[b]['grid']}", flush=True); continue
    res = []
    for C in GRID:
        t0 = time.time(); m = mk(C).fit(Xtr, ytr); p = m.predict_proba(Xva)[:, 1]; dt = time.time() - t0
        t, s = best_thr(p, yva); res.append((s, C, t, p, m, dt))
    s, C, t, pva, m, dt = max(res, key=lambda r: r[0])
    base[b] = dict(mk=mk, X=(Xtr, Xva, Xte), C=C, pva=pva, pte=m.predict_proba(Xte)[:, 1], fit_s=dt, grid={r[1]: round(r[0], 2) for r in res})
    pickle.dump({k: v for k, v in base[b].items() if k not in ("mk", "X")}, open(f"{HC}/{b}.pkl", "wb"))
    print(f"{b}: C={C} val(thr {t})={s:.2f}  grid {base[b]['grid']}  fit {dt:.1f}s", flush=True)
rows = []
names = list(base)
for k in (1, 2, 3, 4):
    for combo in itertools.combinations(names, k):
        if sum("tfidf" in c for c in combo) > 1: continue
        pva = np.mean([base[c]["pva"] for c in combo], 0); pte = np.mean([base[c]["pte"] for c in combo], 0)
        t, s = best_thr(pva, yva); s05 = mf1(yva, (pva >= 0.5).astype(int))
        rows.append(dict(combo="+".join(combo), C={c: base[c]["C"] for c in combo}, thr=t, val=s, val05=s05,
                         test=mf1(yte, (pte >= t).astype(int))))
rows.sort(key=lambda r: -r["val"])
for r in rows[:25]: print(f"{r['combo']:45s} thr={r['thr']:.2f} val={r['val']:.2f} val@.5={r['val05']:.2f} test={r['test']:.2f}")
# train+val refit of the top-5 val rows (C and threshold as chosen on val; no re-selection)
def cat(a, b): return np.concatenate([a, b]) if not isinstance(a, np.ndarray) or a.dtype != object else np.concatenate([a, b])
pte_tv = {}
for r in rows[:5]:
    ps = []
    for c in r["combo"].split("+"):
        if c not in pte_tv:
            mk, (Xtr, Xva, Xte) = base[c]["mk"], base[c]["X"]
            pte_tv[c] = mk(base[c]["C"]).fit(np.concatenate([Xtr, Xva]), np.concatenate([ytr, yva])).predict_proba(Xte)[:, 1]
        ps.append(pte_tv[c])
    r["test_trainval"] = mf1(yte, (np.mean(ps, 0) >= r["thr"]).astype(int))
    print(f"TRAIN+VAL refit {r['combo']:45s} thr={r['thr']:.2f} val={r['val']:.2f} test(train-only)={r['test']:.2f} test(train+val)={r['test_trainval']:.2f}", flush=True)
tag = "_".join(sys.argv[1:]) or "base"
json.dump(dict(base={b: {k: v for k, v in d.items() if k in ("C", "grid", "fit_s")} for b, d in base.items()}, rows=rows),
          open(f"/work/main/research/issue3-offensive/results_heads_{tag}.json", "w"), indent=1)
