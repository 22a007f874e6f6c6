"""banking77 few-shot: 8 examples/intent drawn from train (seeds 0-4), scored on test.
Cheap heads; C and method chosen by 4-fold CV on the 616 labelled examples of each draw.
usage: python run_fewshot.py"""
import sys, json, time
sys.path.insert(0, "/tmp/issue3")
import numpy as np, torch
torch.set_num_threads(2)
from common import *
import data

def draw(y, k=8, seed=0):
    """Same draw as the project's suite: np.random.default_rng(seed), labels in sorted order."""
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.choice(np.flatnonzero(y == c), size=k, replace=False) for c in np.unique(y)])

class NCM:
    """Nearest class mean (cosine) with softmax-scaled scores for probability averaging."""
    def __init__(self, C=None, scale=20.0): self.scale = scale
    def fit(self, X, y):
        self.classes_ = np.unique(y); M = np.vstack([X[y == c].mean(0) for c in self.classes_])
        self.M = M / np.linalg.norm(M, axis=1, keepdims=True); return self
    def decision_function(self, X): return X @ self.M.T
    def predict_proba(self, X):
        s = self.scale * self.decision_function(X); s -= s.max(1, keepdims=True); e = np.exp(s); return e / e.sum(1, keepdims=True)
    def predict(self, X): return self.classes_[self.decision_function(X).argmax(1)]

def cv_score(make, X, y, folds=4):
    sc = []
    for tr, va in StratifiedKFold(folds, shuffle=True, random_state=0).split(X, y):
        sc.append(acc(y[va], make().fit(X[tr], y[tr]).predict(X[va])))
    return float(np.mean(sc))

def cv_proba(make, X, y, folds=4):
    P = np.zeros((len(y), len(np.unique(y))))
    for tr, va in StratifiedKFold(folds, shuffle=True, random_state=0).split(X, y):
        P[va] = make().fit(X[tr], y[tr]).predict_proba(X[va])
    return P

def main():
    ttr, ytr_raw = data.load("banking77/train"); tte, yte_raw = data.load("banking77/test")
    le = LabelEncoder().fit(ytr_raw); ytr, yte = le.transform(ytr_raw), le.transform(yte_raw)
    F = {m: (emb(m, "banking77/train"), emb(m, "banking77/test")) for m in ["minilm", "use", "cat"]}
    grid = [1, 3, 10, 30, 100]
    res = {}
    for seed in range(5):
        idx = draw(ytr, 8, seed); y = ytr[idx]
        R = {}
        for m in ["minilm", "use", "cat"]:
            Xa, Xt = F[m][0][idx], F[m][1]
            if m != "cat":
                with Timer() as t: p = lr().fit(Xa, y).predict(Xt)
                R[f"floor_lr_{m}"] = dict(cv=cv_score(lambda: lr(), Xa, y), test=acc(yte, p), t=t.dt)
            cvs = {C: cv_score(lambda: lr(C), Xa, y) for C in grid}; C = max(cvs, key=cvs.get)
            with Timer() as t: p = lr(C).fit(Xa, y).predict(Xt)
            R[f"lrC_{m}"] = dict(cv=cvs[C], C=C, test=acc(yte, p), t=t.dt, grid=cvs)
            with Timer() as t: p = NCM().fit(Xa, y).predict(Xt)
            R[f"ncm_{m}"] = dict(cv=cv_score(lambda: NCM(), Xa, y), test=acc(yte, p), t=t.dt)
        # late fusion of per-model LR heads (each with its CV-chosen C)
        Cm, Cu = R["lrC_minilm"]["C"], R["lrC_use"]["C"]
        Pcv = (cv_proba(lambda: lr(Cm), F["minilm"][0][idx], y) + cv_proba(lambda: lr(Cu), F["use"][0][idx], y)) / 2
        with Timer() as t:
            P = (lr(Cm).fit(F["minilm"][0][idx], y).predict_proba(F["minilm"][1]) + lr(Cu).fit(F["use"][0][idx], y).predict_proba(F["use"][1])) / 2
        R["avg_lrC_minilm+use"] = dict(cv=acc(y, Pcv.argmax(1)), test=acc(yte, P.argmax(1)), t=t.dt, C=(Cm, Cu))
        res[seed] = R
        print(f"seed {seed}: " + ", ".join(f"{k}={v['test']:.2f}(cv {v['cv']:.1f})" for k, v in R.items()), flush=True)
    keys = res[0].keys()
    print("\nmethod                     meanCV   meanTEST   Cs")
    for k in keys:
        print(f"{k:26s} {np.mean([res[s][k]['cv'] for s in res]):6.2f}   {np.mean([res[s][k]['test'] for s in res]):6.2f}   {[res[s][k].get('C') for s in res]}  t={np.mean([res[s][k]['t'] for s in res]):.2f}s")
    json.dump(res, open("/tmp/issue3/results_fewshot_cheap.json", "w"), indent=1, default=str)

if __name__ == "__main__":
    main()
