"""Light heads on sentence embeddings: trained in seconds, stored as plain arrays (no pickle).

A ``HeadSet`` is one model version: a head per task (kind, sentiment, abuse, topic), for some
tasks a second head on the text's n-grams (``classifiers.ngrams``), the examples each was
trained on (for the "nearest examples" that explain a prediction) and the name of the embedding
model whose vectors they expect. It serialises to bytes, so the service can keep versions in
its database and every worker can load the active one.
"""

import hashlib
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from classifiers.ngrams import NgramView

Mode = Literal["softmax", "ovr"]
EVIDENCE_COUNT = 3


@dataclass(frozen=True)
class HeadConfig:
    """How a task's head is trained.

    Attributes:
        mode: ``softmax`` gives scores that sum to one; ``ovr`` trains one-vs-rest heads whose
            scores are independent, so several labels may be high at once.
        C: inverse regularisation strength of the logistic regression.
        balanced: weight classes inversely to their frequency (helps macro metrics).
        ngrams: also train a head of the same kind on the text's words and word pairs
            (``classifiers.ngrams``); the task's scores are the mean of both heads' scores.
        calibration: fitted on held-out folds of the training examples (``fit_calibration``):
            ``platt`` per class, or one ``temperature`` for scores that sum to one; empty for none.
        priors: the share of each label in real traffic, as (label, share) pairs: the calibration
            is fitted with the examples weighted so that each label carries its share, so that
            confidences hold for a community's mix (mostly neutral, conversational), not for
            the training sets' mix. A Platt calibration's offsets carry the shift.
    """

    mode: Mode = "softmax"
    C: float = 10.0
    balanced: bool = False
    ngrams: bool = False
    calibration: Literal["", "platt", "temperature"] = ""
    priors: tuple[tuple[str, float], ...] = ()

    def weights(self, labels: Sequence[str]) -> np.ndarray | None:
        """Per-example weights that give each label its prior share (for the calibration's fit)."""
        if not self.priors:
            return None
        shares = dict(self.priors)
        y = np.asarray(labels)
        weights = np.ones(len(y))
        for label in set(labels):
            members = y == label
            weights[members] = shares.get(label, 0.0) * len(y) / members.sum()
        return weights


@dataclass(frozen=True)
class Prediction:
    label: str
    confidence: float
    scores: dict[str, float]
    evidence: list[dict[str, object]]


@dataclass
class LinearHead:
    """Logistic regression weights: ``scores = f(X @ coef.T + intercept)``."""

    classes: list[str]
    coef: np.ndarray
    intercept: np.ndarray
    mode: Mode = "softmax"

    def scores(self, vectors: Any) -> np.ndarray:
        logits = np.asarray(vectors @ self.coef.T) + self.intercept
        if self.mode == "ovr":
            return 1.0 / (1.0 + np.exp(-logits))
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)


def train_head(
    vectors: Any, labels: Sequence[str], config: HeadConfig = HeadConfig(), weights: np.ndarray | None = None
) -> LinearHead:
    """Fit a head on dense vectors or sparse features, each example counting ``weights`` times
    (default: once); there must be examples of two labels."""
    from sklearn.linear_model import LogisticRegression

    classes = sorted(set(labels))
    if len(classes) < 2:
        raise ValueError(f"a head needs examples of at least two labels, got {classes}")
    weight = "balanced" if config.balanced else None
    y = np.asarray(labels)
    if config.mode == "ovr":
        rows = []
        for label in classes:
            model = LogisticRegression(C=config.C, max_iter=2000, class_weight=weight)
            model.fit(vectors, y == label, sample_weight=weights)
            rows.append((model.coef_[0], model.intercept_[0]))
        coef = np.stack([r[0] for r in rows])
        intercept = np.array([r[1] for r in rows])
    else:
        model = LogisticRegression(C=config.C, max_iter=2000, class_weight=weight)
        model.fit(vectors, y, sample_weight=weights)
        coef, intercept = model.coef_, model.intercept_
        if len(classes) == 2:  # scikit-learn keeps one row for two classes: make it a softmax pair
            coef = np.vstack([np.zeros_like(coef[0]), coef[0]])
            intercept = np.array([0.0, intercept[0]])
    return LinearHead(
        classes=classes,
        coef=coef.astype(np.float32),
        intercept=np.asarray(intercept, dtype=np.float32),
        mode=config.mode,
    )


_EPSILON = 1e-6  # keeps logarithms of scores finite
CALIBRATED_CEILING = 0.999  # the most a calibrated confidence states


