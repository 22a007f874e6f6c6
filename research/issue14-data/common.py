import json, os, sys, random
from pathlib import Path
import numpy as np
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from classifiers.evaluation.cache import EmbeddingCache
DATA = Path(os.environ.get("ISSUE14_DATA", "data"))  # prepare.py --out
cache = EmbeddingCache()

def load(name, split, limit=None, seed=0):
    path = DATA / name / f"{split}.jsonl"
    rows = [json.loads(l) for l in path.read_text(encoding="utf-8").split("\n") if l.strip()]
    if limit and len(rows) > limit:
        rows = random.Random(seed).sample(rows, limit)
    return rows

def embed(texts, label=""):
    return np.asarray(cache.embed("use-multilingual", texts, label=label), dtype=np.float32)
