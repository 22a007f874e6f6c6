"""The Haystack pipeline that turns texts into embeddings and labels."""

from dataclasses import dataclass, field, replace
from functools import partial
from itertools import islice
from typing import Any

from haystack import Document, Pipeline

from classifiers.embedding import make_embedder, resolve_model
from classifiers.heads import HeadSet
from classifiers.labeler import FeedbackLabeler
from classifiers.language import LanguageDetector
from classifiers.splitting import split_parts, split_sentences
from classifiers.urgency import UrgencyDetector

TRUSTED_MODULES = [
    "classifiers.labeler",
    "classifiers.use_embedder",
    "classifiers.language",
    "classifiers.urgency",
]


def build_pipeline(
    model: str | None = None, batch_size: int = 64, topics_file: str | None = None
) -> Pipeline:
    """Embedder, labels (kind, sentiment, abuse, topic), language, urgency.

    Args:
        model: a name in ``classifiers.embedding.MODELS`` or a local sentence-transformers model
            folder; the packaged default when None.
        batch_size: texts embedded at once.
        topics_file: the community's topic taxonomy (YAML); no topics without one.

    Returns:
        A pipeline taking ``{"embedder": {"documents": [...]}}``; ``Pipeline.dumps()`` gives its YAML.
    """
    spec = resolve_model(model)
    pipeline = Pipeline()
    pipeline.add_component("embedder", make_embedder(spec.name, batch_size))
    pipeline.add_component("labels", FeedbackLabeler(model=spec.name, topics_file=topics_file))
    pipeline.add_component("language", LanguageDetector())
    pipeline.add_component("urgency", UrgencyDetector())
    pipeline.connect("embedder.documents", "labels.documents")
    pipeline.connect("labels.documents", "language.documents")
    pipeline.connect("language.documents", "urgency.documents")
    return pipeline


def load_pipeline(yaml_text: str) -> Pipeline:
    """A pipeline from the YAML that ``Pipeline.dumps()`` wrote; our own components are trusted."""
    return Pipeline.loads(yaml_text, allowed_modules=TRUSTED_MODULES)


@dataclass(frozen=True)
class Part:
    """One part of a mixed message, with its span in the original text and its own labels."""

    start: int
    end: int
    labels: "Classification"


@dataclass(frozen=True)
class Classification:
    """Everything the pipeline says about one text."""

    kind: str
    confidence: float
    scores: dict[str, float]
    evidence: list[dict[str, Any]]
    model_version: str
    embedding: list[float]
    sentiment: str | None = None
    sentiment_confidence: float | None = None
    abuse: bool | None = None
    abuse_confidence: float | None = None
    topic: str | None = None
    topic_confidence: float | None = None
    language: str = "und"
    language_confidence: float = 0.0
    urgency: str = "low"
    urgency_signals: list[dict[str, str]] = field(default_factory=list)
    other_evidence: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    parts: list[Part] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, without the embedding."""
        return {
            "kind": self.kind,
            "confidence": self.confidence,
            "scores": self.scores,
            "sentiment": self.sentiment,
            "sentiment_confidence": self.sentiment_confidence,
            "abuse": self.abuse,
            "abuse_confidence": self.abuse_confidence,
            "topic": self.topic,
            "topic_confidence": self.topic_confidence,
            "language": self.language,
            "language_confidence": self.language_confidence,
            "urgency": self.urgency,
            "urgency_signals": self.urgency_signals,
            "parts": [{"start": p.start, "end": p.end, **p.labels.to_dict()} for p in self.parts],
            "evidence": {"kind": self.evidence, **self.other_evidence},
            "model_version": self.model_version,
        }


def _from_meta(document: Document) -> Classification:
    meta = document.meta
    return Classification(
        kind=meta["kind"],
        confidence=meta["kind_confidence"],
        scores=meta["kind_scores"],
        evidence=meta["kind_evidence"],
        model_version=meta["model_version"],
        embedding=list(document.embedding or []),
        sentiment=meta.get("sentiment"),
        sentiment_confidence=meta.get("sentiment_confidence"),
        abuse=meta.get("abuse"),
        abuse_confidence=meta.get("abuse_confidence"),
        topic=meta.get("topic"),
        topic_confidence=meta.get("topic_confidence"),
        language=meta.get("language", "und"),
        language_confidence=meta.get("language_confidence", 0.0),
        urgency=meta.get("urgency", "low"),
        urgency_signals=meta.get("urgency_signals", []),
        other_evidence=meta.get("evidence", {}),
    )


def _known(labels: list[tuple[str, float]], _sentences: list[str]) -> list[tuple[str, float]]:
    """The sentences' labels, already at hand: ``split_parts``' classify."""
    return labels


class FeedbackClassifier:
    """A warmed-up pipeline with a plain list-of-texts interface."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.pipeline.warm_up()

    @classmethod
    def from_model(
        cls, model: str | None = None, batch_size: int = 64, topics_file: str | None = None
    ) -> "FeedbackClassifier":
        return cls(build_pipeline(model, batch_size, topics_file))

    @property
    def labeler(self) -> FeedbackLabeler:
        return self.pipeline.get_component("labels")  # type: ignore[return-value]

    def set_heads(self, heads: HeadSet) -> None:
        """Use a trained model version from now on."""
        self.labeler.set_heads(heads)

    def _run(self, texts: list[str], languages: list[str | None]) -> list[Classification]:
        if not texts:
            return []
        documents = [
            Document(content=text, meta={"language": language} if language not in (None, "und") else {})
            for text, language in zip(texts, languages, strict=True)
        ]
        result = self.pipeline.run({"embedder": {"documents": documents}})
        return [_from_meta(d) for d in result["urgency"]["documents"]]

    def classify(self, texts: list[str], languages: list[str | None] | None = None) -> list[Classification]:
        """Labels for each text; a mixed message also gets its parts, each labelled on its own.

        Three pipeline runs at most, whatever the batch: the texts, the sentences of the texts
        that have several, and the parts of the mixed ones.

        Args:
            texts: the feedback texts.
            languages: a language the author gave per text (kept rather than detected), or None.
        """
        if not texts:
            return []
        results = self._run(texts, languages or [None] * len(texts))
        sentences = {i: [s.text for s in split_sentences(t)] for i, t in enumerate(texts)}
        sentences = {i: found for i, found in sentences.items() if len(found) >= 2}
        flat = [(i, sentence) for i, found in sentences.items() for sentence in found]
        labelled = iter(self._run([s for _, s in flat], [results[i].language for i, _ in flat]))
        kinds = {
            i: [(r.kind, r.confidence) for r in islice(labelled, len(found))]
            for i, found in sentences.items()
        }
        parts = {i: split_parts(texts[i], partial(_known, kinds[i])) for i in sentences}
        flat_parts = [(i, part) for i, found in parts.items() for part in found]
        part_labels = self._run([p.text for _, p in flat_parts], [results[i].language for i, _ in flat_parts])
        for (i, part), labels in zip(flat_parts, part_labels, strict=True):
            results[i] = replace(results[i], parts=[*results[i].parts, Part(part.start, part.end, labels)])
        return results