@dataclass
class Calibration:
    """Turns a head's scores into confidences that match how often it is right.

    ``platt``: per class ``sigmoid(slope * logit(score) + offset)``, for independent scores
    (``normalise``: then divided by their sum, for scores that sum to one);
    ``temperature``: ``softmax(slope * log(scores))`` (slope = 1 / temperature), for scores that
    sum to one. Fitted on held-out folds of the training data (``fit_calibration``).
    """

    method: Literal["platt", "temperature"]
    slope: list[float]
    offset: list[float]
    normalise: bool = False

    def apply(self, scores: np.ndarray) -> np.ndarray:
        clipped = np.clip(scores.astype(np.float64), _EPSILON, 1 - _EPSILON)
        if self.method == "platt":
            logits = np.log(clipped / (1 - clipped)) * np.asarray(self.slope) + np.asarray(self.offset)
            calibrated = 1.0 / (1.0 + np.exp(-logits))
            return calibrated / calibrated.sum(axis=1, keepdims=True) if self.normalise else calibrated
        logits = np.log(clipped) * self.slope[0]
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def to_json(self) -> dict[str, object]:
        return {
            "method": self.method,
            "slope": self.slope,
            "offset": self.offset,
            "normalise": self.normalise,
        }


def fit_calibration(
    method: Literal["platt", "temperature"],
    scores: np.ndarray,
    labels: Sequence[str],
    classes: Sequence[str],
    weights: np.ndarray | None = None,
    normalise: bool = False,
) -> Calibration:
    """A calibration of held-out ``scores`` (one column per class) against their true labels,
    each example counting ``weights`` times (default: once)."""
    from scipy.optimize import minimize_scalar
    from sklearn.linear_model import LogisticRegression

    y = np.asarray(labels)
    clipped = np.clip(scores.astype(np.float64), _EPSILON, 1 - _EPSILON)
    if method == "platt":
        slope, offset = [], []
        for column, label in enumerate(classes):
            logit = np.log(clipped[:, column] / (1 - clipped[:, column]))[:, None]
            model = LogisticRegression(C=1e4, max_iter=1000)  # two parameters: hardly any penalty
            model.fit(logit, y == label, sample_weight=weights)
            slope.append(round(float(model.coef_[0, 0]), 6))
            offset.append(round(float(model.intercept_[0]), 6))
        return Calibration("platt", slope, offset, normalise)
    truth = np.searchsorted(np.asarray(classes), y)
    logs = np.log(clipped)
    sample = np.ones(len(y)) if weights is None else weights

    def loss(log_slope: float) -> float:
        logits = logs * np.exp(log_slope)
        logits -= logits.max(axis=1, keepdims=True)
        log_probability = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        return float(-(sample * log_probability[np.arange(len(y)), truth]).sum() / sample.sum())

    best = minimize_scalar(loss, bounds=(-3.0, 3.0), method="bounded")
    return Calibration("temperature", [round(float(np.exp(best.x)), 6)], [])


@dataclass
class NgramHead:
    """A head on a text's n-grams, beside the embedding head of the same task."""

    view: NgramView
    head: LinearHead

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        return self.head.scores(self.view.transform(texts))


@dataclass
class ExampleBank:
    """The labelled examples a head learnt from, for nearest-example evidence."""

    texts: list[str]
    labels: list[str]
    vectors: np.ndarray  # float16 when stored: evidence needs ranks, not precision

    def __post_init__(self) -> None:
        self._matrix = self.vectors.astype(np.float32).T  # once, not on every batch

    def nearest(self, vectors: np.ndarray, count: int = EVIDENCE_COUNT) -> list[list[dict[str, object]]]:
        similarities = vectors @ self._matrix
        count = min(count, similarities.shape[1])
        # Whole-array steps: a Python loop per row costs more than the heads' arithmetic.
        top = np.argpartition(similarities, -count, axis=1)[:, -count:]
        values = np.take_along_axis(similarities, top, axis=1)
        order = np.argsort(-values, axis=1)
        top, values = np.take_along_axis(top, order, axis=1), np.take_along_axis(values, order, axis=1)
        rounded = np.round(values.astype(np.float64), 4).tolist()  # float64: 0.8274, not 0.82740003
        return [
            [
                {"text": self.texts[i], "label": self.labels[i], "similarity": similarity}
                for i, similarity in zip(row, row_values, strict=True)
            ]
            for row, row_values in zip(top.tolist(), rounded, strict=True)
        ]


