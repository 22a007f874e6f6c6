"""Scores as the published results define them, as fractions in [0, 1].

Classes are those seen in the gold labels or the predictions; a ratio with a zero denominator
counts as 0 (a class never predicted has precision 0), as in scikit-learn's ``zero_division=0``.
"""

from collections.abc import Hashable, Sequence

import numpy as np

Labels = Sequence[Hashable]


def _per_class(gold: Labels, predicted: Labels) -> tuple[np.ndarray, np.ndarray]:
    """Precision and recall of each class."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predictions")
    if not gold:
        raise ValueError("no labels to score")
    classes = sorted(set(gold) | set(predicted), key=repr)
    gold_array, predicted_array = np.asarray(gold, dtype=object), np.asarray(predicted, dtype=object)
    precision, recall = [], []
    for label in classes:
        true_positive = float(np.sum((gold_array == label) & (predicted_array == label)))
        predicted_count = float(np.sum(predicted_array == label))
        gold_count = float(np.sum(gold_array == label))
        precision.append(true_positive / predicted_count if predicted_count else 0.0)
        recall.append(true_positive / gold_count if gold_count else 0.0)
    return np.array(precision), np.array(recall)


def _f1(precision: float | np.ndarray, recall: float | np.ndarray) -> np.ndarray:
    total = np.asarray(precision + recall, dtype=float)
    return np.divide(2 * precision * recall, total, out=np.zeros_like(total), where=total > 0)


def accuracy(gold: Labels, predicted: Labels) -> float:
    """Share of exact matches."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predictions")
    if not gold:
        raise ValueError("no labels to score")
    return float(np.mean([g == p for g, p in zip(gold, predicted, strict=True)]))


def binary_f1(gold: Labels, predicted: Labels) -> float:
    """F1 of the positive class (True)."""
    gold_array, predicted_array = np.asarray(gold, dtype=bool), np.asarray(predicted, dtype=bool)
    if gold_array.shape != predicted_array.shape:
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predictions")
    true_positive = float(np.sum(gold_array & predicted_array))
    denominator = float(np.sum(gold_array) + np.sum(predicted_array))
    return 2 * true_positive / denominator if denominator else 0.0


def macro_recall(gold: Labels, predicted: Labels) -> float:
    """Mean of the per-class recalls (TweetEval sentiment's metric)."""
    _, recall = _per_class(gold, predicted)
    return float(np.mean(recall))


def macro_f1(gold: Labels, predicted: Labels) -> float:
    """Mean of the per-class F1 scores (TweetEval offensive's metric)."""
    precision, recall = _per_class(gold, predicted)
    return float(np.mean(_f1(precision, recall)))


def average_f(gold: Labels, predicted: Labels) -> float:
    """GermEval 2018's "Average F": the F1 of macro-averaged precision and macro-averaged recall.

    Not the mean of the per-class F1 scores: with skewed classes the two differ.
    """
    precision, recall = _per_class(gold, predicted)
    return float(_f1(float(np.mean(precision)), float(np.mean(recall))))


def expected_calibration_error(confidence: Sequence[float], correct: Sequence[bool], bins: int = 10) -> float:
    """How far stated confidence is from the share of right answers: the mean over equal-width
    confidence bins of |accuracy - mean confidence|, weighted by the bin's share of items (ECE).

    Args:
        confidence: each prediction's stated confidence, in [0, 1].
        correct: whether that prediction was right.
        bins: equal-width bins over [0, 1]; a confidence of exactly 1 falls in the last one.
    """
    confidence_array = np.asarray(confidence, dtype=float)
    correct_array = np.asarray(correct, dtype=float)
    if confidence_array.shape != correct_array.shape:
        raise ValueError(f"{len(confidence)} confidences but {len(correct)} outcomes")
    if not len(confidence_array):
        raise ValueError("no predictions to score")
    if np.any((confidence_array < 0) | (confidence_array > 1)):
        raise ValueError("confidences must lie in [0, 1]")
    which = np.minimum((confidence_array * bins).astype(int), bins - 1)
    error = 0.0
    for index in np.unique(which):
        members = which == index
        gap = abs(float(correct_array[members].mean()) - float(confidence_array[members].mean()))
        error += gap * float(members.mean())
    return error
