"""Errors of the classifiers package."""


class ModelNotFoundError(RuntimeError):
    """The configured embedding model is not a usable local model folder."""