@dataclass
class HeadSet:
    """One model version: the heads of every task and the examples behind them."""

    embedding_model: str
    heads: dict[str, LinearHead]
    banks: dict[str, ExampleBank]
    version: str = ""
    info: dict[str, object] = field(default_factory=dict)
    ngrams: dict[str, NgramHead] = field(default_factory=dict)
    calibrations: dict[str, Calibration] = field(default_factory=dict)

    def raw_scores(self, task: str, vectors: np.ndarray, texts: Sequence[str] | None = None) -> np.ndarray:
        """The task's scores before calibration (one column per class)."""
        scores = self.heads[task].scores(vectors)
        if task in self.ngrams:
            if texts is None:
                raise ValueError(f"the {task} head also reads the texts: pass them")
            scores = (scores + self.ngrams[task].scores(texts)) / 2
        return scores

    def predict(self, task: str, vectors: np.ndarray, texts: Sequence[str] | None = None) -> list[Prediction]:
        """Labels for embedded texts; ``texts`` are needed where the task also reads n-grams."""
        head = self.heads[task]
        scores = self.raw_scores(task, vectors, texts)
        if task in self.calibrations:
            scores = self.calibrations[task].apply(scores)
        evidence = self.banks[task].nearest(vectors)
        best = np.argmax(scores, axis=1).tolist()
        if (
            task in self.calibrations
        ):  # fitted on thousands of examples: 0.9999 would claim more than they show
            scores = np.clip(scores, 1 - CALIBRATED_CEILING, CALIBRATED_CEILING)
        rounded = np.round(scores.astype(np.float64), 4).tolist()  # float64: 0.8274, not 0.82740003
        return [
            Prediction(
                label=head.classes[b],
                confidence=row[b],
                scores=dict(zip(head.classes, row, strict=True)),
                evidence=nearest,
            )
            for b, row, nearest in zip(best, rounded, evidence, strict=True)
        ]

    def joined(self, other: "HeadSet") -> "HeadSet":
        """These heads with ``other``'s tasks added (e.g. a taxonomy's topic head)."""
        version = hashlib.sha256(f"{self.version}+{other.version}".encode()).hexdigest()[:12]
        return HeadSet(
            self.embedding_model,
            {**self.heads, **other.heads},
            {**self.banks, **other.banks},
            version,
            {**self.info, "joined": other.info},
            {**self.ngrams, **other.ngrams},
            {**self.calibrations, **other.calibrations},
        )

    def to_bytes(self) -> bytes:
        arrays: dict[str, np.ndarray] = {}
        meta: dict[str, object] = {
            "embedding_model": self.embedding_model,
            "version": self.version,
            "info": self.info,
            "tasks": {},
            "calibrations": {task: c.to_json() for task, c in self.calibrations.items()},
        }
        for task, head in self.heads.items():
            bank = self.banks[task]
            arrays[f"{task}.coef"] = head.coef
            arrays[f"{task}.intercept"] = head.intercept
            arrays[f"{task}.vectors"] = bank.vectors.astype(np.float16)
            meta["tasks"][task] = {  # type: ignore[index]
                "classes": head.classes,
                "mode": head.mode,
                "texts": bank.texts,
                "labels": bank.labels,
                "ngrams": task in self.ngrams,
            }
            if task in self.ngrams:
                ngram = self.ngrams[task]
                arrays[f"{task}.ngram.columns"] = ngram.view.columns
                arrays[f"{task}.ngram.idf"] = ngram.view.idf
                arrays[f"{task}.ngram.coef"] = ngram.head.coef
                arrays[f"{task}.ngram.intercept"] = ngram.head.intercept
        buffer = io.BytesIO()
        meta_array = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
        np.savez_compressed(buffer, meta=meta_array, **arrays)  # type: ignore[arg-type]  # numpy's stub: **arrays as allow_pickle
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> "HeadSet":
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            meta = json.loads(archive["meta"].tobytes().decode())
            heads, banks, ngrams = {}, {}, {}
            for task, spec in meta["tasks"].items():
                heads[task] = LinearHead(
                    classes=spec["classes"],
                    coef=archive[f"{task}.coef"],
                    intercept=archive[f"{task}.intercept"],
                    mode=spec["mode"],
                )
                banks[task] = ExampleBank(spec["texts"], spec["labels"], archive[f"{task}.vectors"])
                if spec.get("ngrams"):
                    ngrams[task] = NgramHead(
                        NgramView(archive[f"{task}.ngram.columns"], archive[f"{task}.ngram.idf"]),
                        LinearHead(
                            spec["classes"],
                            archive[f"{task}.ngram.coef"],
                            archive[f"{task}.ngram.intercept"],
                            spec["mode"],
                        ),
                    )
        calibrations = {  # files written before calibration have none
            task: Calibration(c["method"], c["slope"], c["offset"], c.get("normalise", False))
            for task, c in meta.get("calibrations", {}).items()
        }
        return cls(meta["embedding_model"], heads, banks, meta["version"], meta["info"], ngrams, calibrations)


