import sys
import numpy as np
from common import load, score, stream, train_samples, set_rules
d = load()
key = sys.argv[1]; thr = float(sys.argv[2]); margin = float(sys.argv[3])
samples = list(train_samples(d, key, (0, 1)))
for merge, split in [("ward", "none"), ("members", "none"), ("members", "members"), ("ward", "members")]:
    set_rules(merge, split)
    res = []
    for x, y in samples:
        labels, first, passes, sec = stream(x, thr, margin, 500)
        res.append((*score(y, labels), passes[-1].stability, np.mean(labels == first), sum(p.merges for p in passes), sum(p.splits for p in passes), sec))
    print(key, thr, margin, merge, split, np.round(np.mean(res, 0), 3), flush=True)
