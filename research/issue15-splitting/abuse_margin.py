"""How often the packaged abuse head is right when it says "abusive", by its confidence.

Sets the default ``moderation_review_margin``: where the flag is little better than a coin toss,
a person should decide in triage. Data: the TweetEval offensive test split (English) and the
GermEval 2018 test split (German, first 1,200 tweets), neither used to train the packaged heads.

Run: PYTHONPATH=. HF_HUB_OFFLINE=1 python research/issue15-splitting/abuse_margin.py DATASETS_ROOT
"""

import sys

from classifiers import FeedbackClassifier
from classifiers.evaluation.datasets import load_germeval, load_tweeteval

BINS = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.85, 1.01)


def main(root: str) -> None:
    classifier = FeedbackClassifier.from_model()
    sets = {
        "tweeteval-offensive (en)": (load_tweeteval(root, "offensive", "test"), "en", "offensive"),
        "germeval2018 (de)": (load_germeval(root, "test"), "de", "OFFENSE"),
    }
    for name, (split, language, positive) in sets.items():
        texts, labels = split.texts[:1200], split.labels[:1200]
        scores = [r.abuse_confidence for r in classifier._run(texts, [language] * len(texts))]
        print(f"{name}: {len(texts)} texts, labels {sorted(set(labels))}")
        for low, high in zip(BINS, BINS[1:], strict=False):
            inside = [label == positive for s, label in zip(scores, labels, strict=True) if low <= s < high]
            if inside:
                print(f"  abusive at [{low:.2f}, {min(high, 1):.2f}): {len(inside):4d} flagged, "
                      f"{sum(inside) / len(inside):.0%} truly abusive")


if __name__ == "__main__":
    main(sys.argv[1])
