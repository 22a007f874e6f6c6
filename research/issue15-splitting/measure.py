"""How well the part splitter cuts our mixed messages, for a range of ``min_words``
(0: before issue 15, every confident sentence counted).

Each line of classifiers/data/mixed_messages.jsonl is a message as its parts (written for this
project, EN and DE); one part means "not mixed". The packaged model labels every sentence once;
``split_parts`` then runs with each ``min_words``. Figures: messages cut exactly as written, and
precision / recall of the cuts (a cut is the start of every part but the first).

Run: PYTHONPATH=. HF_HUB_OFFLINE=1 python research/issue15-splitting/measure.py [MIN_WORDS ...]
"""

import json
import sys
from pathlib import Path

from classifiers import FeedbackClassifier
from classifiers.splitting import DEFAULT_MIN_CONFIDENCE, split_parts, split_sentences

DATA = Path(__file__).parents[2] / "classifiers/data/mixed_messages.jsonl"


def gold_cuts(parts: list[str]) -> set[int]:
    cuts, offset = set(), 0
    for part in parts[:-1]:
        offset += len(part) + 1
        cuts.add(offset)
    return cuts


def main(values: list[int]) -> None:
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]
    texts = [" ".join(row["parts"]) for row in rows]
    sentences = sorted({s.text for text in texts for s in split_sentences(text)})
    labelled = FeedbackClassifier.from_model().classify(sentences)
    label = {text: (r.kind, r.confidence) for text, r in zip(sentences, labelled, strict=True)}
    for min_words in values:
        exact = tp = fp = fn = 0
        for row, text in zip(rows, texts, strict=True):
            parts = split_parts(text, lambda batch: [label[t] for t in batch], DEFAULT_MIN_CONFIDENCE, min_words)
            cuts = {p.start for p in parts[1:]}
            want = gold_cuts(row["parts"])
            exact += cuts == want
            tp, fp, fn = tp + len(cuts & want), fp + len(cuts - want), fn + len(want - cuts)
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        print(
            f"min_words {min_words}: exact {exact}/{len(rows)} ({exact / len(rows):.1%}), "
            f"cut precision {precision:.3f}, recall {recall:.3f} ({tp} right, {fp} wrong, {fn} missed)"
        )


if __name__ == "__main__":
    main([int(v) for v in sys.argv[1:]] or [0, 2, 3, 4, 5, 6])
