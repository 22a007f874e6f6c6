"""Shared helpers: cached features, metrics, CV with out-of-fold probabilities."""
import os, sys, time, warnings
sys.path.insert(0, "/tmp/issue3"); sys.path.insert(0, "/tmp/issue3/venv-extra")
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.metrics import f1_score, recall_score, precision_score, accuracy_score
from sklearn.preprocessing import LabelEncoder
warnings.filterwarnings("ignore")
EMB = "/tmp/issue3/emb"

def emb(model, name, pp=False):
    """model: minilm | use | cat (both, each L2-normalised, concatenated)."""
    if model == "cat":
        return np.hstack([emb("minilm", name, pp), emb("use", name, pp)])
    return np.load(f"{EMB}/{model}__{name.replace('/', '_')}{'__pp' if pp else ''}.npy")

# ---- metrics (y, pred are int arrays) ----
def acc(y, p): return 100 * accuracy_score(y, p)
def f1_pos(y, p): return f1_score(y, p, pos_label=1)
def macro_recall(y, p): return 100 * recall_score(y, p, average="macro")
def macro_f1(y, p): return 100 * f1_score(y, p, average="macro")
def average_f(y, p):
    """GermEval official: F1 of macro-averaged precision and macro-averaged recall."""
    P = precision_score(y, p, average="macro", zero_division=0); R = recall_score(y, p, average="macro")
    return 100 * (2 * P * R / (P + R) if P + R else 0.0)

def lr(C=1.0, cw=None):
    return LogisticRegression(C=C, class_weight=cw, max_iter=2000)

def oof_proba(make, X, y, folds=5, seed=0):
    """Out-of-fold class probabilities on the training data."""
    P = np.zeros((len(y), len(np.unique(y))))
    for tr, va in StratifiedKFold(folds, shuffle=True, random_state=seed).split(X, y):
        m = make().fit(X[tr], y[tr]); P[va] = m.predict_proba(X[va])
    return P

def best_threshold(P1, y, metric):
    """Binary: threshold on P(class 1) maximising metric on out-of-fold probabilities."""
    ts = np.linspace(0.05, 0.95, 91)
    sc = [metric(y, (P1 >= t).astype(int)) for t in ts]
    i = int(np.argmax(sc)); return float(ts[i]), float(sc[i])

class Timer:
    def __enter__(self): self.t = time.time(); return self
    def __exit__(self, *a): self.dt = time.time() - self.t
