"""The online clusterer, re-clustering with stable ids, key phrases and representative quotes.

Small synthetic vectors whose similarities are worked out by hand: no model is loaded.
"""

import json

import numpy as np
import pytest

from classifiers.clustering import (
    OnlineClusterer,
    add_to_centroid,
    assign,
    centroids_of,
    key_phrases,
    recluster,
    representatives,
    similarities,
    threshold_for,
)


def at(degrees: float) -> np.ndarray:
    """A unit vector in the plane, ``degrees`` from the x axis (3-D, so a third axis is free)."""
    radians = np.radians(degrees)
    return np.array([np.cos(radians), np.sin(radians), 0.0])


def blobs(centres: int, per_centre: int, spread: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors around ``centres`` random directions in 32 dimensions, in shuffled order."""
    rng = np.random.default_rng(seed)
    directions = rng.normal(size=(centres, 32))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    vectors = np.repeat(directions, per_centre, axis=0) + spread * rng.normal(size=(centres * per_centre, 32))
    truth = np.repeat(np.arange(centres), per_centre)
    order = rng.permutation(len(vectors))
    return vectors[order] / np.linalg.norm(vectors[order], axis=1, keepdims=True), truth[order]


# --- online -----------------------------------------------------------------------------------


def test_an_item_joins_a_cluster_similar_enough_and_starts_one_otherwise():
    clusterer = OnlineClusterer(threshold=0.8)

    assert clusterer.add("a", at(0)) == (0, 0.0, False)  # nothing to join yet
    cluster, similarity, joined = clusterer.add("b", at(30))  # cos 30° = 0.866
    assert (cluster, joined) == (0, True)
    assert similarity == pytest.approx(np.cos(np.radians(30)))  # a cluster of one: the cosine
    cluster, similarity, joined = clusterer.add("c", at(90))
    assert (cluster, joined) == (1, False) and similarity < 0.8

    assert clusterer.clusters == {0: ["a", "b"], 1: ["c"]}
    assert clusterer.cluster_of("b") == 0


def test_the_threshold_decides():
    strict = OnlineClusterer(threshold=0.9)
    strict.add(1, at(0))
    assert strict.add(2, at(30))[2] is False  # 0.866 < 0.9: a cluster of its own
    assert len(strict.clusters) == 2
    with pytest.raises(ValueError, match="added before"):
        strict.add(1, at(0))


def test_similarity_to_a_bigger_cluster_counts_what_joining_adds_to_its_spread():
    centroid = (at(0) + at(20)) / 2  # two items
    x = at(10)
    expected = 1 - 2 / 3 * np.sum((x - centroid) ** 2)
    assert similarities(x, [centroid], [2])[0] == pytest.approx(expected)
    assert similarities(x, np.zeros((0, 3)), []).shape == (0,)


def test_the_pure_functions_decide_as_the_clusterer_does():
    vectors, _ = blobs(4, 10, 0.3)
    clusterer = OnlineClusterer(threshold=0.5)
    for item, vector in enumerate(vectors[:30]):
        clusterer.add(item, vector)
    ids, centroids, counts = clusterer.centroids()
    for vector in vectors[30:]:
        decision = assign(vector, centroids, counts, 0.5)
        cluster, similarity, joined = clusterer.add(len(clusterer), vector)
        assert joined == decision.joined and similarity == pytest.approx(decision.similarity)
        if decision.joined:
            assert cluster == ids[decision.index]
            centroids[decision.index], counts[decision.index] = add_to_centroid(
                centroids[decision.index], counts[decision.index], vector
            )
        else:
            ids.append(cluster)
            centroids, counts = np.vstack([centroids, vector]), np.append(counts, 1)
    assert assign(at(0), [], [], 0.5).index is None
    _, again, sizes = clusterer.centroids()
    assert np.allclose(again, centroids) and list(sizes) == list(counts)


def test_add_to_centroid_is_the_running_mean():
    centroid, count = add_to_centroid(at(0), 1, 2 * at(90))  # the vector is normalised first
    assert count == 2 and np.allclose(centroid, (at(0) + at(90)) / 2)
    order, means, counts = centroids_of([at(0), at(90), at(0)], [7, 3, 7])
    assert order == [7, 3] and list(counts) == [2, 1] and np.allclose(means[0], at(0))


# --- re-clustering ------------------------------------------------------------------------------


def test_a_merge_keeps_the_bigger_clusters_id_and_points_the_other_to_it():
    vectors = [at(0), at(2), at(4), at(1), at(3), at(90), at(92)]
    labels = [7, 7, 7, 3, 3, 5, 5]  # 3 is a fragment of 7: the same direction

    result = recluster(vectors, labels, threshold=0.5, margin=0.05)

    assert result.labels == [7, 7, 7, 7, 7, 5, 5]
    assert result.merged_into == {3: 7} and result.merges == 1
    assert result.stability == pytest.approx(5 / 7) and result.moved == 0  # merged, not moved

    tie = recluster([at(0), at(1), at(2), at(3)], [4, 4, 2, 2], threshold=0.5)
    assert tie.labels == [2, 2, 2, 2] and tie.merged_into == {4: 2}  # equal sizes: the older id


def test_an_item_moves_only_when_another_cluster_is_clearly_better():
    a = [at(-10), at(0), at(10), at(5)]
    b = [at(80), at(90), at(100)]
    # the last item of a sits at 50°, a little nearer b: leaving a saves 4/3 |x - mean_a|^2,
    # joining b costs 3/4 |x - mean_b|^2
    vectors = [*a, at(50), *b]
    labels = [0, 0, 0, 0, 0, 1, 1, 1]
    mean_a, mean_b = np.mean([*a, at(50)], axis=0), np.mean(b, axis=0)
    gain = 5 / 4 * np.sum((at(50) - mean_a) ** 2) - 3 / 4 * np.sum((at(50) - mean_b) ** 2)
    assert 0.05 < gain < 0.5

    stays = recluster(vectors, labels, threshold=0.5, margin=0.5)
    moves = recluster(vectors, labels, threshold=0.5, margin=0.05)

    assert stays.labels == labels and stays.stability == 1.0 and stays.moved == 0
    assert moves.labels == [0, 0, 0, 0, 1, 1, 1, 1]
    assert moves.moved == 1 and moves.stability == pytest.approx(7 / 8) and moves.merged_into == {}


def test_an_incoherent_cluster_splits_and_its_bigger_part_keeps_the_id():
    vectors = [at(0 + i) for i in range(12)] + [at(90 + i) for i in range(8)]
    labels = [0] * 20

    result = recluster(vectors, labels, threshold=0.5, margin=0.05, next_id=10)

    assert result.labels == [0] * 12 + [10] * 8
    assert result.split_from == {10: 0} and result.splits == 1
    assert result.stability == pytest.approx(12 / 20)


def test_a_loose_but_coherent_cluster_stays_whole():
    vectors, _ = blobs(1, 60, 0.15)  # items about 0.6 similar to each other
    result = recluster(vectors, [0] * 60, threshold=0.4, margin=0.05)
    assert result.splits == 0 and set(result.labels) == {0}


def test_an_emptied_cluster_points_to_where_its_items_went():
    vectors = [at(0), at(3), at(6), at(2)]
    result = recluster(vectors, [1, 1, 1, 9], threshold=0.5, margin=0.05)
    assert result.labels == [1, 1, 1, 1] and result.merged_into == {9: 1}


def test_reclustering_without_new_evidence_changes_nothing():
    vectors, truth = blobs(6, 40, 0.1)
    clusterer = OnlineClusterer(threshold=0.4, margin=0.05)
    for item, vector in enumerate(vectors):
        clusterer.add(item, vector)
    first = clusterer.recluster()
    again = clusterer.recluster()

    assert again.stability == 1.0 and again.merges == again.splits == again.moved == 0
    assert first.clusters == len(set(truth))  # the six blobs found
    assert (
        len({tuple(sorted(set(truth[np.asarray(clusterer.labels) == c]))) for c in clusterer.clusters}) == 6
    )


def test_merge_pointers_chain_across_reclusterings():
    clusterer = OnlineClusterer(threshold=0.999, margin=0.0)  # every item starts its own cluster
    for item, degrees in enumerate([0, 5, 10]):
        clusterer.add(item, at(degrees))
    clusterer.threshold = 0.5
    clusterer.recluster()
    [survivor] = clusterer.clusters
    assert {clusterer.resolve(cluster) for cluster in (0, 1, 2)} == {survivor}


def test_the_state_round_trips_through_plain_data():
    vectors, _ = blobs(3, 10, 0.4)
    clusterer = OnlineClusterer(threshold=0.45, margin=0.03)
    for item, vector in enumerate(vectors[:25]):
        clusterer.add(f"item-{item}", vector)
    clusterer.recluster()

    copy = OnlineClusterer.from_dict(json.loads(json.dumps(clusterer.to_dict())))

    assert copy.clusters == clusterer.clusters and copy.merged_into == clusterer.merged_into
    assert (copy.threshold, copy.margin, copy.next_id) == (0.45, 0.03, clusterer.next_id)
    for item, vector in enumerate(vectors[25:]):
        assert copy.add(f"new-{item}", vector) == pytest.approx(clusterer.add(f"new-{item}", vector))


def test_mismatched_input_is_refused():
    with pytest.raises(ValueError, match="3 vectors but 2 labels"):
        recluster([at(0), at(1), at(2)], [0, 0])
    assert recluster(np.zeros((0, 3)), []).labels == []
    clusterer = OnlineClusterer()
    clusterer.add(1, at(0))
    with pytest.raises(ValueError, match="a 2-dimensional vector for 3-dimensional clusters"):
        clusterer.add(2, [1.0, 0.0])


def test_packaged_models_have_tuned_thresholds():
    assert threshold_for("use-multilingual") == 0.30 and threshold_for("all-MiniLM-L6-v2") == 0.40
    assert threshold_for("USE-Multilingual") == 0.30
    assert 0 < threshold_for("/models/my-own") < 1


# --- titles and summaries -----------------------------------------------------------------------


def test_key_phrases_tell_a_cluster_apart_from_the_others():
    clusters = [
        [
            "Please add a dark mode to the app",
            "The app needs a dark mode, the white screen is too bright",
            "Bitte einen Dark Mode für die App, abends ist alles so hell",
        ],
        [
            "The app logs me out when I sign in with Google",
            "Google sign in fails in the app",
            "Die Anmeldung mit Google klappt in der App nicht",
        ],
        [],
    ]

    phrases = key_phrases(clusters, k=3)

    assert phrases[0][0] == "dark mode" and "dark" not in phrases[0]  # the word is inside the phrase
    assert phrases[1][0] == "google"  # "app" is in both clusters: it never leads
    assert all(len(p) <= 3 for p in phrases) and phrases[2] == []
    stop_words = {"the", "a", "die", "der", "für", "bitte", "ist", "nicht", "mit"}
    assert not {word for p in phrases for phrase in p for word in phrase.split()} & stop_words
    assert "mode app" not in phrases[0]  # no phrase across the stop words of "Mode für die App"
    assert key_phrases([["the and", "und der"]]) == [[]]


def test_key_phrases_do_not_repeat_a_plural():
    phrases = key_phrases([["exchange rate today", "exchange rates please", "exchange rate fee"], ["card"]])
    assert "exchange rate" in phrases[0] and "exchange rates" not in phrases[0]


def test_representatives_are_central_and_different_from_each_other():
    vectors = [at(0), at(0.5), at(20), at(-20), at(1)]  # three near the centre, two on the sides

    nearest = representatives(vectors, k=3, diversity=0.0)
    varied = representatives(vectors, k=3, diversity=0.7)

    assert nearest[0] in (0, 1, 4) and set(nearest) == {0, 1, 4}
    assert varied[0] == nearest[0] and {2, 3} <= set(varied)  # the near-copies are passed over
    assert representatives(vectors, k=10) == representatives(vectors, k=5)
    assert sorted(representatives(vectors, k=10)) == [0, 1, 2, 3, 4]
    assert representatives(np.zeros((0, 3)), k=2) == []
