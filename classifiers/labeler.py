"""The labels of a piece of feedback: kind, sentiment, abuse and topic, from heads on its embedding."""

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from haystack import Document, component

from classifiers.adapt import adapt
from classifiers.atomic import write_atomically
from classifiers.embedding import make_embedder, model_id
from classifiers.heads import HeadSet
from classifiers.labels import NO_TOPIC
from classifiers.topics import load_topics
from classifiers.training import fingerprint, merge, seed_examples, shipped_heads, train

logger = logging.getLogger(__name__)

# Below this a topic is not given: "no topic" beats a wrong one.
TOPIC_MIN_CONFIDENCE = 0.5


def heads_cache() -> Path:
    """Where heads trained on the base examples are kept: training them takes seconds at every
    start, so they are stored under the fingerprint of everything that decides them."""
    return Path(os.environ.get("XDG_CACHE_HOME") or "~/.cache").expanduser() / "feedback-router" / "heads"


def embed_texts(embedder: Any, texts: list[str]) -> np.ndarray:
    """Vectors of texts through a Haystack document embedder."""
    documents = embedder.run(documents=[Document(content=t) for t in texts])["documents"]
    return np.array([d.embedding for d in documents], dtype=np.float32)


@component
class FeedbackLabeler:
    """Sets the labels of embedded documents, each with its confidence and nearest examples.

    At warm-up it reads the packaged heads when the documents are embedded with the packaged
    default model (trained on the seed sets and public datasets, ``feedback-router train
    --datasets``); for any other model it trains heads from the seed sets (seconds), or reads
    the heads an earlier start trained from the same inputs (``heads_cache()``). A topic
    taxonomy's head is trained (or read) the same way and joined to them;
    ``set_heads`` swaps in a trained model version (``feedback-router train``) while running.

    Meta it sets: ``kind``, ``kind_confidence``, ``kind_scores`` (independent scores: several may
    be high), ``kind_evidence``; ``sentiment``, ``sentiment_confidence``; ``abuse`` (bool),
    ``abuse_confidence``; ``topic`` (None when unsure or without a taxonomy),
    ``topic_confidence``; ``evidence`` (nearest examples per task); ``model_version``.
    """

    def __init__(self, model: str, topics_file: str | None = None) -> None:
        """
        Args:
            model: the embedding model of the documents (a name in ``classifiers.embedding.MODELS``
                or a local model folder); the seed examples are embedded with it.
            topics_file: the community's topic taxonomy (YAML); without one no topic is given.
        """
        self.model = model
        self.topics_file = topics_file
        self.heads: HeadSet | None = None

    def base_examples(self) -> dict[str, list[tuple[str, str]]]:
        """Seed sets plus the taxonomy's examples: what every model version starts from."""
        examples = seed_examples()
        if self.topics_file:
            examples["topic"] = load_topics(self.topics_file).labelled_examples()
        return examples

    def train(
        self,
        extra: dict[str, list[tuple[str, str]]] | None = None,
        on_task: Callable[[str, int], None] = lambda task, count: None,
    ) -> HeadSet:
        """The base heads adapted to ``extra`` (``classifiers.adapt``): corrections move the shipped
        model where they say something and leave the rest of what it learnt as it was.

        A task the base heads lack (topics corrected without a taxonomy) gets a head trained on its
        corrections alone, where they hold two labels or more.

        Args:
            extra: more (text, label) pairs per task, e.g. managers' corrections.
            on_task: progress callback, called with each task and its correction count.
        """
        extra = extra or {}
        base = self.base_heads()
        embedder = make_embedder(self.model)
        embedder.warm_up()
        heads = adapt(base, extra, lambda texts: embed_texts(embedder, texts), on_task=on_task)
        fresh = {task: pairs for task, pairs in extra.items() if task not in base.heads}
        if fresh:
            new = self._fit(fresh, on_task)
            heads.heads.update(new.heads)
            heads.banks.update(new.banks)
            heads.ngrams.update(new.ngrams)
        return heads

    def _fit(
        self,
        examples: dict[str, list[tuple[str, str]]],
        on_task: Callable[[str, int], None] = lambda task, count: None,
    ) -> HeadSet:
        embedder = make_embedder(self.model)
        embedder.warm_up()
        return train(
            examples,
            lambda texts: embed_texts(embedder, texts),
            embedding_model=model_id(self.model),
            on_task=on_task,
        )

    def warm_up(self) -> None:
        if self.heads is None:
            self.heads = self.base_heads()

    def base_heads(self) -> HeadSet:
        """The heads every model version starts from: the packaged heads where they fit the
        embedding model (a taxonomy's topic head joined to them), else the seed sets' heads."""
        examples = merge(self.base_examples())
        shipped = shipped_heads(model_id(self.model))
        if shipped is None:
            return self._trained_or_cached(examples)
        rest = {task: pairs for task, pairs in examples.items() if task not in shipped.heads}
        return shipped.joined(self._trained_or_cached(rest)) if rest else shipped

    def _trained_or_cached(self, examples: dict[str, list[tuple[str, str]]]) -> HeadSet:
        """Heads of ``examples``: read from the heads cache, or trained and written there.

        The cache only saves time: an unreadable file is trained over, an unwritable folder logged.
        """
        path = heads_cache() / f"heads-{fingerprint(examples, model_id(self.model))}.npz"
        try:
            return HeadSet.from_bytes(path.read_bytes())
        except FileNotFoundError:
            pass
        except Exception as exc:  # a torn or foreign file: train anew and replace it
            logger.warning("cached heads %s are unreadable (%s); training them again", path, exc)
        heads = self._fit(examples)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(path, lambda handle: handle.write(heads.to_bytes()), binary=True)
        except OSError as exc:
            logger.warning("could not cache the trained heads in %s: %s", path.parent, exc)
        return heads

    def set_heads(self, heads: HeadSet) -> None:
        """Use another model version; it must expect this embedding model's vectors."""
        if heads.embedding_model != model_id(self.model):
            raise ValueError(
                f"model version {heads.version} was trained on {heads.embedding_model}, "
                f"but documents are embedded with {model_id(self.model)}"
            )
        self.heads = heads

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, Any]:
        if self.heads is None:
            raise RuntimeError("FeedbackLabeler.warm_up() must run before run()")
        if not documents:
            return {"documents": []}
        vectors = np.array([d.embedding for d in documents], dtype=np.float32)
        texts = [d.content or "" for d in documents]
        predictions = {task: self.heads.predict(task, vectors, texts) for task in self.heads.heads}
        for index, document in enumerate(documents):
            meta = document.meta
            kind = predictions["kind"][index]
            meta.update(
                kind=kind.label,
                kind_confidence=kind.confidence,
                kind_scores=kind.scores,
                kind_evidence=kind.evidence,
                model_version=f"heads-{self.heads.version}",
                evidence={},
                topic=None,
                topic_confidence=None,
            )
            if "sentiment" in predictions:
                sentiment = predictions["sentiment"][index]
                meta.update(sentiment=sentiment.label, sentiment_confidence=sentiment.confidence)
                meta["evidence"]["sentiment"] = sentiment.evidence
            if "abuse" in predictions:
                abuse = predictions["abuse"][index]
                meta.update(abuse=abuse.label == "abusive", abuse_confidence=abuse.scores["abusive"])
                meta["evidence"]["abuse"] = abuse.evidence
            if "topic" in predictions:
                topic = predictions["topic"][index]
                meta["topic_confidence"] = topic.confidence
                confident = topic.confidence >= TOPIC_MIN_CONFIDENCE and topic.label != NO_TOPIC
                meta["topic"] = topic.label if confident else None
                meta["evidence"]["topic"] = topic.evidence
        return {"documents": documents}
