"""The evaluation suite: metrics, dataset loaders, the embedding cache and the protocols.

Everything runs on a tiny datasets folder that the tests write themselves (tests/classifiers/
fake_datasets.py) and embeds with the multilingual USE model, which loads in about a second.
"""

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.dummy import DummyClassifier

from classifiers.evaluation import clustering, metrics
from classifiers.evaluation.cache import EmbeddingCache, EmbedProgress
from classifiers.evaluation.datasets import (
    DatasetError,
    load_banking77,
    load_clap,
    load_cross_language,
    load_dev,
    load_germeval,
    load_tweeteval,
)
from classifiers.evaluation.recipes import clean_tweet
from classifiers.evaluation.suite import PROJECT, TASKS, make_head, run_suite, select_tasks
from classifiers.labels import KINDS, SENTIMENTS
from tests.classifiers.fake_datasets import write_fake_datasets

MODEL = "use-multilingual"


@pytest.fixture(scope="module")
def datasets_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_fake_datasets(tmp_path_factory.mktemp("datasets"))


# --- metrics, against values worked out by hand -----------------------------------------------

GOLD = ["a", "a", "b", "b", "c"]
PREDICTED = ["a", "b", "b", "b", "a"]
# per class: a P 1/2 R 1/2; b P 2/3 R 1; c P 0 (never predicted) R 0


def test_accuracy_and_macro_recall():
    assert metrics.accuracy(GOLD, PREDICTED) == pytest.approx(3 / 5)
    assert metrics.macro_recall(GOLD, PREDICTED) == pytest.approx((1 / 2 + 1 + 0) / 3)


def test_macro_f1_averages_the_per_class_f1():
    assert metrics.macro_f1(GOLD, PREDICTED) == pytest.approx((1 / 2 + 4 / 5 + 0) / 3)  # 0.4333


def test_germeval_average_f_is_the_f1_of_macro_precision_and_macro_recall():
    precision, recall = (1 / 2 + 2 / 3 + 0) / 3, 1 / 2  # 7/18 and 9/18
    assert metrics.average_f(GOLD, PREDICTED) == pytest.approx(2 * precision * recall / (precision + recall))
    assert metrics.average_f(GOLD, PREDICTED) == pytest.approx(7 / 16)  # not macro F1's 0.4333


def test_expected_calibration_error_weighs_each_bins_gap_by_its_share():
    # bin 0.2-0.3: confidence 0.25, 1 of 2 right (gap 0.25); bin 0.9-1.0: 0.95 and 1.0, both right
    confidence, correct = [0.25, 0.25, 0.95, 1.0], [True, False, True, True]
    assert metrics.expected_calibration_error(confidence, correct) == pytest.approx(
        0.5 * 0.25 + 0.5 * abs(1.0 - 0.975)
    )
    assert metrics.expected_calibration_error([0.8] * 5, [True] * 4 + [False]) == pytest.approx(0.0)
    with pytest.raises(ValueError, match="2 confidences but 1 outcomes"):
        metrics.expected_calibration_error([0.5, 0.5], [True])
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        metrics.expected_calibration_error([1.5], [True])


def test_binary_f1_is_the_f1_of_the_positive_class():
    assert metrics.binary_f1([True, True, False, False, True], [True, False, True, False, True]) == (
        pytest.approx(2 / 3)  # tp 2, 3 gold, 3 predicted
    )
    assert metrics.binary_f1([False, False], [False, False]) == 0.0
    with pytest.raises(ValueError, match="2 gold labels but 1 predictions"):
        metrics.accuracy(["a", "b"], ["a"])


# --- loaders ----------------------------------------------------------------------------------


def test_loaders_read_the_real_file_formats(datasets_dir):
    train = load_banking77(datasets_dir, "train")
    assert len(train) == 36 and set(train.labels) == {"card_arrival", "exchange_rate", "lost_card"}

    clap = load_clap(datasets_dir)
    assert len(clap) == 30 and clap.labels.count("BUG") == 10
    assert clap.texts[0] == 'It says "error 42", then, it crashes\nand closes'  # CSV quoting kept

    sentiment = load_tweeteval(datasets_dir, "sentiment", "val")
    assert set(sentiment.labels) == {"negative", "neutral", "positive"}  # names from mapping.txt
    assert sentiment.texts[0].endswith(" ")  # the text as published: only the line end goes
    assert load_tweeteval(datasets_dir, "offensive", "test").labels.count("offensive") == 4

    germeval = load_germeval(datasets_dir, "train")
    assert set(germeval.labels) == {"OTHER", "OFFENSE"}
    assert "\n" in germeval.texts[0] and "|LBR|" not in germeval.texts[0]  # |LBR| is a line break
    assert set(load_germeval(datasets_dir, "test", task="fine").labels) == {"OTHER", "INSULT"}


