"""Grid over threshold, margin and re-clustering interval on banking77 TRAIN samples."""

import itertools
import json
import sys

import numpy as np
from common import load, score, stream, train_samples

KM_TRAIN = {"minilm": (0.7865, 0.5014), "use": (0.6889, 0.3314)}  # k-means, k=77, same samples

d = load()
key = sys.argv[1]
thresholds = [float(t) for t in sys.argv[2].split(",")]
margins = [float(t) for t in sys.argv[3].split(",")]
everies = [int(t) for t in sys.argv[4].split(",")]
seeds = tuple(range(int(sys.argv[5]) if len(sys.argv) > 5 else 2))
samples = list(train_samples(d, key, seeds))
rows = []
for threshold, margin, every in itertools.product(thresholds, margins, everies):
    res = []
    for x, y in samples:
        labels, first, passes, seconds = stream(x, threshold, margin, every)
        v, a, n = score(y, labels)
        res.append((v, a, n, passes[-1].stability, np.mean([p.stability for p in passes[1:]]), np.mean(labels == first), seconds))
    r = np.mean(res, axis=0)
    km = KM_TRAIN.get(key)
    ratio = min(r[0] / km[0] / 0.95, r[1] / km[1] / 0.9) if km else float("nan")
    row = dict(model=key, threshold=threshold, margin=margin, every=every, V=r[0], ARI=r[1], clusters=r[2],
               last_pass_stability=r[3], mean_later_pass_stability=r[4], kept_first=r[5], seconds=r[6], score=ratio)
    rows.append(row)
    print(" ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items()), flush=True)
with open(f"results_{key}_{sys.argv[2]}_{sys.argv[3]}_{sys.argv[4]}.json".replace(",", "-"), "w") as f:
    json.dump(rows, f, indent=1)
