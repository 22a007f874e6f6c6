"""A Hugging Face id in FEEDBACK_ROUTER_EMBEDDING_MODEL: read from the Hugging Face cache, one clear
line when it is neither there nor downloadable. The cache is built here from the packaged MiniLM, in
the layout huggingface_hub writes, so the real loading code runs without a network."""

import shutil

import numpy as np
import pytest

from classifiers import ModelNotFoundError, model_id, resolve_model
from classifiers.embedding import _hub_snapshot, make_embedder, packaged_model_path
from classifiers.labeler import embed_texts

REVISION = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def hub_cache(tmp_path, monkeypatch):
    """A Hugging Face cache holding ``example-org/minilm-copy`` (the packaged MiniLM's files)."""
    repo = tmp_path / "hub" / "models--example-org--minilm-copy"
    shutil.copytree(packaged_model_path(), repo / "snapshots" / REVISION)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(REVISION, encoding="utf-8")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)
    _hub_snapshot.cache_clear()
    yield tmp_path / "hub"
    _hub_snapshot.cache_clear()


def test_a_hugging_face_id_in_the_cache_is_used_offline(hub_cache):
    spec = resolve_model("example-org/minilm-copy")

    assert spec.name == "example-org/minilm-copy" and spec.backend == "sentence-transformers"
    assert spec.path.endswith(REVISION)
    assert model_id("example-org/minilm-copy").startswith("example-org/minilm-copy@sha256:")
    embedder = make_embedder("example-org/minilm-copy")
    embedder.warm_up()
    vectors = embed_texts(embedder, ["Export to PDF crashes", "PDF export crashes the app"])
    assert vectors.shape == (2, 384) and float(np.dot(vectors[0], vectors[1])) > 0.5


def test_a_hugging_face_id_offline_and_not_cached_is_one_clear_line(hub_cache):
    with pytest.raises(ModelNotFoundError) as error:
        resolve_model("intfloat/multilingual-e5-small")

    message = str(error.value)
    assert "intfloat/multilingual-e5-small" in message and "local Hugging Face cache" in message
    assert "\n" not in message and "use-multilingual" in message


def test_a_path_is_not_taken_for_a_hugging_face_id(tmp_path, hub_cache):
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        resolve_model(str(tmp_path / "org" / "name"))
    with pytest.raises(ModelNotFoundError, match="not a known model name"):
        resolve_model("no-such-model")
