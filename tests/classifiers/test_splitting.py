"""Splitting mixed messages: sentence spans, then parts from a deterministic keyword classifier."""

import pytest

from classifiers.splitting import Part, split_parts, split_sentences

# A stand-in for the real kind classifier: the splitter's decisions are under test, not a model.
KEYWORDS = {
    "praise": ("love", "great", "thanks", "danke", "super", "toll", "liebe"),
    "bug_report": ("crash", "broken", "stürzt", "absturz", "kaputt", "fehler"),
    "question": ("how do i", "wie ", "where", "wo finde"),
    "feature_request": ("please add", "bitte", "would be nice", "wäre schön"),
}


def keyword_classify(texts: list[str]) -> list[tuple[str, float]]:
    labels = []
    for text in texts:
        lowered = text.lower()
        hits = [kind for kind, words in KEYWORDS.items() if any(w in lowered for w in words)]
        if len(hits) == 1:
            labels.append((hits[0], 0.9))
        elif hits:
            labels.append((hits[0], 0.5))  # two kinds at once: unsure
        else:
            labels.append(("other", 0.3))
    return labels


def assert_spans_slice_the_original(text: str, pieces) -> None:
    for piece in pieces:
        assert text[piece.start : piece.end] == piece.text
    starts = [p.start for p in pieces]
    assert starts == sorted(starts)


EXAMPLE = "Love the new editor! Export to PDF crashes though. How do I get my old drafts back?"


def test_the_example_splits_into_praise_bug_report_and_question():
    parts = split_parts(EXAMPLE, keyword_classify)
    assert [(p.kind, p.text) for p in parts] == [
        ("praise", "Love the new editor!"),
        ("bug_report", "Export to PDF crashes though."),
        ("question", "How do I get my old drafts back?"),
    ]
    assert all(p.confidence == 0.9 for p in parts)
    assert_spans_slice_the_original(EXAMPLE, parts)


def test_a_german_mixed_message_splits_and_merges_adjacent_sentences_of_one_kind():
    text = (
        "Ich liebe die neue Version! Danke an das Team. "
        "Aber der Export stürzt ab, z.B. bei langen Tabellen. Seit v2.3 ist er kaputt…\n"
        "Bitte baut einen Dunkelmodus ein."
    )
    parts = split_parts(text, keyword_classify)
    assert [p.kind for p in parts] == ["praise", "bug_report", "feature_request"]
    assert parts[0].text == "Ich liebe die neue Version! Danke an das Team."
    assert parts[1].text == "Aber der Export stürzt ab, z.B. bei langen Tabellen. Seit v2.3 ist er kaputt…"
    assert_spans_slice_the_original(text, parts)


def test_a_message_of_one_kind_is_not_split():
    assert split_parts("Love the editor! Great work. Thanks so much!", keyword_classify) == []
    assert split_parts("Die App stürzt ab. Seit dem Update kaputt.", keyword_classify) == []


def test_a_single_sentence_is_not_split_and_classify_is_not_called():
    def never(texts: list[str]) -> list[tuple[str, float]]:
        raise AssertionError("classify must not be called for one sentence")

    assert split_parts("Love the editor but export crashes", never) == []
    assert split_parts("", never) == []


def test_unsure_sentences_join_the_part_before_them():
    text = "Love the new editor! It is what it is. Export to PDF crashes."
    parts = split_parts(text, keyword_classify)
    assert [(p.kind, p.text) for p in parts] == [
        ("praise", "Love the new editor! It is what it is."),
        ("bug_report", "Export to PDF crashes."),
    ]
    assert parts[0].confidence == 0.9  # the unsure sentence does not dilute the part


def test_unsure_sentences_at_the_start_join_the_first_part():
    text = "Hi team. Love the new editor! Export to PDF crashes."
    parts = split_parts(text, keyword_classify)
    assert parts[0].text == "Hi team. Love the new editor!"
    assert parts[0].start == 0
    assert_spans_slice_the_original(text, parts)


def test_only_one_confident_kind_is_not_mixed():
    # the bug sentence mentions praise words too, so it is unsure and cannot form a part
    assert (
        split_parts("Love the new editor! Great, but thanks to you export crashes.", keyword_classify) == []
    )


def test_min_confidence_decides_which_sentences_count():
    def graded(texts: list[str]) -> list[tuple[str, float]]:
        return [("praise", 0.95), ("bug_report", 0.7)][: len(texts)]

    text = "Love it! Export crashes."
    assert [p.kind for p in split_parts(text, graded)] == ["praise", "bug_report"]
    assert split_parts(text, graded, min_confidence=0.8) == []


def test_part_confidence_is_the_length_weighted_mean_of_its_sentences():
    def graded(texts: list[str]) -> list[tuple[str, float]]:
        return [("praise", 1.0), ("praise", 0.7), ("bug_report", 0.8)]

    text = "Love it! Really great stuff. Export crashes."
    praise, bug = split_parts(text, graded)
    assert praise == Part(
        "Love it! Really great stuff.", 0, 28, "praise", round((8 * 1.0 + 19 * 0.7) / 27, 4)
    )
    assert bug.confidence == 0.8


