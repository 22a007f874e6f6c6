"""Text in, labels out. Pure: no database, no HTTP, no task queue.

Names that need the model libraries (haystack, sentence-transformers) are imported on first
use, so that the command line and the label constants load in a blink.
"""

import importlib
from typing import Any

from classifiers.embedding import resolve_model_path
from classifiers.errors import ModelNotFoundError
from classifiers.labels import KINDS

_LAZY = {
    "KindClassifier": "classifiers.kind",
    "Classification": "classifiers.pipeline",
    "FeedbackClassifier": "classifiers.pipeline",
    "build_pipeline": "classifiers.pipeline",
    "load_pipeline": "classifiers.pipeline",
}

__all__ = ["KINDS", "ModelNotFoundError", "resolve_model_path", *_LAZY]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'classifiers' has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name]), name)
