"""Loaders for the labelled evaluation datasets, read from a folder laid out like this:

```
banking77/train.csv, test.csv                          text,category (with a header)
clap_app_reviews/clap_rq1_3000_reviews.csv             ...,review,category (with a header)
tweeteval/sentiment/{val,test}_{text,labels}.txt       one tweet / one integer label a line,
tweeteval/offensive/{train,test}_{text,labels}.txt     names in mapping.txt (id<TAB>name)
germeval2018/germeval2018.{training,test}.txt          text<TAB>coarse<TAB>fine, |LBR| = line break
<name>/{train,test}.jsonl                              {"text": ..., "label": ...} a line: the sets
                                                       normalised by classifiers/datasets_prepare.py
```

A missing file is a ``DatasetError`` that names it; nothing is downloaded. Our own sets ship with
the package: ``classifiers/data/cross_language_reports.jsonl`` (``load_cross_language``) and the
development sets that chose the shipped classifier, ``classifiers/data/dev/`` (``load_dev``).
"""

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal


class DatasetError(ValueError):
    """A dataset file is missing or malformed; the message names the file."""


@dataclass(frozen=True)
class Split:
    """Texts and their labels, in file order; ``languages`` only where the set records them."""

    texts: list[str]
    labels: list[str]
    languages: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if len(self.texts) != len(self.labels):
            raise ValueError(f"{len(self.texts)} texts but {len(self.labels)} labels")
        if self.languages and len(self.languages) != len(self.texts):
            raise ValueError(f"{len(self.texts)} texts but {len(self.languages)} languages")

    def __len__(self) -> int:
        return len(self.texts)


def _file(root: Path | str, *parts: str) -> Path:
    path = Path(root, *parts)
    if not path.is_file():
        raise DatasetError(f"dataset file {path} is missing")
    return path


def _csv(path: Path, text_column: str, label_column: str) -> Split:
    texts, labels = [], []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {text_column, label_column} - set(reader.fieldnames or [])
        if missing:
            raise DatasetError(f"{path}: no column {', '.join(sorted(missing))} in the header")
        for row in reader:
            if row[text_column] is None or row[label_column] is None:
                raise DatasetError(f"{path}:{reader.line_num}: too few columns")
            texts.append(row[text_column])
            labels.append(row[label_column])
    return Split(texts, labels)


def _lines(path: Path) -> list[str]:
    """The file's lines without their ends; the texts stay as published (cache keys depend on them).

    Split on newline only: ``str.splitlines`` would also split inside tweets at U+2028 and friends.
    """
    text = path.read_text(encoding="utf-8")
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    if text.endswith("\n") or not text:
        lines.pop()
    return lines


def load_banking77(root: Path | str, split: Literal["train", "test"]) -> Split:
    """BANKING77 customer-support questions with one of 77 intents."""
    return _csv(_file(root, "banking77", f"{split}.csv"), "text", "category")


def load_clap(root: Path | str) -> Split:
    """The 3,000 CLAP app reviews (RQ1) with BUG, FEATURE, PERFORMANCE, ... OTHER. No split."""
    return _csv(_file(root, "clap_app_reviews", "clap_rq1_3000_reviews.csv"), "review", "category")


def load_tweeteval(
    root: Path | str, task: Literal["sentiment", "offensive"], split: Literal["train", "val", "test"]
) -> Split:
    """A TweetEval subset; labels are the names in ``mapping.txt`` (e.g. negative, offensive)."""
    mapping_path = _file(root, "tweeteval", task, "mapping.txt")
    text_path = _file(root, "tweeteval", task, f"{split}_text.txt")
    label_path = _file(root, "tweeteval", task, f"{split}_labels.txt")
    mapping = {}
    for number, line in enumerate(_lines(mapping_path), start=1):
        if not line.strip():
            continue
        key, _, name = line.partition("\t")
        if not name:
            raise DatasetError(f"{mapping_path}:{number}: expected id<TAB>name")
        mapping[key.strip()] = name.strip()
    texts = _lines(text_path)
    ids = [line.strip() for line in _lines(label_path)]
    if len(texts) != len(ids):
        raise DatasetError(f"{text_path} has {len(texts)} lines but {label_path} has {len(ids)}")
    unknown = sorted(set(ids) - set(mapping))
    if unknown:
        raise DatasetError(f"{label_path}: label {unknown[0]!r} is not in {mapping_path}")
    return Split(texts, [mapping[i] for i in ids])


def load_germeval(
    root: Path | str, split: Literal["train", "test"], task: Literal["coarse", "fine"] = "coarse"
) -> Split:
    """GermEval 2018 German tweets: coarse OFFENSE/OTHER or fine ABUSE/INSULT/PROFANITY/OTHER."""
    name = "germeval2018.training.txt" if split == "train" else "germeval2018.test.txt"
    path = _file(root, "germeval2018", name)
    texts, labels = [], []
    for number, line in enumerate(_lines(path), start=1):
        if not line.strip():
            continue
        columns = line.split("\t")
        if len(columns) != 3:
            raise DatasetError(f"{path}:{number}: expected text<TAB>coarse<TAB>fine")
        texts.append(columns[0].replace("|LBR|", "\n"))
        labels.append(columns[1] if task == "coarse" else columns[2])
    return Split(texts, labels)


def _jsonl(path: Path, fields: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Each line's ``fields`` as text; a line without them is a DatasetError naming it."""
    rows = []
    for number, line in enumerate(_lines(path), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            rows.append(tuple(str(row[field]) for field in fields))
        except (ValueError, KeyError, TypeError) as exc:
            raise DatasetError(f"{path}:{number}: expected a JSON object with {', '.join(fields)}") from exc
    return rows


def load_normalised(root: Path | str, name: str, split: str) -> Split:
    """A set normalised to our labels, one ``{"text": ..., "label": ...}`` object a line
    (``python -m classifiers.datasets_prepare`` writes them from the published files)."""
    rows = _jsonl(_file(root, name, f"{split}.jsonl"), ("text", "label"))
    return Split([text for text, _ in rows], [label for _, label in rows])


CROSS_LANGUAGE_FILE = Path(__file__).resolve().parents[1] / "data" / "cross_language_reports.jsonl"


def load_cross_language(path: Path | str = CROSS_LANGUAGE_FILE) -> Split:
    """Our English and German reports of the same app problems: labels are the problems.

    Each line is ``{"text": ..., "language": "en" | "de", "problem": ...}``; we wrote them.
    """
    rows = _jsonl(_file(path), ("text", "language", "problem"))
    return Split([r[0] for r in rows], [r[2] for r in rows], tuple(r[1] for r in rows))


DEV_DIR = Path(__file__).resolve().parents[1] / "data" / "dev"


def load_dev(names: tuple[str, ...], field: Literal["kind", "sentiment"]) -> Split:
    """Our development sets, ``classifiers/data/dev/<name>.jsonl`` one after another: posts written
    for this by writers blind to the seed sets and to every dataset, each line
    ``{"text": ..., "kind": ..., "language": ...}`` (the forum and feedback sets add ``sentiment``);
    ``field`` is the label to read."""
    rows = [
        row for name in names for row in _jsonl(_file(DEV_DIR, f"{name}.jsonl"), ("text", field, "language"))
    ]
    return Split([r[0] for r in rows], [r[1] for r in rows], tuple(r[2] for r in rows))
