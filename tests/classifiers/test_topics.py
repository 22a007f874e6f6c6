"""The topic taxonomy loader: the shipped example, and errors that name the topic at fault."""

import textwrap

import pytest

from classifiers.topics import EXAMPLE_FILE, MIN_EXAMPLES, Taxonomy, TaxonomyError, load_topics, parse_topics


def write(tmp_path, text: str):
    path = tmp_path / "topics.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_the_example_taxonomy_loads_with_six_to_eight_topics_in_english_and_german():
    taxonomy = load_topics(EXAMPLE_FILE)
    assert isinstance(taxonomy, Taxonomy)
    assert 6 <= len(taxonomy.names) <= 8
    assert {"billing", "login_account", "sync", "performance", "mobile_app", "notifications"} <= set(
        taxonomy.names
    )
    for name, topic in taxonomy.topics.items():
        assert len(topic.all_examples("en")) >= 5, name
        assert len(topic.all_examples("de")) >= 5, name
        assert topic.label


def test_labelled_examples_pair_each_phrase_with_its_topic():
    taxonomy = load_topics(EXAMPLE_FILE)
    pairs = taxonomy.labelled_examples("de")
    assert ("Wo finde ich meine Rechnungen?", "billing") in pairs
    assert all(name in taxonomy.topics for _, name in pairs)
    assert len(taxonomy.labelled_examples()) == sum(len(t.all_examples()) for t in taxonomy.topics.values())


def test_a_minimal_taxonomy_is_valid(tmp_path):
    path = write(
        tmp_path,
        """
        topics:
          sync:
            label: Sync
            examples:
              en: [notes missing on laptop, sync stuck]
              de: ["  Sync hängt  "]
        """,
    )
    taxonomy = load_topics(path)
    assert taxonomy.version == 1
    assert taxonomy.topics["sync"].examples["de"] == ["Sync hängt"]


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        (
            """
            topics:
              billing:
                label: Billing
                examples: {en: [charged twice, invoice missing]}
            """,
            f"topic 'billing': examples: needs at least {MIN_EXAMPLES} examples, has 2",
        ),
        (
            """
            topics:
              billing:
                examples: {en: [a, b, c]}
            """,
            "topic 'billing': label: Field required",
        ),
        (
            """
            topics:
              billing:
                label: Billing
                examples: {english: [a, b, c]}
            """,
            "topic 'billing': examples: language 'english' is not a lower-case ISO 639-1 code",
        ),
        (
            """
            topics:
              billing:
                label: Billing
                examples: {en: [refund, Refund, invoice]}
            """,
            "topic 'billing': examples: example 'Refund' appears twice",
        ),
        (
            """
            topics:
              Billing Stuff:
                label: Billing
                examples: {en: [a, b, c]}
            """,
            "topic 'Billing Stuff': the name must be lower_snake_case",
        ),
        (
            """
            topics:
              billing:
                label: Billing
                colour: red
                examples: {en: [a, b, c]}
            """,
            "topic 'billing': colour: Extra inputs are not permitted",
        ),
        ("topics: {}\n", "at least one topic"),
        ("- just\n- a list\n", "expected a mapping with 'topics'"),
        ("topics: [unclosed\n", "not valid YAML"),
    ],
)
def test_invalid_taxonomies_are_errors_that_name_the_topic(tmp_path, yaml_text, message):
    path = write(tmp_path, yaml_text)
    with pytest.raises(TaxonomyError) as raised:
        load_topics(path)
    assert str(path) in str(raised.value)
    assert message in str(raised.value)


def test_a_topic_given_twice_is_an_error_not_an_overwrite(tmp_path):
    path = write(
        tmp_path,
        """
        topics:
          billing:
            label: Billing
            examples: {en: [a, b, c]}
          billing:
            label: Payments
            examples: {en: [d, e, f]}
        """,
    )
    with pytest.raises(TaxonomyError, match=r"line 6: 'billing' is given twice"):
        load_topics(path)


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(TaxonomyError, match="cannot be read"):
        load_topics(tmp_path / "nope.yaml")


def test_parse_topics_accepts_already_parsed_data():
    taxonomy = parse_topics({"topics": {"sync": {"label": "Sync", "examples": {"en": ["a", "b", "c"]}}}})
    assert taxonomy.names == ["sync"]
    with pytest.raises(TaxonomyError, match="^settings.yaml: topic 'sync'"):
        parse_topics({"topics": {"sync": {"label": "Sync", "examples": {}}}}, source="settings.yaml")
