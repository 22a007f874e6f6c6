"""Cluster titles without a service: a report's key sentence, cleaned; which report names a cluster;
and the evaluation's checks."""

import numpy as np

from classifiers.evaluation.clustering import keyword_list, readable, titles
from classifiers.titles import fallback_language, key_sentence, shared_words, title_sources


def test_the_key_sentence_leaves_out_greetings_links_emoji_quotes_and_signatures():
    text = (
        "> Earlier: does anyone else see this?\n"
        "Hi team,\n"
        'The "PDF export" crashes every time 😡 https://example.org/t/42 #bug @support\n'
        "Thanks in advance!\n"
        "-- \n"
        "Jane Roe, Example Corp"
    )
    assert key_sentence(text) == "The PDF export crashes every time"
    assert key_sentence("Hallo zusammen! Seit dem Update stürzt der PDF-Export ab. Viele Grüße") == (
        "Seit dem Update stürzt der PDF-Export ab"
    )
    assert key_sentence("Thanks! 👍") == ""


def test_the_key_sentence_is_the_one_that_says_what_the_others_say_and_a_long_one_ends_at_a_clause():
    text = "I have used this app for years and love it. But sync never finishes on my iPad."
    others = ["Sync never finishes", "sync hangs on my iPad"]
    assert key_sentence(text, shared_words(others)) == "Sync never finishes on my iPad"
    assert key_sentence(text) == "I have used this app for years and love it"  # nothing shared: the first

    long = (
        "The export to PDF crashes the whole application immediately, and after that I have to log in "
        "again and set everything up from scratch"
    )
    assert key_sentence(long) == "The export to PDF crashes the whole application immediately"


def test_a_title_stays_with_its_report_while_that_is_among_the_most_representative():
    # Around the first axis, symmetric: the centroid is on it, and row 0 nearest, row 6 farthest.
    vectors = np.vstack([[1.0, d] for d in (0.0, 0.01, -0.01, 0.2, -0.2, 0.3, -0.3)])
    languages = ["en"] * 7
    assert title_sources(vectors, languages) == {"en": 0}  # the nearest
    assert title_sources(vectors, languages, {"en": 2}) == {"en": 2}  # third nearest: kept
    assert title_sources(vectors, languages, {"en": 3}) == {"en": 0}  # no longer among the three

    mixed = title_sources(vectors, ["de", "en", "de", "en", None, "en", "de"])
    assert mixed == {"de": 0, "en": 1, "und": 4}
    assert fallback_language({"de": 2, "en": 3, "und": 9}) == "en"
    assert fallback_language({"und": 1}) == "und" and fallback_language({}) is None


def test_the_evaluation_tells_sentences_from_keyword_lists():
    assert keyword_list("acquisition, anymore, app gestern, app takes")
    assert not keyword_list("Export crashes, every time, since the update on my phone")
    assert readable("Der PDF-Export stürzt seit dem Update ab", "de")["readable"]
    assert not readable("tabellen, add tables, editor einbauen, hilfreich", "de")["readable"]
    assert not readable("Der PDF-Export stürzt seit dem Update jedes Mal ab", "en")["one_language"]
    assert not readable("x" * 81, "und")["short"]


def test_titles_are_measured_against_the_true_groups():
    rng = np.random.default_rng(0)
    texts, gold, languages, vectors = [], [], [], []
    for axis, (en, de) in enumerate(
        [("PDF export crashes", "PDF-Export stürzt ab"), ("Sync never finishes", "Sync hängt immer")]
    ):
        for n in range(4):
            for language, text in (("en", en), ("de", de)):
                texts.append(f"{text} ({n})")
                gold.append(f"problem {axis}")
                languages.append(language)
                vector = np.zeros(8)
                vector[axis] = 1.0
                vectors.append(vector + rng.normal(0, 0.05, 8))
    score, details = titles(np.vstack(vectors), texts, gold, languages, threshold=0.5, margin=0.05)
    assert score == 1.0 and details["titles"] == 4 and details["readable"] == 1.0
    assert details["key_phrase_titles_before"]["readable"] < 1.0
