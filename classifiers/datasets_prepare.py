"""Build the datasets folder that ``feedback-router train --datasets`` and ``eval`` read.

Public labelled sets, normalised to one JSONL format, from repository snapshots at pinned commits.

Inputs (read only):
  - bare git snapshots of the public repositories in REPOS, one folder each named <owner>+<name>
    under --mirror (read with `git show <commit>:<path>`)
  - the project's shared datasets folder (--shared) for BANKING77 and GermEval 2018 (CC BY 4.0)

Output: OUT/<dataset>/<split>.jsonl, one object per line:
  {"text", "label", "orig_label", "lang", "split", "source"}
plus OUT/STATS.json (counts per dataset/split/label) and a README per dataset.

Each dataset is read at a pinned commit; if the snapshot lacks that commit the
script stops with a clear message. Nothing here downloads anything.
Reserved datasets (../shared/datasets/RESERVED.md) are never touched.

Usage: python -m classifiers.datasets_prepare --mirror DIR --shared DIR --out DIR [--only name,name]
Needs: git, pyarrow (only for omp_sentiment_de). The shipped heads need only the sets named in
``classifiers.training.DATASET_RECIPE``; ``--only`` builds those alone.
Snapshots needed (fetch github:<owner>/<name> first): every key of REPOS below.
Deterministic: two runs give byte-identical files.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import random
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

MIRROR = Path("/work/.mirror")
SHARED = Path("/work/shared/datasets")

# repo -> (git dir relative to MIRROR, pinned commit)
REPOS = {
    "adailtonaraujo/app_review_analysis": (
        "adailtonaraujo+app_review_analysis/repo",
        "b0d8d32273d5d4edc70184a3d36d3fc5420938cc",
    ),
    "nlbse2024/issue-report-classification": (
        "nlbse2024+issue-report-classification/repo",
        "2927bc67eb42db8affd16eaf3e5a6d74f3063961",
    ),
    "google-research-datasets/dstc8-schema-guided-dialogue": (
        "google-research-datasets+dstc8-schema-guided-dialogue/repo",
        "e852981ae34990f4358979625854259302feaa78",
    ),
    "cardiffnlp/xlm-t": ("cardiffnlp+xlm-t/repo", "874214d64d96599eb869a033c22ec2cc57d19256"),
    "compcommlab/oembeddings": ("compcommlab+oembeddings/repo", "5074f559314272b6b44530c13831dbf6c89c0b89"),
    "zfz/twitter_corpus": ("zfz+twitter_corpus/repo/.git", "09afbfb5b580c848062aadbc4491fecc96b0a85a"),
    "WladimirSidorenko/PotTS": (
        "WladimirSidorenko+PotTS/repo/.git",
        "b34e1d5238269cb25384687e038ab2aeffd190b2",
    ),
    "monologg/GoEmotions-pytorch": (
        "monologg+GoEmotions-pytorch/repo",
        "b75f9d3a8b76bc1060687925b04ca98a1b8ea66b",
    ),
    "ankekat1000/IWG_hatespeech_public": (
        "ankekat1000+IWG_hatespeech_public/repo/.git",
        "72ca475983b6cac3e6f4c1a2dba1ad7b3e1158ea",
    ),
    "NilsHellwig/absa-toolkit": ("NilsHellwig+absa-toolkit/repo", "03d12be20cae09bbb8c39c7921658e879c6eb854"),
    "google-deepmind/xquad": ("google-deepmind+xquad/repo", "7d30520c717524000f0d9d2f9c10a069acd9d285"),
}

csv.field_size_limit(10**9)


# ---------------------------------------------------------------- helpers
def git_dir(repo: str) -> Path:
    """The snapshot's git directory; fetch lays it out as <owner>+<name>/repo or .../repo/.git."""
    folder = MIRROR / repo.replace("/", "+")
    for gd in (MIRROR / REPOS[repo][0], folder / "repo" / ".git", folder / "repo"):
        if (gd / "HEAD").exists():
            return gd
    sys.exit(f"missing snapshot for {repo} under {folder} (fetch github:{repo} first)")


def git_show(repo: str, path: str) -> bytes:
    commit = REPOS[repo][1]
    gd = git_dir(repo)
    r = subprocess.run(["git", "--git-dir", str(gd), "show", f"{commit}:{path}"], capture_output=True)
    if r.returncode != 0:
        sys.exit(f"cannot read {repo}@{commit[:10]}:{path}: {r.stderr.decode().strip()}")
    return r.stdout


def git_ls(repo: str, prefix: str) -> list[str]:
    """Paths under prefix whose content is present in the snapshot (snapshots omit files >= 4 MiB)."""
    commit = REPOS[repo][1]
    gd = str(git_dir(repo))
    r = subprocess.run(
        ["git", "--git-dir", gd, "ls-tree", "-r", commit, prefix], capture_output=True, text=True, check=True
    )
    paths = []
    for line in r.stdout.splitlines():
        meta, path = line.split("\t", 1)
        sha = meta.split()[2]
        if subprocess.run(["git", "--git-dir", gd, "cat-file", "-e", sha]).returncode == 0:
            paths.append(path)
    return paths


