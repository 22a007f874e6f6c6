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
    """

    mode: Mode = "softmax"
    C: float = 10.0
    balanced: bool = False
    ngrams: bool = False


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


def train_head(vectors: Any, labels: Sequence[str], config: HeadConfig = HeadConfig()) -> LinearHead:
    """Fit a head on dense vectors or sparse features; there must be examples of two labels."""
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
            model.fit(vectors, y == label)
            rows.append((model.coef_[0], model.intercept_[0]))
        coef = np.stack([r[0] for r in rows])
        intercept = np.array([r[1] for r in rows])
    else:
        model = LogisticRegression(C=config.C, max_iter=2000, class_weight=weight)
        model.fit(vectors, y)
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

    def predict(self, task: str, vectors: np.ndarray, texts: Sequence[str] | None = None) -> list[Prediction]:
        """Labels for embedded texts; ``texts`` are needed where the task also reads n-grams."""
        head = self.heads[task]
        scores = head.scores(vectors)
        if task in self.ngrams:
            if texts is None:
                raise ValueError(f"the {task} head also reads the texts: pass them")
            scores = (scores + self.ngrams[task].scores(texts)) / 2
        evidence = self.banks[task].nearest(vectors)
        best = np.argmax(scores, axis=1).tolist()
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

    def to_bytes(self) -> bytes:
        arrays: dict[str, np.ndarray] = {}
        meta: dict[str, object] = {
            "embedding_model": self.embedding_model,
            "version": self.version,
            "info": self.info,
            "tasks": {},
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
        return cls(meta["embedding_model"], heads, banks, meta["version"], meta["info"], ngrams)


Embed = Callable[[list[str]], np.ndarray]


def train_heads(
    examples: dict[str, list[tuple[str, str]]],
    embed: Embed,
    *,
    embedding_model: str,
    configs: dict[str, HeadConfig],
    on_task: Callable[[str, int], None] = lambda task, count: None,
) -> HeadSet:
    """Train a head per task from (text, label) pairs; the version is a digest of what went in.

    Args:
        examples: per task, the labelled texts (seed and community labels together).
        embed: turns texts into L2-normalised vectors of ``embedding_model``.
        embedding_model: the model name or path, stored so a mismatch can be refused.
        configs: per task, how its head is trained (``HeadConfig()`` when missing).
        on_task: progress callback, called with each task and its example count before training.
    """
    heads, banks, ngrams = {}, {}, {}
    digest = hashlib.sha256(embedding_model.encode())
    for task in sorted(examples):
        pairs = examples[task]
        config = configs.get(task, HeadConfig())
        on_task(task, len(pairs))
        texts = [t for t, _ in pairs]
        labels = [label for _, label in pairs]
        vectors = np.asarray(embed(texts), dtype=np.float32)
        heads[task] = train_head(vectors, labels, config)
        banks[task] = ExampleBank(texts, labels, vectors.astype(np.float16))
        if config.ngrams:
            view = NgramView.fit(texts)
            ngrams[task] = NgramHead(view, train_head(view.transform(texts), labels, config))
        digest.update(json.dumps([task, pairs, str(config)], ensure_ascii=False).encode())
    counts = {task: len(pairs) for task, pairs in examples.items()}
    version = digest.hexdigest()[:12]
    return HeadSet(embedding_model, heads, banks, version, info={"examples": counts}, ngrams=ngrams)
