"""An on-disk cache of embeddings, keyed by (model id, SHA-256 of the text).

Each model has a folder under the cache directory (``model.json`` says which model) holding
shards: ``<name>.npy`` (float32, one row per text) and ``<name>.keys`` (the text hashes, one a
line, in row order). A shard is written to a temporary file and renamed, keys last, so a crash
leaves at most an orphan ``.npy`` that nobody reads; many small shards are merged into one.
Only texts that are not cached yet reach the model, and the model is not even loaded when
everything is cached.
"""

import hashlib
import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.atomic import write_atomically
from classifiers.embedding import make_embedder, model_id, resolve_model

logger = logging.getLogger(__name__)

DEFAULT_CACHE_DIR = Path("~/.cache/feedback-router/embeddings")
MAX_SHARDS = 32


@dataclass
class ModelStats:
    """What the cache did for one model since it was opened."""

    model: str
    model_id: str
    requested: int = 0  # texts asked for, repeats included
    cached: int = 0  # distinct texts found on disk
    embedded: int = 0  # distinct texts the model embedded
    embed_seconds: float = 0.0  # inside the embedder's run(): model loading excluded
    load_seconds: float = 0.0

    @property
    def texts_per_second(self) -> float | None:
        """Embedding throughput on the texts that were not cached; None when there were none."""
        return self.embedded / self.embed_seconds if self.embedded and self.embed_seconds > 0 else None


@dataclass(frozen=True)
class EmbedProgress:
    """Reported while texts are embedded: ``done`` of ``total`` uncached texts."""

    model: str
    label: str
    done: int
    total: int


ProgressCallback = Callable[[EmbedProgress], None]


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class _ModelStore:
    """The shards of one model: an index from text hash to (shard, row)."""

    def __init__(self, folder: Path, identifier: str) -> None:
        self.folder = folder
        self.identifier = identifier
        self.shards: list[np.ndarray] = []
        self.names: list[str] = []
        self.index: dict[str, tuple[int, int]] = {}
        folder.mkdir(parents=True, exist_ok=True)
        info = folder / "model.json"
        if not info.exists():
            model = json.dumps({"model_id": identifier}) + "\n"
            write_atomically(info, lambda h: h.write(model), binary=False)
        for keys_path in sorted(folder.glob("*.keys")):
            self._load(keys_path)

    def _load(self, keys_path: Path) -> None:
        vectors_path = keys_path.with_suffix(".npy")
        try:
            keys = keys_path.read_text(encoding="ascii").split()
            vectors = np.load(vectors_path, mmap_mode="r")
        except (OSError, ValueError) as exc:  # removed by a merge in another process, or damaged
            logger.warning("embedding cache: skipping shard %s: %s", keys_path, exc)
            return
        if vectors.ndim != 2 or len(vectors) != len(keys):
            logger.warning("embedding cache: skipping shard %s: keys and vectors disagree", keys_path)
            return
        number = len(self.shards)
        self.shards.append(vectors)
        self.names.append(keys_path.stem)
        for row, key in enumerate(keys):
            self.index.setdefault(key, (number, row))

    def add(self, keys: list[str], vectors: np.ndarray) -> None:
        name = f"shard-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"
        write_atomically(self.folder / f"{name}.npy", lambda h: np.save(h, vectors), binary=True)
        lines = "\n".join(keys) + "\n"
        write_atomically(self.folder / f"{name}.keys", lambda h: h.write(lines), binary=False)
        self._load(self.folder / f"{name}.keys")

    def get(self, keys: Sequence[str]) -> np.ndarray:
        locations = np.array([self.index[key] for key in keys], dtype=np.int64).reshape(-1, 2)
        dimensions = self.shards[0].shape[1] if self.shards else 0
        out = np.empty((len(keys), dimensions), dtype=np.float32)
        for shard in np.unique(locations[:, 0]):
            rows = locations[:, 0] == shard
            out[rows] = self.shards[shard][locations[rows, 1]]
        return out

    def merge_if_many(self, max_shards: int) -> None:
        if len(self.shards) <= max_shards:
            return
        keys = list(self.index)
        vectors = self.get(keys)
        old = list(self.names)
        self.shards, self.names, self.index = [], [], {}
        self.add(keys, vectors)
        for name in old:
            for suffix in (".keys", ".npy"):  # keys first: a shard without keys is never read
                (self.folder / f"{name}{suffix}").unlink(missing_ok=True)


