"""The kind of a piece of feedback, from a light head on its embedding."""

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
from haystack import Document, component
from sklearn.linear_model import LogisticRegression

from classifiers.embedding import make_embedder
from classifiers.labels import KINDS

SEED_FILE = Path(__file__).parent / "data" / "seed_kinds.jsonl"
EVIDENCE_COUNT = 3


def load_seed(path: Path) -> list[dict[str, str]]:
    """Labelled examples, one JSON object per line with ``text`` and ``kind``."""
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        example = json.loads(line)
        if example.get("kind") not in KINDS or not example.get("text"):
            raise ValueError(f"{path}:{number}: needs a text and a kind out of {', '.join(KINDS)}")
        examples.append(example)
    return examples


@component
class KindClassifier:
    """Labels documents with a kind, a confidence, scores per kind and the nearest seed examples.

    A logistic regression over normalised embeddings, trained at warm-up from the seed set
    (embedded with the same model as the documents).
    """

    def __init__(self, model: str, seed_file: str | None = None) -> None:
        """
        Args:
            model: local path of the sentence-transformers model that embeds the documents.
            seed_file: JSONL of labelled examples; the shipped seed set when None.
        """
        self.model = model
        self.seed_file = seed_file
        self._head: LogisticRegression | None = None
        self._seed_vectors: np.ndarray | None = None
        self._seed: list[dict[str, str]] = []
        self.version = ""

    def warm_up(self) -> None:
        if self._head is not None:
            return
        path = Path(self.seed_file) if self.seed_file else SEED_FILE
        self._seed = load_seed(path)
        embedder = make_embedder(self.model)
        embedder.warm_up()
        documents = embedder.run(documents=[Document(content=e["text"]) for e in self._seed])["documents"]
        self._seed_vectors = np.array([d.embedding for d in documents], dtype=np.float32)
        head = LogisticRegression(C=10.0, max_iter=2000)
        head.fit(self._seed_vectors, [e["kind"] for e in self._seed])
        self._head = head
        digest = hashlib.sha256(path.read_bytes() + Path(self.model).name.encode()).hexdigest()[:12]
        self.version = f"kind-lr-{digest}"

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, Any]:
        if self._head is None or self._seed_vectors is None:
            raise RuntimeError("KindClassifier.warm_up() must run before run()")
        if not documents:
            return {"documents": []}
        vectors = np.array([d.embedding for d in documents], dtype=np.float32)
        probabilities = self._head.predict_proba(vectors)
        similarities = vectors @ self._seed_vectors.T
        labels = list(self._head.classes_)
        for document, row, sims in zip(documents, probabilities, similarities, strict=True):
            best = int(np.argmax(row))
            nearest = np.argsort(-sims)[:EVIDENCE_COUNT]
            document.meta["kind"] = labels[best]
            document.meta["kind_confidence"] = round(float(row[best]), 4)
            document.meta["kind_scores"] = {k: round(float(p), 4) for k, p in zip(labels, row, strict=True)}
            document.meta["kind_evidence"] = [
                {
                    "text": self._seed[i]["text"],
                    "kind": self._seed[i]["kind"],
                    "similarity": round(float(sims[i]), 4),
                }
                for i in nearest
            ]
            document.meta["model_version"] = self.version
        return {"documents": documents}
