"""Dataset loaders for the issue-3 research (read-only access to /work/shared/datasets)."""
import csv, re, sys
sys.path.insert(0, "/tmp/issue3/venv-extra")
import numpy as np
D = "/work/shared/datasets"

def _lines(p):
    with open(p, encoding="utf-8") as f:
        return [l.rstrip("\n") for l in f]

def load(name):
    """Return (texts, labels) with labels as numpy array (str or int)."""
    if name.startswith("banking77/"):
        split = name.split("/")[1]
        with open(f"{D}/banking77/{split}.csv", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        return [r["text"] for r in rows], np.array([r["category"] for r in rows])
    if name == "clap/rq1":
        with open(f"{D}/clap_app_reviews/clap_rq1_3000_reviews.csv", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        return [r["review"] for r in rows], np.array([r["category"] for r in rows])
    if name.startswith("tweeteval/"):
        _, task, split = name.split("/")
        t = _lines(f"{D}/tweeteval/{task}/{split}_text.txt")
        y = np.array([int(x) for x in _lines(f"{D}/tweeteval/{task}/{split}_labels.txt") if x.strip() != ""])
        t = t[:len(y)]
        return [x.strip() for x in t], y
    if name.startswith("germeval/"):
        split = name.split("/")[1]
        fn = "training" if split == "train" else "test"
        t, y = [], []
        for l in _lines(f"{D}/germeval2018/germeval2018.{fn}.txt"):
            if not l.strip():
                continue
            parts = l.split("\t")
            t.append(parts[0].replace("|LBR|", "\n").strip()); y.append(parts[1])
        return t, np.array(y)
    raise KeyError(name)

ALL = ["banking77/train", "banking77/test", "clap/rq1",
       "tweeteval/sentiment/val", "tweeteval/sentiment/test",
       "tweeteval/offensive/train", "tweeteval/offensive/val", "tweeteval/offensive/test",
       "germeval/train", "germeval/test"]
TWEETS = ALL[3:]

_URL = re.compile(r"https?://\S+|www\.\S+")
_USER = re.compile(r"(@\w+)(\s+@\w+)+")
_HASH = re.compile(r"#(\w+)")

def _split_hashtag(m):
    w = m.group(1)
    w = re.sub(r"(?<=[a-zäöü])(?=[A-ZÄÖÜ])", " ", w)
    w = re.sub(r"(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])", " ", w)
    return w.replace("_", " ")

def preprocess_tweet(t, lang="en"):
    import emoji
    t = _URL.sub("http", t)
    t = re.sub(r"@\w+", "@user", t)
    t = _USER.sub(r"\1", t)               # collapse runs of mentions
    t = _HASH.sub(_split_hashtag, t)
    key = "de" if lang == "de" else "en"
    t = emoji.replace_emoji(t, replace=lambda ch, d: " " + d.get(key, d["en"]).strip(":").replace("_", " ") + " ")
    t = re.sub(r"\s+", " ", t).strip()
    return t
