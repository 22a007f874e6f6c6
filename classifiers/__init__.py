"""Text in, labels out. Pure: no database, no HTTP, no task queue."""

from classifiers.embedding import ModelNotFoundError, resolve_model_path
from classifiers.kind import KINDS, KindClassifier
from classifiers.pipeline import Classification, FeedbackClassifier, build_pipeline, load_pipeline

__all__ = [
    "KINDS",
    "Classification",
    "FeedbackClassifier",
    "KindClassifier",
    "ModelNotFoundError",
    "build_pipeline",
    "load_pipeline",
    "resolve_model_path",
]
