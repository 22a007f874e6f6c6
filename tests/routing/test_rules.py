"""Routing rules: the default file, first match wins, conditions, and errors with file:line."""

from pathlib import Path

import pytest

from classifiers import KINDS
from feedback_router.errors import ConfigurationError
from feedback_router.routing import rules

DEFAULT = rules.load(None)


@pytest.mark.parametrize(
    ("kind", "team", "rule"),
    [
        ("question", "support", "questions-to-support"),
        ("bug_report", "product", "product-issues"),
        ("feature_request", "product", "product-issues"),
        ("criticism", "product", "product-issues"),
        ("praise", "social", "praise-to-social"),
        ("abuse", "moderation", "abuse-to-moderation"),
    ],
)
def test_default_rules_route_each_kind(kind, team, rule):
    decision = rules.decide(DEFAULT, kind=kind, confidence=0.91, source="forum")

    assert (decision.team, decision.rule) == (team, rule)
    assert decision.reason == f"rule '{rule}' matched: kind {kind} (confidence 0.91), source forum"


def test_default_rules_leave_other_to_triage():
    decision = rules.decide(DEFAULT, kind="other", confidence=0.88, source="email")

    assert (decision.team, decision.rule) == ("triage", None)
    assert decision.reason == "no rule matched kind other (confidence 0.88); default team triage"


def test_default_rules_cover_every_kind():
    teams = {kind: rules.decide(DEFAULT, kind=kind, confidence=0.5, source="api").team for kind in KINDS}
    assert set(teams) == set(KINDS)
    assert set(teams.values()) == {"support", "product", "social", "moderation", "triage"}


def test_first_matching_rule_wins():
    config = rules.parse(
        """
version: 1
rules:
  - name: crashes-first
    when: {kind: bug_report}
    team: mobile
  - name: all-product
    when: {kind: [bug_report, feature_request]}
    team: product
  - name: everything-else
    team: community
"""
    )

    assert rules.decide(config, kind="bug_report", confidence=0.9, source="api").rule == "crashes-first"
    assert rules.decide(config, kind="feature_request", confidence=0.9, source="api").team == "product"
    # A rule without `when` matches everything, so the default team is never reached.
    other = rules.decide(config, kind="other", confidence=0.1, source="api")
    assert (other.team, other.rule) == ("community", "everything-else")


MIXED = rules.parse(
    """
version: 1
rules:
  - name: sure-bugs
    when: {kind: bug_report, min_confidence: 0.7}
    team: product
  - name: store-reviews
    when: {source: app_review}
    team: mobile
  - name: public-questions
    when:
      kind: question
      source: [forum, twitter]
    team: community
default_team: humans
"""
)


@pytest.mark.parametrize(
    ("kind", "confidence", "source", "team"),
    [
        ("bug_report", 0.95, "forum", "product"),
        ("bug_report", 0.70, "forum", "product"),  # the bound itself is enough
        ("bug_report", 0.69, "forum", "humans"),  # unsure: falls through
        ("bug_report", 0.69, "app_review", "mobile"),  # ... to the next rule that matches
        ("praise", 0.99, "app_review", "mobile"),  # a single source
        ("question", 0.60, "twitter", "community"),  # one of a list of sources
        ("question", 0.60, "email", "humans"),  # kind matches, source does not
        ("praise", 0.60, "forum", "humans"),  # source matches, kind does not
    ],
)
def test_conditions_must_all_hold(kind, confidence, source, team):
    assert rules.decide(MIXED, kind=kind, confidence=confidence, source=source).team == team


def test_reason_names_the_rule_or_the_default():
    matched = rules.decide(MIXED, kind="question", confidence=0.6, source="forum")
    unmatched = rules.decide(MIXED, kind="bug_report", confidence=0.5, source="email")

    assert "rule 'public-questions' matched" in matched.reason
    assert unmatched.rule is None
    assert unmatched.reason == "no rule matched kind bug_report (confidence 0.50); default team humans"


# --- errors name the file, the line and the reason --------------------------------------------

VALID_LINES = [
    "# Routing for the test suite",  # 1
    "version: 1",  # 2
    "rules:",  # 3
    "  - name: abuse",  # 4
    "    when: {kind: abuse}",  # 5
    "    team: moderation",  # 6
    "",  # 7
    "  - name: product",  # 8
    "    when:",  # 9
    "      kind: [bug_report, feature_request]",  # 10
    "      min_confidence: 0.5",  # 11
    "    team: product",  # 12
    "default_team: triage",  # 13
]