def clean(text: str | None) -> str:
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "\n")
    text = re.sub(r"[ \u00a0]+", " ", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def stable_split(text: str, test_share: int = 5) -> str:
    """Deterministic 80/20 split by text hash (for sets without an official split)."""
    h = int(hashlib.sha1(text.encode("utf-8")).hexdigest(), 16)
    return "test" if h % test_share == 0 else "train"


class Writer:
    def __init__(self, out: Path, name: str, lang: str):
        self.out, self.name, self.lang = out / name, name, lang
        self.rows: dict[str, list[dict]] = defaultdict(list)
        self.seen: set[str] = set()
        self.dropped: Counter[str] = Counter()

    def add(self, text: str, label: str | None, orig_label: str, split: str, lang: str | None = None):
        text = clean(text)
        if not text:
            self.dropped["empty"] += 1
            return
        if label is None:
            self.dropped[f"unmapped:{orig_label.split('|')[0]}"] += 1
            return
        key = re.sub(r"\s+", " ", text.lower())
        if key in self.seen:
            self.dropped["duplicate"] += 1
            return
        self.seen.add(key)
        self.rows[split].append(
            {
                "text": text,
                "label": label,
                "orig_label": orig_label,
                "lang": lang or self.lang,
                "split": split,
                "source": self.name,
            }
        )

    def write(self) -> dict:
        self.out.mkdir(parents=True, exist_ok=True)
        for old in self.out.glob("*.jsonl"):
            old.unlink()
        stats = {}
        for split, rows in sorted(self.rows.items()):
            with open(self.out / f"{split}.jsonl", "w", encoding="utf-8") as f:
                for r in rows:
                    f.write(json.dumps(r, ensure_ascii=False) + "\n")
            stats[split] = dict(sorted(Counter(r["label"] for r in rows).items()))
        stats["_dropped"] = dict(self.dropped)
        print(
            f"{self.name}: "
            + ", ".join(f"{s}={sum(c.values())}" for s, c in stats.items() if not s.startswith("_"))
            + f"  dropped={dict(self.dropped)}"
        )
        return stats


# ---------------------------------------------------------------- kind datasets
def maalej2016_app_reviews(out: Path) -> dict:
    """Maalej et al. (2016) app reviews, as redistributed (CC0) by adailtonaraujo/app_review_analysis.

    The upstream files are per-class (one review can sit in several): a review in more than one
    class gets the first of Bug > Feature > Rating > UserExperience; orig_label lists all of them."""
    w = Writer(out, "maalej2016_app_reviews", "en")
    repo = "adailtonaraujo/app_review_analysis"
    merged: dict[str, dict] = {}
    for cls in ["Bug", "Feature", "Rating", "UserExperience"]:
        raw = git_show(repo, f"Classification/Dataset/{cls}.json").decode("utf-8")
        raw = re.sub(r",\s*\]\s*$", "]", raw)  # the files end with a trailing comma
        for rec in json.loads(raw):
            title, body = clean(rec.get("title")), clean(rec.get("comment"))
            text = body if not title or body.startswith(title) else f"{title}\n{body}"
            key = re.sub(r"\s+", " ", body.lower())
            m = merged.setdefault(key, {"text": text, "classes": [], "rating": rec.get("rating")})
            if cls not in m["classes"]:
                m["classes"].append(cls)
    for m in merged.values():
        cls, rating = m["classes"][0], m["rating"]
        if cls == "Bug":
            label = "bug_report"
        elif cls == "Feature":
            label = "feature_request"
        elif cls == "Rating":
            label = "praise" if rating and rating >= 4 else "criticism" if rating and rating <= 2 else "other"
        else:  # UserExperience
            label = "other"
        w.add(m["text"], label, f"{'+'.join(m['classes'])}|stars={rating}", stable_split(clean(m["text"])))
    return w.write()


QUESTION_START = re.compile(
    r"^(what|whats|what's|how|why|when|where|who|whom|whose|which|can|could|do|does|did|is|are|was|"
    r"were|will|would|should|shall|may|might|am|have|has|had|isn't|aren't|don't|doesn't|didn't|"
    r"won't|wouldn't|can't|couldn't|any|anyone|is there|are there)\b",
    re.I,
)


def banking77_questions(out: Path) -> dict:
    """BANKING77 (CC BY 4.0), interrogative items only -> question."""
    w = Writer(out, "banking77_questions", "en")
    for split in ["train", "test"]:
        with open(SHARED / "banking77" / f"{split}.csv", newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                t = row["text"].strip()
                is_q = t.endswith("?") or bool(QUESTION_START.match(t))
                w.add(
                    t, "question" if is_q else None, row["category"] if is_q else "not_interrogative", split
                )
    return w.write()


def sgd_dialogue_acts(out: Path, max_files=(40, 8, 8), cap=(2500, 400, 400), seed=14) -> dict:
    """Schema-Guided Dialogue (CC BY-SA 4.0): user turns by dialogue act.
    thanks/goodbye-only and inform/affirm/negate/select-only turns -> other; REQUEST turns -> question."""
    w = Writer(out, "sgd_dialogue_acts", "en")
    repo = "google-research-datasets/dstc8-schema-guided-dialogue"
    rng = random.Random(seed)
    for split, nfiles, capn in zip(["train", "dev", "test"], max_files, cap, strict=True):
        files = sorted(p for p in git_ls(repo, f"{split}/") if "/dialogues_" in p)[:nfiles]
        buckets: dict[str, list[str]] = defaultdict(list)
        for p in files:
            for dlg in json.loads(git_show(repo, p)):
                for turn in dlg["turns"]:
                    if turn["speaker"] != "USER":
                        continue
                    acts = {a["act"] for fr in turn["frames"] for a in fr["actions"]}
                    if not acts:
                        continue
                    if acts <= {"THANK_YOU", "GOODBYE"}:
                        group = "THANK_YOU/GOODBYE"
                    elif acts & {"REQUEST", "REQUEST_ALTS"} and "INFORM_INTENT" not in acts:
                        group = "REQUEST"
                    elif acts <= {"INFORM", "AFFIRM", "NEGATE", "SELECT"}:
                        group = "INFORM/AFFIRM/NEGATE/SELECT"
                    else:
                        continue
                    buckets[group].append(turn["utterance"])
        for group, texts in sorted(buckets.items()):
            texts = sorted(set(texts))
            rng.shuffle(texts)
            for t in texts[:capn]:
                w.add(
                    t,
                    "question" if group == "REQUEST" else "other",
                    group,
                    "validation" if split == "dev" else split,
                )
    return w.write()


def nlbse2024_issues(out: Path, max_chars=4000) -> dict:
    """NLBSE'24 issue report classification (GitHub issues; no licence stated -> evaluation only)."""
    w = Writer(out, "nlbse2024_issues", "en")
    repo = "nlbse2024/issue-report-classification"
    lab = {"bug": "bug_report", "feature": "feature_request", "question": "question"}
    for split in ["train", "test"]:
        rdr = csv.DictReader(io.StringIO(git_show(repo, f"data/issues_{split}.csv").decode("utf-8")))
        for row in rdr:
            title, body = clean(row["title"]), clean(row["body"])
            text = f"{title}\n\n{body}" if body else title
            w.add(text[:max_chars], lab.get(row["label"]), f"{row['label']}|{row['repo']}", split)
    return w.write()


# ---------------------------------------------------------------- sentiment datasets
SENT3 = {"0": "negative", "1": "neutral", "2": "positive"}


def xlmt_sb10k_de(out: Path) -> dict:
    """XLM-T / UMSAB German = balanced subset of SB-10k tweets."""
    w = Writer(out, "xlmt_sb10k_de", "de")
    repo = "cardiffnlp/xlm-t"
    for split in ["train", "val", "test"]:
        texts = git_show(repo, f"data/sentiment/german/{split}_text.txt").decode("utf-8").split("\n")
        labels = git_show(repo, f"data/sentiment/german/{split}_labels.txt").decode("utf-8").split()
        texts = texts[: len(labels)]
        assert len(texts) == len(labels), (split, len(texts), len(labels))
        for t, label in zip(texts, labels, strict=True):
            w.add(t, SENT3.get(label.strip()), label.strip(), "validation" if split == "val" else split)
    return w.write()


def omp_sentiment_de(out: Path) -> dict:
    """One Million Posts Corpus, sentiment-annotated posts (CC BY-NC-SA 4.0 -> evaluation only)."""
    import pyarrow.feather as feather

    w = Writer(out, "omp_sentiment_de", "de")
    raw = git_show(
        "compcommlab/oembeddings", "evaluation_data/classification/million_posts_sentiment.feather"
    )
    table = feather.read_table(io.BytesIO(raw))
    m = {"Negative": "negative", "Neutral": "neutral", "Positive": "positive"}
    for rec in table.to_pylist():
        head, body = clean(rec.get("Headline")), clean(rec.get("Body"))
        text = f"{head}\n{body}" if head and body else head or body
        w.add(text, m.get(rec["label"]), f"{rec['label']}|post={rec['ID_Post']}", "test")
    return w.write()


def sanders_twitter_en(out: Path) -> dict:
    """Sanders Twitter sentiment corpus (tweets about Apple/Google/Microsoft/Twitter); no licence -> evaluation only."""
    w = Writer(out, "sanders_twitter_en", "en")
    rdr = csv.DictReader(
        io.StringIO(git_show("zfz/twitter_corpus", "full-corpus.csv").decode("utf-8", "replace"))
    )
    m = {"negative": "negative", "neutral": "neutral", "positive": "positive"}  # 'irrelevant' dropped
    for row in rdr:
        w.add(row["TweetText"], m.get(row["Sentiment"]), f"{row['Sentiment']}|{row['Topic']}", "test")
    return w.write()


def potts_de(out: Path) -> dict:
    """PotTS (MIT): German tweets with span-level sentiment (annotator-2, default branch).
    Tweet label derived here from the sentiment spans, or, where a tweet has none, from its
    emo-expression spans (emoticons, polar words): none -> neutral; only positive -> positive;
    only negative -> negative; both polarities, 'comparison' or a sarcastic span -> dropped.
    Split by file number as in the author's CGSA experiments: 7 = validation, 8-9 = test, others train."""
    import xml.etree.ElementTree as ET

    w = Writer(out, "potts_de", "de")
    repo = "WladimirSidorenko/PotTS"
    for base in sorted(git_ls(repo, "corpus/basedata/")):
        stem = base.rsplit("/", 1)[1].replace(".words.xml", "")
        sent_path = f"corpus/annotator-2/markables/{stem}_sentiment_level.xml"
        if sent_path not in git_ls(repo, sent_path):
            continue
        words = ET.fromstring(git_show(repo, base))
        tweets: list[list[str]] = [[]]
        where: dict[str, int] = {}
        for wd in words:
            if wd.text == "EOL":
                tweets.append([])
                continue
            where[wd.get("id") or ""] = len(tweets) - 1
            tweets[-1].append(wd.text or "")
        pols: dict[int, set] = defaultdict(set)
        emos: dict[int, set] = defaultdict(set)
        emo_path = f"corpus/annotator-2/markables/{stem}_emo-expression_level.xml"
        levels = [(sent_path, pols)] + ([(emo_path, emos)] if git_ls(repo, emo_path) else [])
        for path, target in levels:
            for mk in ET.fromstring(git_show(repo, path)):
                first = mk.get("span", "").split(",")[0].split("..")[0]
                if first in where:
                    target[where[first]].add("sarcasm" if mk.get("sarcasm") == "true" else mk.get("polarity"))
        num = int(stem.split(".")[0])
        split = "validation" if num == 7 else "test" if num in (8, 9) else "train"
        for i, toks in enumerate(tweets):
            if not toks:
                continue
            text = " ".join(toks)
            text = re.sub(r" ([,.!?;:%)\]'’])(?=\s|$)", r"\1", text)
            p, src = pols.get(i, set()), "sentiment"
            if not p:
                p, src = emos.get(i, set()), "emo-expression"
            if not p:
                label, orig = "neutral", "no_sentiment_or_emo_span"
            elif "sarcasm" in p or len(p) > 1:
                label, orig = None, "+".join(sorted(x or "?" for x in p))
            else:
                orig = next(iter(p))
                label = orig if orig in ("positive", "negative") else None
                orig = f"{src}:{orig}"
            w.add(text, label, f"{orig}|{stem}", split)
    return w.write()


def xquad_de_questions(out: Path) -> dict:
    """XQuAD German (CC BY-SA 4.0): the 1,190 questions -> question; context sentences -> other.
    Professional translations of SQuAD (Wikipedia), not community text: a language/form aid only."""
    w = Writer(out, "xquad_de", "de")
    data = json.loads(git_show("google-deepmind/xquad", "xquad.de.json"))
    for art in data["data"]:
        for par in art["paragraphs"]:
            for q in par["qas"]:
                w.add(q["question"], "question", "xquad_question", "train")
            for sent in re.split(r"(?<=[.!])\s+(?=[A-ZÄÖÜ])", par["context"]):
                if 25 <= len(sent) <= 300:
                    w.add(sent, "other", "xquad_context_sentence", "train")
    return w.write()


def germeval2018_other_de(out: Path) -> dict:
    """GermEval 2018 (CC BY 4.0, training file only): OTHER (non-offensive) tweets that are not
    questions -> kind 'other'. The test file stays the abuse benchmark and is not read."""
    w = Writer(out, "germeval2018_other_de", "de")
    with open(SHARED / "germeval2018" / "germeval2018.training.txt", encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3:
                continue
            text = parts[0].replace("|LBR|", "\n")
            text = re.sub(r"@\w+", "@user", text)
            is_q = "?" in text
            w.add(
                text,
                "other" if parts[1] == "OTHER" and not is_q else None,
                f"{parts[1]}/{parts[2]}" + ("|question_mark" if is_q else ""),
                "train",
            )
    return w.write()


def goemotions_sentiment_en(out: Path) -> dict:
    """GoEmotions (Reddit comments; Apache-2.0), 'group' taxonomy files of monologg/GoEmotions-pytorch
    (emotions grouped into positive / negative / ambiguous + neutral, as in the GoEmotions paper).
    Single-label negative/neutral/positive kept; ambiguous and multi-group items dropped."""
    w = Writer(out, "goemotions_sentiment_en", "en")
    repo = "monologg/GoEmotions-pytorch"
    names = git_show(repo, "data/group/labels.txt").decode().split()
    for split in ["train", "dev", "test"]:
        for line in git_show(repo, f"data/group/{split}.tsv").decode("utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) < 2:
                continue
            groups = sorted({names[int(i)] for i in parts[1].split(",")})
            lab = groups[0] if len(groups) == 1 and groups[0] in ("negative", "neutral", "positive") else None
            w.add(parts[0], lab, "+".join(groups), "validation" if split == "dev" else split)
    return w.write()


def iwg_hatespeech_de(out: Path) -> dict:
    """Ross et al. (2016) German refugee-crisis tweets with a hate-speech yes/no rating (CC BY-SA 3.0)."""
    w = Writer(out, "iwg_hatespeech_de", "de")
    raw = git_show("ankekat1000/IWG_hatespeech_public", "HateSpeech_Tweets_DataSet.csv").decode("utf-8")
    for row in csv.DictReader(io.StringIO(raw)):
        lab = {"YES": "yes", "NO": "no"}.get((row.get("HateSpeech") or "").strip().upper())
        w.add(row["Tweet"], lab, (row.get("HateSpeech") or "").strip(), "test")
    return w.write()


def gerest_sentiment_de(out: Path) -> dict:
    """GERestaurant sentences (German Tripadvisor restaurant reviews) in ASQP form, as copied into
    NilsHellwig/absa-toolkit. Sentence label from the quads' polarities: one polarity -> it; mixed -> dropped."""
    import ast

    w = Writer(out, "gerest_sentiment_de", "de")
    for split in ["train", "dev", "test"]:
        raw = git_show("NilsHellwig/absa-toolkit", f"data/datasets/asqp/gerest/{split}.txt").decode("utf-8")
        for line in raw.splitlines():
            text, _, quads = line.partition("####")
            pols = sorted({q[2] for q in ast.literal_eval(quads)}) if quads.strip() else []
            lab = pols[0] if len(pols) == 1 and pols[0] in ("negative", "neutral", "positive") else None
            text = re.sub(r" ([,.!?;:)])", r"\1", text).replace("( ", "(")
            w.add(text, lab, "+".join(pols) or "no_quad", "validation" if split == "dev" else split)
    return w.write()


BUILDERS = {
    "maalej2016_app_reviews": maalej2016_app_reviews,
    "banking77_questions": banking77_questions,
    "sgd_dialogue_acts": sgd_dialogue_acts,
    "nlbse2024_issues": nlbse2024_issues,
    "xlmt_sb10k_de": xlmt_sb10k_de,
    "omp_sentiment_de": omp_sentiment_de,
    "sanders_twitter_en": sanders_twitter_en,
    "potts_de": potts_de,
    "goemotions_sentiment_en": goemotions_sentiment_en,
    "xquad_de": xquad_de_questions,
    "germeval2018_other_de": germeval2018_other_de,
    "iwg_hatespeech_de": iwg_hatespeech_de,
    "gerest_sentiment_de": gerest_sentiment_de,
}


# ---------------------------------------------------------------- per-folder README
META = {
    "maalej2016_app_reviews": dict(
        title="Maalej et al. (2016) app reviews (EN, kind)",
        repo="adailtonaraujo/app_review_analysis",
        paths=[
            "Classification/Dataset/Bug.json",
            "Classification/Dataset/Feature.json",
            "Classification/Dataset/Rating.json",
            "Classification/Dataset/UserExperience.json",
        ],
        licence="Repository LICENSE: CC0 1.0 Universal (whole repository). The reviews and labels were made by Maalej, Kurtanović, Nabil, Stanik (Univ. Hamburg), who state no licence; texts are Apple App Store / Google Play reviews.",
        train="CONDITIONAL. The CC0 is the redistributor's, not the annotators'. Strict reading of the project rule: evaluation only until the Hamburg group's terms are confirmed; lenient reading: CC0 as published.",
        citation="Maalej, Kurtanović, Nabil, Stanik (2016). On the automatic classification of app reviews. Requirements Engineering 21(3). / Maalej & Nabil (2015), RE'15.",
        mapping="Bug -> bug_report; Feature -> feature_request; Rating -> praise (4-5 stars), criticism (1-2 stars), other (3 stars); UserExperience -> other. Upstream files are per class and 365 reviews sit in 2-3 of them: the first of Bug > Feature > Rating > UserExperience wins, orig_label lists all (e.g. `Bug+Rating|stars=5`). Title and body joined. No official split: test = sha1(text) % 5 == 0.",
    ),
    "banking77_questions": dict(
        title="BANKING77, interrogative items only (EN, kind=question)",
        repo="PolyAI-LDN/task-specific-datasets (copy in ../shared/datasets/banking77, commit 57ec275d8078af65b7731c2a98be812d844a6d6b)",
        paths=["../shared/datasets/banking77/train.csv", "../shared/datasets/banking77/test.csv"],
        licence="CC BY 4.0 (UPSTREAM_LICENSE).",
        train="YES (credit in NOTICE).",
        citation="Casanueva et al. (2020). Efficient Intent Detection with Dual Sentence Encoders. NLP4ConvAI.",
        mapping="Items that end with '?' or start with an interrogative/auxiliary word -> question (orig_label = intent). The 4,302 statement-form items ('My card was declined') are left out: they are support requests but not clearly questions or bug reports. Official train/test split kept.",
    ),
    "sgd_dialogue_acts": dict(
        title="Schema-Guided Dialogue user turns by dialogue act (EN, kind=question/other)",
        repo="google-research-datasets/dstc8-schema-guided-dialogue",
        paths=[
            "train/dialogues_001..040.json",
            "dev/dialogues_001..008.json",
            "test/dialogues_001..008.json (files present in the snapshot; ≥4 MiB files are absent)",
        ],
        licence="CC BY-SA 4.0 (README 'License', LICENSE.txt).",
        train="YES with share-alike caveat (attribution; SA terms on the data itself, weights are not the data — note in NOTICE).",
        citation="Rastogi, Zang, Sunkara, Gupta, Khaitan (2020). Towards Scalable Multi-domain Conversational Agents: The Schema-Guided Dialogue Dataset. AAAI.",
        mapping="USER turns. Acts only THANK_YOU/GOODBYE -> other ('thanks, that worked'); only INFORM/AFFIRM/NEGATE/SELECT -> other (context statements, answers); REQUEST/REQUEST_ALTS without INFORM_INTENT -> question. Other turns dropped. Up to 2,500 (train) / 400 (dev, test) distinct utterances per group, seed 14. Task-oriented assistant dialogue, crowd-written: conversational form, not product feedback.",
    ),
    "nlbse2024_issues": dict(
        title="NLBSE'24 issue report classification (EN, kind: bug/feature/question)",
        repo="nlbse2024/issue-report-classification",
        paths=["data/issues_train.csv", "data/issues_test.csv"],
        licence="None: LICENSE is an empty file; README states no data terms. Issue texts are GitHub issues of facebook/react, tensorflow/tensorflow, microsoft/vscode, bitcoin/bitcoin, opencv/opencv.",
        train="NO: evaluation only. Proposed unseen English kind set (issue tracker = OSS support channel).",
        citation="Kallis, Colavito, Al-Kaswan, Pascarella, Chaparro, Rani (2024). The NLBSE'24 Tool Competition. NLBSE'24. / Kallis et al. (2021) Predicting issue types on GitHub. SCP 205.",
        mapping="bug -> bug_report; feature -> feature_request; question -> question (no 'other' class; balanced 100 per class per repo per split). text = title + blank line + body, cut at 4,000 characters. orig_label = label|repo. Official train/test split kept (both are usable as evaluation data).",
    ),
    "xlmt_sb10k_de": dict(
        title="XLM-T / UMSAB German sentiment = balanced subset of SB-10k tweets (DE)",
        repo="cardiffnlp/xlm-t",
        paths=["data/sentiment/german/{train,val,test}_{text,labels}.txt"],
        licence="Repo: Apache-2.0 for code; README: 'restrictions may apply to individual datasets ... or Twitter'. SB-10k (SpinningBytes/ZHAW): page says 'All word embeddings are provided under CC BY 4.0' next to the corpus download; the corpus itself has no separate licence line; tweet texts under X terms.",
        train="CONDITIONAL: evaluation only under a strict reading; train if the CC BY 4.0 line is taken to cover the corpus annotations.",
        citation="Barbieri, Espinosa-Anke, Camacho-Collados (2022). XLM-T. LREC. / Cieliebak, Deriu, Egger, Uzdilli (2017). A Twitter Corpus and Benchmark Resources for German Sentiment Analysis. SocialNLP.",
        mapping="0 -> negative, 1 -> neutral, 2 -> positive (TweetEval format). Official split (val -> validation). Balanced 1/3 per class: NOT the natural prior.",
    ),
    "potts_de": dict(
        title="PotTS, Potsdam Twitter Sentiment Corpus, tweet-level labels derived here (DE)",
        repo="WladimirSidorenko/PotTS",
        paths=[
            "corpus/basedata/*.words.xml",
            "corpus/annotator-2/markables/*_sentiment_level.xml",
            "corpus/annotator-2/markables/*_emo-expression_level.xml",
        ],
        licence="MIT (LICENSE, README badge: the repository 'contains the data of the Potsdam Twitter Sentiment Corpus'); annotations by the repo author. Tweet texts: X terms.",
        train="YES (MIT; tweet-text caveat as for every Twitter set).",
        citation="Sidarenka (2016). PotTS: The Potsdam Twitter Sentiment Corpus. LREC.",
        mapping="Tweets = word sequences between EOL tokens. Label from annotator-2 sentiment spans; where a tweet has none, from its emo-expression spans (emoticons, polar terms): none -> neutral; only positive -> positive; only negative -> negative; both polarities, 'comparison' or sarcasm -> dropped. Tokens re-joined with spaces (punctuation glued back). Split by file number as in the author's CGSA experiments: 7.* validation, 8.*/9.* test, rest train. Topics: federal election, pope election, politics, general. The README recommends annotator-2 on branch eexpression-revision; the snapshot is the default branch.",
    ),
    "goemotions_sentiment_en": dict(
        title="GoEmotions grouped into sentiment (EN, Reddit comments)",
        repo="monologg/GoEmotions-pytorch (derived from google-research/google-research goemotions/data)",
        paths=["data/group/{train,dev,test}.tsv", "data/group/labels.txt"],
        licence="Apache-2.0 (LICENSE of both repositories; the GoEmotions annotations were made by Google and published in google-research under Apache-2.0). Texts are Reddit comments.",
        train="YES (Apache-2.0; Reddit-text caveat).",
        citation="Demszky, Movshovitz-Attias, Ko, Cowen, Nemade, Ravi (2020). GoEmotions: A Dataset of Fine-Grained Emotions. ACL.",
        mapping="'group' taxonomy = the paper's sentiment grouping of the 27 emotions: positive / negative / ambiguous + neutral. Items whose labels fall in exactly one of negative/neutral/positive keep it; ambiguous-only and multi-group items are dropped. Official split (dev -> validation).",
    ),
    "omp_sentiment_de": dict(
        title="One Million Posts Corpus, sentiment-annotated posts (DE, news-forum community)",
        repo="compcommlab/oembeddings (redistribution; original: OFAI/million-post-corpus)",
        paths=[
            "evaluation_data/classification/million_posts_sentiment.feather",
            "evaluation_data/MillionPosts-LICENSE.md",
        ],
        licence="CC BY-NC-SA 4.0 (MillionPosts-LICENSE.md; same as the original corpus).",
        train="NO: evaluation only (non-commercial). Proposed unseen German sentiment set.",
        citation="Schabus, Skowron, Trapp (2017). One Million Posts: A Data Set of German Online Discussions. SIGIR.",
        mapping="Negative/Neutral/Positive -> negative/neutral/positive; text = headline + body. All in split 'test'. Natural prior of annotated posts: neutral 51.8 %, negative 47.0 %, positive 1.2 % (43 items: macro-F1 is noisy on this set).",
    ),
    "sanders_twitter_en": dict(
        title="Sanders Twitter Sentiment Corpus (EN, tweets about Apple, Google, Microsoft, Twitter)",
        repo="zfz/twitter_corpus",
        paths=["full-corpus.csv"],
        licence="None stated in this repository (the original Sanders Analytics release, 2011, was tweet ids + labels with a download script; this copy includes the texts). Tweet texts: X terms.",
        train="NO: evaluation only. Proposed unseen English customer-directed sentiment set.",
        citation="Sanders, N. J. (2011). Sanders-Twitter Sentiment Corpus. Sanders Analytics LLC.",
        mapping="negative/neutral/positive kept; 'irrelevant' (1,689: off-topic or not English) dropped. orig_label = sentiment|topic. All in split 'test'.",
    ),
    "xquad_de": dict(
        title="XQuAD German questions and context sentences (DE, kind=question/other)",
        repo="google-deepmind/xquad",
        paths=["xquad.de.json"],
        licence="CC BY-SA 4.0 (README 'License', CC-BY-SA4.0.txt).",
        train="YES with share-alike caveat.",
        citation="Artetxe, Ruder, Yogatama (2020). On the Cross-lingual Transferability of Monolingual Representations. ACL.",
        mapping="Each question -> question; context paragraphs split into sentences (25-300 chars) -> other. Professional translations of SQuAD (Wikipedia): German form, not community text. Use as a small language aid only.",
    ),
    "germeval2018_other_de": dict(
        title="GermEval 2018 non-offensive tweets as kind 'other' (DE)",
        repo="uds-lsv/GermEval-2018-Data (copy in ../shared/datasets/germeval2018, commit 9877472d39523effd54cd079b4c61157ed141508)",
        paths=["../shared/datasets/germeval2018/germeval2018.training.txt (training file only)"],
        licence="CC BY 4.0 (UPSTREAM_LICENSE.md).",
        train="YES (credit in NOTICE). Never use the test file here: it is the abuse benchmark.",
        citation="Wiegand, Siegel, Ruppenhofer (2018). Overview of the GermEval 2018 Shared Task on the Identification of Offensive Language.",
        mapping="Coarse label OTHER and no '?' in the text -> other; OFFENSE tweets and tweets with '?' left out. |LBR| -> newline, @mentions -> @user. German opinionated tweets: 'other' for routing, not product feedback.",
    ),
    "iwg_hatespeech_de": dict(
        title="IWG hate-speech tweets about the refugee crisis (DE, abuse yes/no)",
        repo="ankekat1000/IWG_hatespeech_public",
        paths=["HateSpeech_Tweets_DataSet.csv"],
        licence="CC BY-SA 3.0 Unported (README: 'This work is licensed under a Creative Commons Attribution-ShareAlike 3.0 Unported License'). Tweet texts: X terms.",
        train="YES with share-alike caveat; small (469 tweets) and single-topic: better as a second German abuse check than as training data.",
        citation="Ross, Rist, Carbonell, Cabrera, Kurowsky, Wojatzki (2016). Measuring the Reliability of Hate Speech Annotations: The Case of the European Refugee Crisis. NLP4CMC III.",
        mapping="HateSpeech YES -> yes (abusive), NO -> no. Column as published (the aggregated rating of the released file). All in split 'test'.",
    ),
    "gerest_sentiment_de": dict(
        title="GERestaurant review sentences, sentence sentiment derived from aspect quads (DE, customer feedback)",
        repo="NilsHellwig/absa-toolkit (copy of GERestaurant, NilsHellwig/GERestaurant, whose HEAD no longer holds the data)",
        paths=["data/datasets/asqp/gerest/{train,dev,test}.txt"],
        licence="None stated (no LICENSE or README in absa-toolkit; GERestaurant repository has none either). Texts: Tripadvisor reviews (anonymised: LOC, PERSON, ...).",
        train="NO: evaluation only.",
        citation="Hellwig, Fehle, Bink, Wolff (2024). GERestaurant: A German Dataset of Annotated Restaurant Reviews for Aspect-Based Sentiment Analysis. KONVENS 2024.",
        mapping="Each sentence carries (aspect, category, polarity, opinion) quads; a sentence whose quads share one polarity gets it, mixed sentences are dropped. Only opinionated sentences were annotated (every sentence has an opinion term), so neutral is almost absent (≈3 %): a polarity check on German customer feedback, not a test of the neutral prior. Tokenised text, punctuation re-glued. Official split (dev -> validation).",
    ),
}


def write_readme(out: Path, name: str, stats: dict) -> None:
    m: dict[str, Any] = META[name]
    lines = [
        f"# {name}: {m['title']}",
        "",
        "Built by `python -m classifiers.datasets_prepare`; one JSON object per line:",
        '`{"text", "label", "orig_label", "lang", "split", "source"}`.',
        "",
        "## Source",
        f"- Repository: {m['repo']}",
    ]
    if "/" in m["repo"].split(" ")[0] and m["repo"].split(" ")[0] in REPOS:
        lines.append(f"- Commit read: `{REPOS[m['repo'].split(' ')[0]][1]}`")
    lines += [
        "- Files: " + ", ".join(f"`{p}`" for p in m["paths"]),
        "",
        "## Licence",
        m["licence"],
        "",
        f"**May train the shipped model:** {m['train']}",
        "",
        "## Citation",
        m["citation"],
        "",
        "## Mapping",
        m["mapping"],
        "",
        "## Counts",
    ]
    labels = sorted({label for s, c in stats.items() if not s.startswith("_") for label in c})
    splits = [s for s in stats if not s.startswith("_")]
    lines.append("| split | " + " | ".join(labels) + " | total |")
    lines.append("|---" * (len(labels) + 2) + "|")
    for s in splits:
        c = stats[s]
        lines.append(
            f"| {s} | " + " | ".join(str(c.get(label, 0)) for label in labels) + f" | {sum(c.values())} |"
        )
    if stats.get("_dropped"):
        lines += [
            "",
            "Left out: " + ", ".join(f"{k} {v}" for k, v in sorted(stats["_dropped"].items())) + ".",
        ]
    (out / name / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    global MIRROR, SHARED
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default="", help="comma-separated dataset names")
    ap.add_argument("--out", required=True, help="the datasets folder to write")
    ap.add_argument("--mirror", default=str(MIRROR), help="folder of the repository snapshots")
    ap.add_argument("--shared", default=str(SHARED), help="the shared datasets folder")
    args = ap.parse_args()
    MIRROR, SHARED = Path(args.mirror), Path(args.shared)
    out = Path(args.out)
    names = [n for n in args.only.split(",") if n] or list(BUILDERS)
    stats_path = out / "STATS.json"
    stats = json.loads(stats_path.read_text()) if stats_path.exists() else {}
    for n in names:
        stats[n] = BUILDERS[n](out)
        write_readme(out, n, stats[n])
    out.mkdir(parents=True, exist_ok=True)
    stats_path.write_text(json.dumps(stats, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