def _folder_name(identifier: str) -> str:
    readable = re.sub(r"[^A-Za-z0-9._=-]+", "_", identifier)[:60]
    return f"{readable}-{hashlib.sha256(identifier.encode()).hexdigest()[:8]}"


class EmbeddingCache:
    """Embeds texts with a model, keeping every embedding on disk for the next time.

    Args:
        directory: where the shards live; ``~/.cache/feedback-router/embeddings`` when None.
        batch_size: texts the embedder gets at once.
        shard_size: texts embedded before a shard is written (an interruption loses at most these).
        max_shards: shards of a model kept apart; past this they are merged into one.
    """

    def __init__(
        self,
        directory: Path | str | None = None,
        *,
        batch_size: int = 64,
        shard_size: int = 4096,
        max_shards: int = MAX_SHARDS,
    ) -> None:
        self.directory = Path(directory if directory is not None else DEFAULT_CACHE_DIR).expanduser()
        self.batch_size = batch_size
        self.shard_size = shard_size
        self.max_shards = max_shards
        self.stats: dict[str, ModelStats] = {}
        self._stores: dict[str, _ModelStore] = {}
        self._embedders: dict[str, Any] = {}

    def _store(self, name: str) -> _ModelStore:
        if name not in self._stores:
            identifier = model_id(name)
            self.stats[name] = ModelStats(model=name, model_id=identifier)
            self._stores[name] = _ModelStore(self.directory / _folder_name(identifier), identifier)
        return self._stores[name]

    def _embedder(self, name: str) -> Any:
        if name not in self._embedders:
            started = time.perf_counter()
            embedder = make_embedder(name, self.batch_size)
            embedder.warm_up()
            self.stats[name].load_seconds += time.perf_counter() - started
            self._embedders[name] = embedder
        return self._embedders[name]

    def embed(
        self,
        model: str | None,
        texts: Sequence[str],
        *,
        label: str = "",
        on_progress: ProgressCallback | None = None,
    ) -> np.ndarray:
        """The normalised embeddings of ``texts``, one row each, in order.

        Args:
            model: a model name or local folder (see ``classifiers.embedding``); None is the default.
            texts: the texts; repeats are embedded once.
            label: names the texts in progress reports (e.g. the dataset).
            on_progress: called before and while uncached texts are embedded.
        """
        name = resolve_model(model).name
        store = self._store(name)
        stats = self.stats[name]
        keys = [text_key(text) for text in texts]
        missing: dict[str, str] = {}
        for key, text in zip(keys, texts, strict=True):
            if key not in store.index:
                missing.setdefault(key, text)
        stats.requested += len(texts)
        stats.cached += len(set(keys)) - len(missing)
        if missing:
            from haystack import Document

            pending_keys, pending_texts = list(missing), list(missing.values())
            total = len(pending_texts)
            if on_progress:
                on_progress(EmbedProgress(name, label, 0, total))
            embedder = self._embedder(name)
            step = self.batch_size * 8
            for shard_start in range(0, total, self.shard_size):
                shard_end = min(shard_start + self.shard_size, total)
                parts = []
                for start in range(shard_start, shard_end, step):
                    documents = [
                        Document(content=t) for t in pending_texts[start : min(start + step, shard_end)]
                    ]
                    started = time.perf_counter()
                    embedded = embedder.run(documents=documents)["documents"]
                    stats.embed_seconds += time.perf_counter() - started
                    parts.append(np.array([d.embedding for d in embedded], dtype=np.float32))
                    stats.embedded += len(documents)
                    if on_progress:
                        on_progress(EmbedProgress(name, label, min(start + step, shard_end), total))
                store.add(pending_keys[shard_start:shard_end], np.concatenate(parts))
            store.merge_if_many(self.max_shards)
        return store.get(keys)