def test_a_missing_file_is_named(tmp_path, datasets_dir):
    with pytest.raises(DatasetError, match=r"banking77/test\.csv is missing"):
        load_banking77(tmp_path, "test")
    with pytest.raises(DatasetError, match=r"sentiment/train_text\.txt is missing"):
        load_tweeteval(datasets_dir, "sentiment", "train")  # as in the real folder, there is none


def test_malformed_files_are_named_with_the_reason(tmp_path):
    folder = tmp_path / "tweeteval" / "offensive"
    folder.mkdir(parents=True)
    (folder / "mapping.txt").write_text("0\tnot-offensive\n1\toffensive\n", encoding="utf-8")
    (folder / "test_text.txt").write_text("one\ntwo\n", encoding="utf-8")
    (folder / "test_labels.txt").write_text("0\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="has 2 lines but .*test_labels.txt has 1"):
        load_tweeteval(tmp_path, "offensive", "test")
    (tmp_path / "germeval2018").mkdir()
    (tmp_path / "germeval2018" / "germeval2018.test.txt").write_text("no tabs here\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="germeval2018.test.txt:1: expected text<TAB>coarse<TAB>fine"):
        load_germeval(tmp_path, "test")


# --- the embedding cache ----------------------------------------------------------------------


@pytest.mark.slow
def test_second_run_embeds_nothing_and_returns_the_same_vectors(tmp_path):
    texts = [f"Feedback number {i} about the export" for i in range(10)] + ["repeated"] * 3
    progress: list[EmbedProgress] = []

    first = EmbeddingCache(tmp_path, batch_size=4, shard_size=4, max_shards=2)
    vectors = first.embed(MODEL, texts, label="fake", on_progress=progress.append)

    stats = first.stats[MODEL]
    assert (stats.requested, stats.cached, stats.embedded) == (13, 0, 11)  # the repeat embedded once
    assert stats.texts_per_second and stats.load_seconds > 0
    assert vectors.shape == (13, 512) and vectors.dtype == np.float32
    assert np.array_equal(vectors[10], vectors[12])
    assert progress[0].done == 0 and progress[-1].done == progress[-1].total == 11
    [folder] = tmp_path.iterdir()
    assert json.loads((folder / "model.json").read_text())["model_id"] == stats.model_id
    assert len(list(folder.glob("*.keys"))) == 1  # three shards of 4, merged past max_shards

    second = EmbeddingCache(tmp_path)
    again = second.embed(MODEL, list(reversed(texts)))

    stats = second.stats[MODEL]
    assert (stats.requested, stats.cached, stats.embedded, stats.load_seconds) == (13, 11, 0, 0)
    assert stats.texts_per_second is None
    assert np.array_equal(again, vectors[::-1])

    second.embed(MODEL, ["one new text", texts[0]])
    assert (second.stats[MODEL].embedded, second.stats[MODEL].cached) == (1, 12)


# --- the suite --------------------------------------------------------------------------------


def test_tasks_are_selected_by_name_or_pattern():
    assert [t.name for t in select_tasks(["clap-*", "banking77-full"])] == [
        "banking77-full",
        "clap-bug",
        "clap-feature",
        "clap-default-bug",
        "clap-default-feature",
    ]
    assert select_tasks(None) == list(TASKS)
    with pytest.raises(ValueError, match="no task matches 'nope'; tasks: banking77-full"):
        select_tasks(["nope"])


def test_every_task_has_a_bar_and_says_where_its_baselines_come_from():
    for task in TASKS:
        assert task.bar > 0 and task.scale in (1, 100) and task.protocol
        assert task.published is None or task.published_source
        assert task.best is None or task.best_source
    assert isinstance(make_head("banking77-full"), type(make_head("clap-bug")))


@pytest.mark.slow
def test_suite_runs_every_protocol_and_a_second_run_embeds_nothing(datasets_dir, tmp_path):
    report = run_suite(datasets_dir, models=[MODEL], cache=EmbeddingCache(tmp_path))

    names = [t.name for t in TASKS]
    assert [(r.task.name, r.model) for r in report.results] == [
        *((name, MODEL) for name in names),
        *((name, PROJECT) for name in names),
    ]
    for result in report.results:
        ratio = result.task.name == "banking77-clustering"  # against k-means: may pass 1
        gain = result.task.name == "learning-curve"  # a difference of two F1: may be negative
        assert (gain or result.score >= 0) and (ratio or result.score <= result.task.scale)
        assert result.met == (result.score >= result.task.bar)
    scores = {r.task.name: r for r in report.results if r.model == MODEL}
    assert scores["banking77-full"].score == pytest.approx(100.0)  # three easy intents
    assert len(scores["banking77-fewshot"].details["per_seed"]) == 5
    assert len(scores["clap-bug"].details["per_fold"]) == 5
    assert scores["clap-default-bug"].score > 0.5  # the shipped classifier, seed set only
    recipes = {r.task.name: r for r in report.results if r.model == PROJECT}
    assert recipes["banking77-full"].heads == "LR(cat, C=10)"  # both models' vectors side by side
    assert recipes["banking77-full"].score == pytest.approx(100.0)
    assert recipes["germeval-coarse"].heads.endswith(
        "LR(tfidf, C=3, balanced), tweets cleaned up for use/tfidf"
    )
    assert recipes["clap-feature"].details["chosen_per_fold"][0]["threshold"] > 0  # chosen on train folds
    assert all("C minilm" in chosen for chosen in recipes["banking77-fewshot"].details["chosen_per_seed"])
    assert recipes["clap-default-bug"].heads == "the shipped classifier with use-multilingual"
    clustered = scores["banking77-clustering"].details
    assert clustered["kmeans"]["clusters"] == 3 and clustered["items"] == 12
    assert len(clustered["shuffled"]["per_seed"]) == 3 and "stability_last_pass" in clustered["ours"]
    assert scores["banking77-clustering"].heads.startswith("online + re-clustering every 250")
    assert scores["clustering-cross-language"].score >= 0.75  # the real multilingual model, our set
    assert recipes["clustering-cross-language"].heads.startswith(
        "the shipped clusterer with use-multilingual"
    )
    data = json.loads(json.dumps(report.to_json()))
    assert data["models"][MODEL]["texts_embedded"] > 0 and len(data["results"]) == 2 * len(TASKS)
    assert set(data["models"]) == {"all-MiniLM-L6-v2", "use-multilingual"}

    again = run_suite(datasets_dir, models=[MODEL], cache=EmbeddingCache(tmp_path))

    assert all(stats.embedded == 0 and stats.cached > 0 for stats in again.models.values())
    assert [r.score for r in again.results] == [r.score for r in report.results]


@pytest.mark.slow
def test_a_head_dropped_in_through_make_head_is_used_per_task(datasets_dir, tmp_path):
    asked: list[str] = []

    def majority(task: str) -> DummyClassifier:
        asked.append(task)
        return DummyClassifier(strategy="most_frequent")

    report = run_suite(
        datasets_dir,
        models=[MODEL],
        tasks=["banking77-full", "tweeteval-sentiment", "germeval-coarse"],
        cache=EmbeddingCache(tmp_path),
        make_head=majority,
        project=False,
    )

    assert asked == ["banking77-full", "tweeteval-sentiment", "germeval-coarse"]
    # one class always: a third of the balanced test sets; GermEval's Average-F is 2*.25*.5/.75
    assert [round(r.score, 2) for r in report.results] == [33.33, 33.33, 33.33]


def test_a_missing_file_fails_before_anything_is_embedded(tmp_path, datasets_dir):
    cache = EmbeddingCache(tmp_path / "cache")
    with pytest.raises(DatasetError, match="germeval2018.training.txt is missing"):
        run_suite(datasets_dir / "banking77", models=[MODEL], tasks=["germeval-*"], cache=cache)
    with pytest.raises(DatasetError, match="does not exist"):
        run_suite(tmp_path / "nowhere", models=[MODEL], cache=cache)
    assert cache.stats == {}


def test_tweets_are_cleaned_up_for_the_encoders():
    tweet = "@a @b @c #NeverAgain2020 so true 😂 https://t.co/x"
    assert clean_tweet(tweet) == "@user Never Again 2020 so true face with tears of joy http"
    assert (
        clean_tweet("Echt jetzt 😂 #Merkel", language="de") == "Echt jetzt gesicht mit freudentränen Merkel"
    )


def test_the_development_sets_that_chose_the_shipped_classifier_ship_as_eval_tasks():
    reviews = load_dev(("reviews_a", "reviews_b"), "kind")
    forum = load_dev(("forum",), "kind")
    feedback = load_dev(("feedback_de",), "sentiment")

    assert (len(reviews), len(forum), len(feedback)) == (1000, 600, 300)
    assert set(reviews.labels) == set(forum.labels) == set(KINDS)
    assert set(feedback.labels) == set(SENTIMENTS) and set(feedback.languages) == {"de"}
    assert reviews.languages.count("de") == 200  # 100 German reviews from each writer
    assert [t.name for t in select_tasks(["dev-*"])] == [
        "dev-kind-reviews",
        "dev-kind-forum",
        "dev-sentiment-feedback-de",
    ]
    with pytest.raises(DatasetError, match="nope.jsonl is missing"):
        load_dev(("nope",), "kind")


# --- clustering -------------------------------------------------------------------------------


def test_the_cross_language_set_pairs_english_and_german_reports_of_each_problem():
    reports = load_cross_language()
    assert len(reports) == 48 and len(set(reports.texts)) == 48
    for problem in set(reports.labels):
        languages = [lang for lang, p in zip(reports.languages, reports.labels, strict=True) if p == problem]
        assert sorted(languages) == ["de"] * 3 + ["en"] * 3
    assert len(set(reports.labels)) == 8


def test_reclustering_is_scheduled_every_so_many_items_with_the_tail_in_the_last_pass():
    assert clustering.schedule(3080, 250) == [*range(250, 2751, 250), 3080]
    assert clustering.schedule(12, 250) == [12]
    assert clustering.schedule(500, 250) == [250, 500]
    assert clustering.schedule(0, 250) == []


def _blobs(centres: int, per_centre: int, seed: int = 0) -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    directions = rng.normal(size=(centres, 24))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    vectors = np.repeat(directions, per_centre, axis=0) + 0.1 * rng.normal(size=(centres * per_centre, 24))
    return vectors, [f"intent-{i}" for i in np.repeat(np.arange(centres), per_centre)]


def test_the_banking77_protocol_compares_with_kmeans_on_the_same_vectors():
    vectors, gold = _blobs(5, 30)

    score, details = clustering.banking77(vectors, gold, threshold=0.4, margin=0.05, every=50)

    assert details["kmeans"]["clusters"] == 5 and details["ours"]["clusters"] == 5
    assert details["v_ratio"] == pytest.approx(1.0) and details["ari_ratio"] == pytest.approx(1.0)
    assert score == pytest.approx(min(1 / 0.95, 1 / 0.9))
    assert details["recluster_after"] == [50, 100, 150]
    assert len(details["ours"]["stability_per_pass"]) == 3
    assert details["one_pass_at_the_end"]["after_the_pass"]["clusters"] == 5
    assert json.loads(json.dumps(details)) == details
    assert "V 1.000 (k-means 1.000)" in clustering.describe("banking77-clustering", details)


def test_the_cross_language_protocol_counts_problems_whose_languages_meet():
    vectors, problems = _blobs(2, 4)
    languages = ["en", "en", "de", "de"] * 2
    vectors[6:] = -vectors[0]  # the second problem's German reports look like nothing else

    score, details = clustering.cross_language(vectors, problems, languages, threshold=0.4, margin=0.05)

    assert score == 0.5 and details["per_problem"]["intent-0"]["together"] is True
    assert details["per_problem"]["intent-1"] == {
        "together": False,
        "all_in_one_cluster": False,
        "clusters": [1, 2],
    }
    assert "EN + DE together for 1 of 2 problems" in clustering.describe("clustering-cross-language", details)
