"""The Haystack pipeline that turns texts into embeddings and labels."""

from dataclasses import dataclass
from typing import Any

from haystack import Document, Pipeline

from classifiers.embedding import make_embedder, resolve_model_path
from classifiers.kind import KindClassifier


def build_pipeline(model: str | None = None, batch_size: int = 64) -> Pipeline:
    """Embedder then kind classifier.

    Args:
        model: local sentence-transformers model folder; the packaged default when None.
        batch_size: texts embedded at once.

    Returns:
        A pipeline taking ``{"embedder": {"documents": [...]}}``; ``Pipeline.dumps()`` gives its YAML.
    """
    model_path = resolve_model_path(model)
    pipeline = Pipeline()
    pipeline.add_component("embedder", make_embedder(model_path, batch_size))
    pipeline.add_component("kind", KindClassifier(model=model_path))
    pipeline.connect("embedder.documents", "kind.documents")
    return pipeline


def load_pipeline(yaml_text: str) -> Pipeline:
    """A pipeline from the YAML that ``Pipeline.dumps()`` wrote; our own components are trusted."""
    return Pipeline.loads(yaml_text, allowed_modules=["classifiers.kind"])


@dataclass(frozen=True)
class Classification:
    kind: str
    confidence: float
    scores: dict[str, float]
    evidence: list[dict[str, Any]]
    model_version: str
    embedding: list[float]


class FeedbackClassifier:
    """A warmed-up pipeline with a plain list-of-texts interface."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.pipeline.warm_up()

    @classmethod
    def from_model(cls, model: str | None = None, batch_size: int = 64) -> "FeedbackClassifier":
        return cls(build_pipeline(model, batch_size))

    def classify(self, texts: list[str]) -> list[Classification]:
        if not texts:
            return []
        documents = [Document(content=text) for text in texts]
        result = self.pipeline.run({"embedder": {"documents": documents}})
        return [
            Classification(
                kind=d.meta["kind"],
                confidence=d.meta["kind_confidence"],
                scores=d.meta["kind_scores"],
                evidence=d.meta["kind_evidence"],
                model_version=d.meta["model_version"],
                embedding=list(d.embedding or []),
            )
            for d in result["kind"]["documents"]
        ]