def routing_file(tmp_path: Path, changes: dict[int, str]) -> Path:
    """VALID_LINES with some lines (1-based) replaced, written to a file."""
    lines = [changes.get(number, line) for number, line in enumerate(VALID_LINES, start=1)]
    path = tmp_path / "routes.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_valid_file_loads(tmp_path):
    config = rules.load(routing_file(tmp_path, {}))

    assert [rule.name for rule in config.rules] == ["abuse", "product"]
    assert config.rules[1].when.min_confidence == 0.5


@pytest.mark.parametrize(
    ("changes", "line", "reason"),
    [
        ({12: "    team: product: now"}, 12, "not valid YAML: mapping values are not allowed here"),
        # An unclosed brace is noticed, and reported, where the next key starts.
        ({5: "    when: {kind: abuse"}, 6, "not valid YAML: expected ',' or '}', but got ':'"),
        ({10: "      kind: complaint"}, 10, "rules.1.when.kind: Value error, unknown kind 'complaint'"),
        ({5: "    when: {kind: [abuse, spam]}"}, 5, "rules.0.when.kind: Value error, unknown kind 'spam'"),
        (
            {11: "      min_confidance: 0.5"},
            11,
            "rules.1.when.min_confidance: Extra inputs are not permitted",
        ),
        (
            {6: "    team: moderation", 7: "    colour: red"},
            7,
            "rules.0.colour: Extra inputs are not permitted",
        ),
        ({12: "    team: Product Team"}, 12, "rules.1.team: String should match pattern"),
        ({13: "default_team: Triage!"}, 13, "default_team: String should match pattern"),
        (
            {11: "      min_confidence: 1.5"},
            11,
            "rules.1.when.min_confidence: Input should be less than or equal to 1",
        ),
        ({2: "version: 2"}, 2, "version: Input should be less than or equal to 1"),
        ({11: "      source: fourm"}, 11, "rules.1.when.source: Value error, unknown source 'fourm'"),
        ({12: "    # the team is missing"}, 8, "rules.1.team: Field required"),
    ],
    ids=[
        "yaml-syntax",
        "unclosed-flow-mapping",
        "unknown-kind",
        "unknown-kind-in-list",
        "unknown-condition-key",
        "unknown-rule-key",
        "bad-team-name",
        "bad-default-team",
        "confidence-over-1",
        "unknown-version",
        "unknown-source",
        "missing-team",
    ],
)
def test_invalid_file_names_file_line_and_reason(tmp_path, changes, line, reason):
    path = routing_file(tmp_path, changes)

    with pytest.raises(ConfigurationError) as raised:
        rules.load(path)

    assert raised.value.message.startswith(f"{path}:{line}: ")
    assert reason in raised.value.message


def test_missing_rules_is_named_at_the_mapping(tmp_path):
    path = tmp_path / "routes.yaml"
    path.write_text("# no rules here\nversion: 1\ndefault_team: triage\n", encoding="utf-8")

    with pytest.raises(ConfigurationError) as raised:
        rules.load(path)

    assert raised.value.message == f"{path}:2: rules: Field required"


@pytest.mark.parametrize("text", ["", "# only a comment\n", "- a list\n- not a mapping\n"])
def test_a_file_that_is_no_mapping_is_refused(tmp_path, text):
    path = tmp_path / "routes.yaml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(ConfigurationError) as raised:
        rules.load(path)

    assert raised.value.message == f"{path}:1: routing file must be a mapping with 'rules'"


def test_every_problem_is_listed(tmp_path):
    path = routing_file(tmp_path, {5: "    when: {kind: rant}", 12: "    team: Product"})

    with pytest.raises(ConfigurationError) as raised:
        rules.load(path)

    assert raised.value.message.startswith(f"{path}:5: rules.0.when.kind: ")
    assert f"; {path}:12: rules.1.team: " in raised.value.message


def test_unreadable_file_is_refused(tmp_path):
    missing = tmp_path / "nowhere.yaml"

    with pytest.raises(ConfigurationError) as raised:
        rules.load(missing)

    assert raised.value.message == f"routing file {missing} cannot be read: No such file or directory"