Embed = Callable[[list[str]], np.ndarray]


CALIBRATION_FOLDS = 3  # each fold retrains the head: three keep a rebuild of the shipped heads in minutes


def held_out_scores(
    texts: Sequence[str],
    vectors: np.ndarray,
    labels: Sequence[str],
    config: HeadConfig,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Each example's scores from heads trained without it (stratified folds, fixed seed)."""
    from sklearn.model_selection import StratifiedKFold

    y = np.asarray(labels)
    classes = sorted(set(labels))
    folds = StratifiedKFold(n_splits=CALIBRATION_FOLDS, shuffle=True, random_state=0)
    scores = np.zeros((len(y), len(classes)))
    for train, test in folds.split(vectors, y):
        fold_weights = None if weights is None else weights[train]
        fold = HeadSet("", {"t": train_head(vectors[train], y[train].tolist(), config, fold_weights)}, {})
        if config.ngrams:
            view = NgramView.fit([texts[i] for i in train])
            features = view.transform([texts[i] for i in train])
            fold.ngrams["t"] = NgramHead(view, train_head(features, y[train].tolist(), config, fold_weights))
        scores[test] = fold.raw_scores("t", vectors[test], [texts[i] for i in test])
    return scores


def train_heads(
    examples: dict[str, list[tuple[str, str]]],
    embed: Embed,
    *,
    embedding_model: str,
    configs: dict[str, HeadConfig],
    on_task: Callable[[str, int], None] = lambda task, count: None,
    evidence: dict[str, list[tuple[str, str]]] | None = None,
    weights: dict[str, dict[str, float]] | None = None,
) -> HeadSet:
    """Train a head per task from (text, label) pairs; the version is a digest of what went in.

    Args:
        examples: per task, the labelled texts (seed and community labels together).
        embed: turns texts into L2-normalised vectors of ``embedding_model``.
        embedding_model: the model name or path, stored so a mismatch can be refused.
        configs: per task, how its head is trained (``HeadConfig()`` when missing).
        on_task: progress callback, called with each task and its example count before training.
        evidence: per task, the examples kept as nearest-example evidence, a part of ``examples``
            (default: all of them). Examples of datasets that may not be shipped stay out.
        weights: per task, texts that count more (or less) than once in training, e.g. our
            seed examples beside thousands of dataset examples (default: every text once).
    """
    heads, banks, ngrams, calibrations = {}, {}, {}, {}
    digest = hashlib.sha256(embedding_model.encode())
    for task in sorted(examples):
        pairs = examples[task]
        config = configs.get(task, HeadConfig())
        on_task(task, len(pairs))
        texts = [t for t, _ in pairs]
        labels = [label for _, label in pairs]
        vectors = np.asarray(embed(texts), dtype=np.float32)
        counts = (weights or {}).get(task)
        sample = np.array([counts.get(t, 1.0) for t in texts]) if counts else None
        heads[task] = train_head(vectors, labels, config, sample)
        kept = evidence.get(task, pairs) if evidence is not None else pairs
        if kept is pairs:
            banks[task] = ExampleBank(texts, labels, vectors.astype(np.float16))
        else:
            row = {text: index for index, text in enumerate(texts)}
            banks[task] = ExampleBank(
                [t for t, _ in kept],
                [label for _, label in kept],
                vectors[[row[t] for t, _ in kept]].astype(np.float16),
            )
        if config.ngrams:
            view = NgramView.fit(texts)
            ngrams[task] = NgramHead(view, train_head(view.transform(texts), labels, config, sample))
        if config.calibration:
            scores = held_out_scores(texts, vectors, labels, config, sample)
            calibrations[task] = fit_calibration(
                config.calibration,
                scores,
                labels,
                heads[task].classes,
                config.weights(labels),
                normalise=config.mode == "softmax",
            )
        digest.update(
            json.dumps([task, pairs, str(config)] + ([counts] if counts else []), ensure_ascii=False).encode()
        )
    counts = {task: len(pairs) for task, pairs in examples.items()}
    version = digest.hexdigest()[:12]
    return HeadSet(
        embedding_model,
        heads,
        banks,
        version,
        info={"examples": counts},
        ngrams=ngrams,
        calibrations=calibrations,
    )
