"""Base features for TweetEval offensive: MiniLM / USE embeddings (raw and preprocessed) via the project's EmbeddingCache.
Saves to /tmp/issue3off/emb/<model>__<split>[__pp].npy"""
import os, sys, time
os.environ["HF_HUB_OFFLINE"] = "1"; os.environ["HAYSTACK_TELEMETRY_ENABLED"] = "False"
sys.path.insert(0, "/work/main/research/issue3-heads"); sys.path.insert(0, "/work/main")
import torch; torch.set_num_threads(2)
import numpy as np, data
from classifiers.evaluation.cache import EmbeddingCache
os.makedirs("/tmp/issue3off/emb", exist_ok=True)
c = EmbeddingCache()
for model, short in [("all-MiniLM-L6-v2", "minilm"), ("use-multilingual", "use")]:
    for pp in (False, True):
        for split in ("train", "val", "test"):
            f = f"/tmp/issue3off/emb/{short}__{split}{'__pp' if pp else ''}.npy"
            if os.path.exists(f): continue
            T, y = data.load(f"tweeteval/offensive/{split}")
            if pp: T = [data.preprocess_tweet(t) for t in T]
            t0 = time.time(); X = c.embed(model, T); np.save(f, X)
            print(short, split, pp, X.shape, f"{time.time()-t0:.1f}s", flush=True)
print(c.stats)