def test_non_adjacent_parts_of_one_kind_stay_apart():
    text = "Love it! Export crashes. Thanks anyway!"
    assert [p.kind for p in split_parts(text, keyword_classify)] == ["praise", "bug_report", "praise"]


def graded_by(labels: dict[str, tuple[str, float]]):  # type: ignore[no-untyped-def]
    return lambda texts: [labels[text] for text in texts]


BRING_BACK = "The old toolbar was so much better. It's 2026. Bring it back please."
BRING_BACK_LABELS = {
    "The old toolbar was so much better.": ("criticism", 0.9),
    "It's 2026.": ("other", 0.91),
    "Bring it back please.": ("feature_request", 0.84),
}


def test_a_short_fragment_without_a_kind_stays_with_its_neighbour():
    parts = split_parts(BRING_BACK, graded_by(BRING_BACK_LABELS))

    assert [(p.text, p.kind) for p in parts] == [
        ("The old toolbar was so much better. It's 2026.", "criticism"),
        ("Bring it back please.", "feature_request"),
    ]
    # min_words=0: every confident sentence counts, as before issue 15; "It's 2026." was a part
    assert [p.kind for p in split_parts(BRING_BACK, graded_by(BRING_BACK_LABELS), min_words=0)] == [
        "criticism", "other", "feature_request"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "labels"),
    [
        (
            "Hi! How do I share a notebook?",
            {"Hi!": ("other", 0.89), "How do I share a notebook?": ("question", 0.98)},
        ),
        (
            "Hallo zusammen! Wie teile ich ein Notizbuch?",
            {"Hallo zusammen!": ("other", 0.72), "Wie teile ich ein Notizbuch?": ("question", 0.83)},
        ),
        (
            "Das Design ist hässlich. Echt jetzt.",
            {"Das Design ist hässlich.": ("criticism", 0.95), "Echt jetzt.": ("other", 0.9)},
        ),
    ],
)
def test_greetings_and_interjections_are_not_parts_of_their_own(text, labels):
    assert split_parts(text, graded_by(labels)) == []


def test_a_short_sentence_with_a_kind_still_counts_and_a_long_other_one_too():
    labels = {"Love it!": ("praise", 0.9), "Export crashes.": ("bug_report", 0.9),
              "Does anyone here also play chess?": ("other", 0.8)}  # fmt: skip
    text = "Love it! Export crashes. Does anyone here also play chess?"
    assert [p.kind for p in split_parts(text, graded_by(labels))] == ["praise", "bug_report", "other"]


def test_classify_must_return_one_label_per_sentence():
    with pytest.raises(ValueError, match="2 segments"):
        split_parts("One. Two.", lambda texts: [("praise", 0.9)])


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("Great app! Sync broken? Help…", ["Great app!", "Sync broken?", "Help…"]),
        ("Why?! Really??? no way.", ["Why?!", "Really???", "no way."]),
        ("Wait... it works now", ["Wait...", "it works now"]),
        ("first line\nsecond line\n\n- third", ["first line", "second line", "- third"]),
        ("I use e.g. tags. Also i.e. folders.", ["I use e.g. tags.", "Also i.e. folders."]),
        (
            "Das gilt z.B. für Tabellen. Und z. B. für Bilder.",
            ["Das gilt z.B. für Tabellen.", "Und z. B. für Bilder."],
        ),
        ("Seit v2.3.1 hängt es. Davor lief 2.2 gut.", ["Seit v2.3.1 hängt es.", "Davor lief 2.2 gut."]),
        (
            "See https://example.com/help?x=1.5&y=2. Then retry!",
            ["See https://example.com/help?x=1.5&y=2.", "Then retry!"],
        ),
        ("Dr. Smith from J. Doe's team helped. Thanks!", ["Dr. Smith from J. Doe's team helped.", "Thanks!"]),
        ("Am 3. März kam das Update. Seitdem hängt es.", ["Am 3. März kam das Update.", "Seitdem hängt es."]),
        ("„Geht nicht.“ schreibt er. Ich auch.", ["„Geht nicht.“ schreibt er.", "Ich auch."]),
        ("Er sagte: „Geht nicht!“ Dann ging es.", ["Er sagte: „Geht nicht!“", "Dann ging es."]),
        ("Love it! 😍 Export crashes though", ["Love it! 😍", "Export crashes though"]),
        ("Love it 😍 Export crashes though", ["Love it 😍", "Export crashes though"]),
        ("Love it 😍 and the export too", ["Love it 😍 and the export too"]),
        ("  padded text.   ", ["padded text."]),
        ("", []),
        (" \n ", []),
    ],
)
def test_sentences_and_their_spans(text, sentences):
    segments = split_sentences(text)
    assert [s.text for s in segments] == sentences
    assert_spans_slice_the_original(text, segments)
