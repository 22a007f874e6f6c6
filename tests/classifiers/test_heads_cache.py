"""Heads trained from the seed sets are kept on disk: a later start with the same inputs reads
them, anything that decides them changes the file, and a broken cache never stops a start.

Where the packaged heads fit the model, a start reads those instead (tests/classifiers/
test_shipped_heads.py); here the package has none, as for any model but the default."""

import logging
import shutil

import numpy as np
import pytest

from classifiers import DEFAULT_MODEL, training
from classifiers.embedding import model_id
from classifiers.heads import HeadSet
from classifiers.labeler import FeedbackLabeler, heads_cache
from classifiers.topics import EXAMPLE_FILE
from classifiers.training import fingerprint, seed_examples, train


@pytest.fixture(scope="module", autouse=True)
def no_packaged_heads(tmp_path_factory):
    """A package without heads for the default model: starts train from the seed sets."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(training, "SHIPPED_HEADS", tmp_path_factory.mktemp("package") / "none.npz")
        yield


def started(topics_file: str | None = None) -> FeedbackLabeler:
    labeler = FeedbackLabeler(DEFAULT_MODEL, topics_file=topics_file)
    labeler.warm_up()
    return labeler


@pytest.fixture(scope="module")
def first_start(tmp_path_factory):
    """A start with an empty cache: it trains the heads and writes them (once for this module)."""
    home = tmp_path_factory.mktemp("cache-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(home))
        labeler = started()
        assert heads_cache() == home / "feedback-router" / "heads"
        [written] = heads_cache().glob("heads-*.npz")
    return labeler.heads, written


@pytest.fixture
def cache(first_start, tmp_path, monkeypatch):
    """A cache holding the first start's heads."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    _, written = first_start
    heads_cache().mkdir(parents=True)
    shutil.copy(written, heads_cache())
    return heads_cache() / written.name


def test_the_first_start_wrote_what_it_trained(first_start):
    heads, written = first_start
    assert HeadSet.from_bytes(written.read_bytes()).version == heads.version
    assert written.name == f"heads-{fingerprint(seed_examples(), model_id(DEFAULT_MODEL))}.npz"


def test_a_later_start_reads_the_file_instead_of_training(first_start, cache):
    # Other heads under the same name: a start that reads the file gets them, one that trains does not.
    other = train(
        {"kind": [("it crashes", "bug_report"), ("love it", "praise")]},
        lambda texts: np.eye(len(texts), 512, dtype=np.float32),
        embedding_model=model_id(DEFAULT_MODEL),
    )
    cache.write_bytes(other.to_bytes())
    later = started()
    assert later.heads.version == other.version != first_start[0].version
    assert later.heads.info == {"examples": {"kind": 2}}


def test_what_decides_the_heads_decides_the_file():
    seeds = seed_examples()
    base = fingerprint(seeds, "use-multilingual")
    assert fingerprint(seeds, "use-multilingual") == base
    assert fingerprint(seeds, "all-MiniLM-L6-v2") != base
    relabelled = {**seeds, "kind": [(seeds["kind"][0][0], "other"), *seeds["kind"][1:]]}
    assert fingerprint(relabelled, "use-multilingual") != base


def test_a_taxonomy_gets_heads_of_its_own(cache):
    with_topics = started(str(EXAMPLE_FILE))
    assert len(list(heads_cache().glob("heads-*.npz"))) == 2
    assert "topic" in with_topics.heads.heads
    assert "topic" not in HeadSet.from_bytes(cache.read_bytes()).heads


def test_an_unreadable_file_is_trained_over_and_replaced(first_start, cache, caplog):
    cache.write_bytes(b"half a file")
    with caplog.at_level(logging.WARNING, logger="classifiers.labeler"):
        again = started()
    assert again.heads.version == first_start[0].version
    assert "unreadable" in caplog.text and "training them again" in caplog.text
    assert HeadSet.from_bytes(cache.read_bytes()).version == first_start[0].version


def test_an_unwritable_cache_only_costs_the_training(tmp_path, monkeypatch, caplog):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would go")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    with caplog.at_level(logging.WARNING, logger="classifiers.labeler"):
        labeler = started()
    assert labeler.heads is not None and "kind" in labeler.heads.heads
    assert "could not cache the trained heads" in caplog.text
