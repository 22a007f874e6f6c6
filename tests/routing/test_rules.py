"""Routing rules: the default file, every condition, first match wins, the triage threshold,
the explanation of each decision, and errors with file:line."""

import re
from pathlib import Path

import pytest

from classifiers import KINDS
from feedback_router.errors import ConfigurationError
from feedback_router.routing import rules
from feedback_router.routing.rules import Labels
from integrations.jira import JiraSink
from integrations.webhook import WebhookSink

DEFAULT = rules.load(None)
DEFAULT_TEXT = rules.DEFAULT_FILE.read_text(encoding="utf-8")
ROUTING_DOC = Path(__file__).parents[2] / "docs" / "routing.md"


def decide(config: rules.RoutingConfig, kind: str = "other", confidence: float = 0.9, **labels: object):  # type: ignore[no-untyped-def]
    return rules.decide(config, Labels(kind=kind, confidence=confidence, **labels))  # type: ignore[arg-type]


# --- the packaged default ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "team", "rule"),
    [
        ("question", "support", "questions-to-support"),
        ("bug_report", "product", "product-issues"),
        ("feature_request", "product", "product-issues"),
        ("criticism", "product", "product-issues"),
        ("praise", "social", "praise-to-social"),
        ("abuse", "moderation", "abusive-kind-to-moderation"),
    ],
)
def test_default_rules_route_each_kind(kind, team, rule):
    decision = decide(DEFAULT, kind, 0.91, abuse=False, urgency="low", source="forum")

    assert (decision.team, decision.rule) == (team, rule)
    assert decision.reason.startswith(f"rule '{rule}' matched: kind {kind}, kind confidence 0.91 ≥ 0.5")
    assert [sink.type for sink in decision.sinks] == ["board"]


def test_default_rules_leave_other_to_triage():
    decision = decide(DEFAULT, "other", 0.88, abuse=False, urgency="low")

    assert (decision.team, decision.rule, decision.sinks) == ("triage", None, ())
    assert decision.reason == "no rule matched kind other (confidence 0.88); default team triage"


def test_default_rules_cover_every_kind():
    # 0.8: kind abuse at 0.5 is too near its line for moderation (test_moderation_near_the_line_...)
    teams = {kind: decide(DEFAULT, kind, 0.8, abuse=False).team for kind in KINDS}
    assert set(teams) == set(KINDS)
    assert set(teams.values()) == {"support", "product", "social", "moderation", "triage"}


def test_default_sends_abuse_to_moderation_however_unsure_the_kind():
    decision = decide(DEFAULT, "criticism", 0.2, abuse=True)

    assert (decision.team, decision.rule) == ("moderation", "abuse-to-moderation")
    assert decision.reason == "rule 'abuse-to-moderation' matched: abuse true"


def test_default_sends_unsure_items_to_triage_and_unsure_urgent_ones_to_support():
    unsure = decide(DEFAULT, "bug_report", 0.41, abuse=False, urgency="normal")
    urgent = decide(DEFAULT, "bug_report", 0.41, abuse=False, urgency="high")

    assert (unsure.team, unsure.rule) == ("triage", None)
    assert unsure.reason == "kind confidence 0.41 under the triage threshold 0.5"
    assert (urgent.team, urgent.rule) == ("support", "urgent-to-support")


def test_default_declares_the_four_teams_on_the_board():
    assert DEFAULT.version == 2 and DEFAULT.threshold == 0.5
    assert {name: [s.type for s in team.sinks] for name, team in DEFAULT.teams.items()} == {
        "support": ["board"],
        "product": ["board"],
        "social": ["board"],
        "moderation": ["board"],
    }


@pytest.mark.parametrize("kind", ["bug_report", "feature_request", "criticism", "question", "abuse"])
def test_default_decides_urgency_before_product_issues_and_moderation(kind):
    decision = decide(DEFAULT, kind, 0.95, abuse=kind == "abuse", abuse_confidence=0.9, urgency="high")

    assert (decision.team, decision.rule) == ("support", "urgent-to-support")
    assert decision.trials[0].rule == "urgent-to-support" and decision.trials[0].matched


def test_a_part_of_a_mixed_post_waits_in_triage_instead_of_moderation():
    part = decide(DEFAULT, "feature_request", 0.8, abuse=True, abuse_confidence=0.97, part=True)
    whole = decide(DEFAULT, "feature_request", 0.8, abuse=True, abuse_confidence=0.97)

    assert (part.team, part.rule, part.sinks) == ("triage", None, ())
    assert part.reason == (
        "rule 'abuse-to-moderation' would send it to moderation, but a person decides: "
        "it is a part of a mixed message, judged without the rest of the post"
    )
    assert (whole.team, whole.rule) == ("moderation", "abuse-to-moderation")


@pytest.mark.parametrize(
    ("labels", "team"),
    [
        ({"kind": "question", "abuse": True, "abuse_confidence": 0.55}, "triage"),  # the chess question
        (
            {"kind": "question", "abuse": True, "abuse_confidence": 0.74},
            "triage",
        ),  # the same, model of 12/2026
        ({"kind": "criticism", "abuse": True, "abuse_confidence": 0.76}, "moderation"),
        ({"kind": "abuse", "confidence": 0.6, "abuse": False}, "triage"),
        ({"kind": "abuse", "confidence": 0.9, "abuse": False}, "moderation"),
        # unknown confidence: as labelled
        ({"kind": "criticism", "abuse": True, "abuse_confidence": None}, "moderation"),
    ],
)
def test_moderation_near_the_line_waits_in_triage(labels, team):
    decision = decide(DEFAULT, **{"confidence": 0.9, **labels})

    assert decision.team == team
    if team == "triage":
        assert "would send it to moderation, but a person decides" in decision.reason
        assert "within 0.25 of the line" in decision.reason


def with_margin(margin: str) -> str:
    return DEFAULT_TEXT.replace("triage_below: 0.5", f"triage_below: 0.5\nmoderation_review_margin: {margin}")


def test_the_review_margin_is_a_setting():
    config = rules.parse(with_margin("0"))
    assert config.moderation_review_margin == 0 and DEFAULT.moderation_review_margin == 0.25
    assert decide(config, "question", abuse=True, abuse_confidence=0.55).team == "moderation"
    assert decide(config, "question", abuse=True, abuse_confidence=0.99, part=True).team == "triage"
    with pytest.raises(rules.RoutingFileError, match="moderation_review_margin"):
        rules.parse(with_margin("2"))


# --- order, explanation -----------------------------------------------------------------------

TEAMS = """
version: 2
triage_below: 0
teams:
  mobile: {sinks: [{type: board}]}
  product: {sinks: [{type: board}]}
  community: {sinks: [{type: slack, channel: "#community"}]}
"""


def test_first_matching_rule_wins():
    config = rules.parse(
        TEAMS
        + """
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

    assert decide(config, "bug_report").rule == "crashes-first"
    assert decide(config, "feature_request").team == "product"
    # A rule without `when` matches everything, so the default team is never reached.
    other = decide(config, "other", 0.1)
    assert (other.team, other.rule) == ("community", "everything-else")
    assert other.reason == "rule 'everything-else' matched: it has no conditions"
    assert [sink.destination for sink in other.sinks] == ["slack:#community"]


def test_the_explanation_lists_each_rule_tried_until_the_match():
    decision = decide(
        DEFAULT, "praise", 0.93, abuse=False, sentiment="positive", language="en", urgency="low"
    )
    explained = decision.explain()

    assert explained.model_dump(mode="json") == {
        "team": "social",
        "rule": "praise-to-social",
        "reason": "rule 'praise-to-social' matched: kind praise, kind confidence 0.93 ≥ 0.5 (triage_below)",
        "labels": {
            "kind": "praise",
            "confidence": 0.93,
            "sentiment": "positive",
            "urgency": "low",
            "language": "en",
            "topic": None,
            "abuse": False,
            "source": "api",
        },
        "rules": [
            {
                "rule": "urgent-to-support",
                "matched": False,
                "failed": "urgency is low, rule wants at least high",
                "held": [],
            },
            {
                "rule": "abuse-to-moderation",
                "matched": False,
                "failed": "abuse is false, rule wants true",
                "held": [],
            },
            {
                "rule": "abusive-kind-to-moderation",
                "matched": False,
                "failed": "kind is praise, rule wants abuse",
                "held": [],
            },
            {
                "rule": "questions-to-support",
                "matched": False,
                "failed": "kind is praise, rule wants question",
                "held": [],
            },
            {
                "rule": "product-issues",
                "matched": False,
                "failed": "kind is praise, rule wants one of bug_report, feature_request, criticism",
                "held": [],
            },
            {
                "rule": "praise-to-social",
                "matched": True,
                "failed": None,
                "held": ["kind praise", "kind confidence 0.93 ≥ 0.5 (triage_below)"],
            },
        ],
        "sinks": [{"type": "board"}],
    }


def test_labels_never_show_the_text_in_a_log_line():
    labels = Labels(kind="other", confidence=0.5, text="call me on +49 170 1234567", metadata={"vip": "true"})

    assert "1234567" not in repr(labels) and "vip" not in repr(labels)
    assert "text" not in labels.to_dict()


# --- each condition ---------------------------------------------------------------------------

CONDITIONS = rules.parse(
    """
version: 2
triage_below: 0.5
teams:
  t: {sinks: [{type: board}]}
rules:
  - {name: by-sentiment, when: {sentiment: negative, kind: criticism}, team: t}
  - {name: by-urgency, when: {urgency: [normal, high], kind: question}, team: t}
  - {name: by-min-urgency, when: {min_urgency: normal, kind: feature_request}, team: t}
  - {name: by-language, when: {language: de, kind: praise}, team: t}
  - {name: by-topic, when: {topic: [billing, login_account], kind: bug_report}, team: t}
  - {name: by-abuse, when: {abuse: false, kind: abuse}, team: t}
  - {name: by-source, when: {source: [app_review, twitter], kind: other}, team: t}
  - {name: by-author, when: {author: {vip: true, plan: [pro, team]}}, team: t}
  - {name: by-new-member, when: {author: {member: new}, min_confidence: 0}, team: t}
  - {name: sure-only, when: {min_confidence: 0.95, sentiment: positive}, team: t}
"""
)


@pytest.mark.parametrize(
    ("labels", "rule", "failed"),
    [
        ({"kind": "criticism", "sentiment": "negative"}, "by-sentiment", None),
        ({"kind": "criticism", "sentiment": "neutral"}, None, "sentiment is neutral, rule wants negative"),
        ({"kind": "criticism"}, None, "sentiment is unknown, rule wants negative"),
        ({"kind": "question", "urgency": "high"}, "by-urgency", None),
        (
            {"kind": "question", "urgency": "low"},
            None,
            "urgency is low, rule wants one of normal, high",
        ),
        ({"kind": "feature_request", "urgency": "high"}, "by-min-urgency", None),
        ({"kind": "feature_request", "urgency": "normal"}, "by-min-urgency", None),
        (
            {"kind": "feature_request", "urgency": "low"},
            None,
            "urgency is low, rule wants at least normal",
        ),
        ({"kind": "praise", "language": "de"}, "by-language", None),
        ({"kind": "praise", "language": "de-at"}, "by-language", None),  # a region variant
        ({"kind": "praise", "language": "en"}, None, "language is en, rule wants de"),
        ({"kind": "praise", "language": "dea"}, None, "language is dea, rule wants de"),
        ({"kind": "bug_report", "topic": "login_account"}, "by-topic", None),
        (
            {"kind": "bug_report", "topic": None},
            None,
            "topic is unknown, rule wants one of billing, login_account",
        ),
        ({"kind": "abuse", "abuse": False}, "by-abuse", None),
        ({"kind": "abuse", "abuse": True}, None, "abuse is true, rule wants false"),
        ({"kind": "abuse"}, None, "abuse is unknown, rule wants false"),  # not labelled: no match
        ({"kind": "other", "source": "twitter"}, "by-source", None),
        (
            {"kind": "other", "source": "forum"},
            None,
            "source is forum, rule wants one of app_review, twitter",
        ),
        ({"metadata": {"vip": "true", "plan": "team"}}, "by-author", None),
        ({"metadata": {"vip": "true", "plan": "free"}}, None, "author plan is 'free', rule wants one of"),
        ({"metadata": {"vip": "True", "plan": "pro"}}, None, "author vip is 'True', rule wants 'true'"),
        ({"metadata": {"plan": "pro"}}, None, "author vip is unset, rule wants 'true'"),
        ({"metadata": {"member": "new"}, "confidence": 0.1}, "by-new-member", None),
        ({"sentiment": "positive", "confidence": 0.95}, "sure-only", None),
        ({"sentiment": "positive", "confidence": 0.94}, None, "kind confidence 0.94 under 0.95"),
    ],
)
def test_each_condition(labels, rule, failed):
    given = {"kind": "other", "confidence": 0.9, **labels}
    decision = decide(CONDITIONS, **given)

    assert decision.rule == rule
    if failed is not None:
        tried = {trial.rule: trial for trial in decision.trials}
        assert any(t.failed and t.failed.startswith(failed) for t in tried.values()), decision.trials


def test_a_rule_without_min_confidence_takes_the_triage_threshold():
    decision = decide(CONDITIONS, "criticism", 0.49, sentiment="negative")

    assert decision.trials[0].failed == "kind confidence 0.49 under 0.5 (triage_below)"
    assert (decision.team, decision.reason) == (
        "triage",
        "kind confidence 0.49 under the triage threshold 0.5",
    )


@pytest.mark.parametrize(
    ("header", "threshold"),
    [("version: 2", 0.5), ("version: 2\ntriage_below: 0.7", 0.7), ("version: 1", 0.0), ("", 0.0)],
)
def test_the_triage_threshold_defaults_by_version(header, threshold):
    teams = "teams: {t: {sinks: [{type: board}]}}\n" if "2" in header else ""
    config = rules.parse(f"{header}\n{teams}rules:\n  - {{name: any, team: t}}\n")

    assert config.threshold == threshold
    assert decide(config, confidence=threshold).team == "t"
    if threshold:
        assert decide(config, confidence=threshold - 0.01).team == "triage"


def test_no_match_over_the_threshold_goes_to_the_default_team():
    config = rules.parse(
        "version: 2\nteams: {humans: {sinks: [{type: board}]}}\nrules: []\ndefault_team: humans\n"
    )

    assert decide(config, "praise", 0.8).team == "humans"
    assert decide(config, "praise", 0.3).team == "triage"  # under the threshold: a person decides


KEYWORDS = rules.parse(
    """
version: 2
teams: {ops: {sinks: [{type: board}]}}
rules:
  - name: outage
    when: {keywords: [outage, down, "nicht erreichbar", "absturz*", "500"], min_confidence: 0}
    team: ops
"""
)


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("Total OUTAGE since 9am", "outage"),
        ("the site is down.", "down"),
        ("Down again?!", "down"),
        ("Die Seite ist seit heute Morgen nicht\nerreichbar", "nicht erreichbar"),
        ("Ständige Abstürze? Nein: Absturz beim Öffnen", "absturz*"),
        ("Absturzbericht angehängt", "absturz*"),
        ("error 500 on save", "500"),
        ("Ärger: Überweisung nicht erreichbar!", "nicht erreichbar"),
        ("downtime all day", None),  # whole words only
        ("a showdown at noon", None),
        ("outages everywhere", None),
        ("nichterreichbar", None),
        ("error 5000", None),
        ("abgestürzt", None),
    ],
)
def test_keywords_match_whole_words_in_english_and_german(text, keyword):
    decision = decide(KEYWORDS, text=text)

    if keyword is None:
        assert decision.rule is None
        assert decision.trials[0].failed == (
            "no keyword in the text (outage, down, nicht erreichbar, absturz*, 500)"
        )
    else:
        assert decision.rule == "outage"
        assert decision.trials[0].held == [f"keyword '{keyword}'"]


# --- sinks ------------------------------------------------------------------------------------


def test_teams_with_every_sink_type():
    config = rules.parse(
        """
version: 2
teams:
  support:
    sinks:
      - type: jira
        project: SUP
        issue_type: Task
        labels: [support, community]
        priority: {high: Highest, normal: Medium, low: Low}
        component_from_topic: true
  product: {sinks: [{type: jira, project: PROD, issue_type: Bug}, {type: slack, channel: "#product"}]}
  partners: {sinks: [{type: webhook, url: "https://example.org/hook", secret_env: PARTNER_HOOK_SECRET}]}
  moderation: {sinks: [{type: slack, channel: C0123ABCD, redact: false}, {type: board}]}
rules:
  - {name: all, team: product}
"""
    )

    support = config.teams["support"].sinks[0]
    assert isinstance(support, JiraSink)
    assert (support.project, support.issue_type, support.labels) == ("SUP", "Task", ["support", "community"])
    assert support.priority == {"high": "Highest", "normal": "Medium", "low": "Low"}
    assert support.component_from_topic and support.redact
    assert [s.destination for s in config.sinks_of("product")] == ["jira:PROD", "slack:#product"]
    assert config.teams["product"].sinks[0].priority == {}  # Jira's default priority
    (hook,) = config.sinks_of("partners")
    assert isinstance(hook, WebhookSink)
    assert (str(hook.url), hook.secret_env, hook.redact) == (
        "https://example.org/hook",
        "PARTNER_HOOK_SECRET",
        True,
    )
    assert [(s.type, getattr(s, "redact", None)) for s in config.sinks_of("moderation")] == [
        ("slack", False),
        ("board", None),  # the board stays inside the service: nothing to redact
    ]
    assert config.sinks_of("triage") == ()


def test_a_version_1_file_gives_every_team_it_names_the_board():
    config = rules.parse(
        "rules:\n  - {name: bugs, when: {kind: bug_report}, team: mobile}\ndefault_team: humans\n"
    )

    assert config.version == 1
    assert {name: [s.type for s in team.sinks] for name, team in config.teams.items()} == {
        "mobile": ["board"],
        "humans": ["board"],
    }
    assert decide(config, "bug_report", 0.1).team == "mobile"  # no threshold in version 1
    assert decide(config, "praise", 0.1).team == "humans"


def test_the_documented_example_is_valid():
    text = ROUTING_DOC.read_text(encoding="utf-8")
    section = text[text.index("# Routing") :]
    example = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert example is not None, "docs/routing.md shows an example file"

    config = rules.parse(example.group(1), "docs/routing.md")

    assert config.version == 2 and config.rules and config.teams


# --- errors name the file, the line and the reason --------------------------------------------

VALID_LINES = [
    "# Routing for the test suite",  # 1
    "version: 2",  # 2
    "teams:",  # 3
    "  moderation:",  # 4
    "    sinks:",  # 5
    "      - type: slack",  # 6
    "        channel: '#mod'",  # 7
    "      - {type: board}",  # 8
    "  product: {sinks: [{type: jira, project: PROD}]}",  # 9
    "rules:",  # 10
    "  - name: abuse",  # 11
    "    when: {kind: abuse}",  # 12
    "    team: moderation",  # 13
    "",  # 14
    "  - name: product",  # 15
    "    when:",  # 16
    "      kind: [bug_report, feature_request]",  # 17
    "      min_confidence: 0.5",  # 18
    "    team: product",  # 19
    "default_team: triage",  # 20
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
    assert [s.destination for s in config.sinks_of("moderation")] == ["slack:#mod", "board"]


@pytest.mark.parametrize(
    ("changes", "line", "reason"),
    [
        ({19: "    team: product: now"}, 19, "not valid YAML: mapping values are not allowed here"),
        # An unclosed brace is noticed, and reported, where the next key starts.
        ({12: "    when: {kind: abuse"}, 13, "not valid YAML: expected ',' or '}', but got ':'"),
        ({17: "      kind: complaint"}, 17, "rules.1.when.kind: Value error, unknown kind 'complaint'"),
        ({12: "    when: {kind: [abuse, spam]}"}, 12, "rules.0.when.kind: Value error, unknown kind 'spam'"),
        (
            {18: "      min_confidance: 0.5"},
            18,
            "rules.1.when.min_confidance: Extra inputs are not permitted",
        ),
        ({18: "      vip: true"}, 18, "rules.1.when.vip: Extra inputs are not permitted"),
        ({14: "    colour: red"}, 14, "rules.0.colour: Extra inputs are not permitted"),
        ({19: "    team: Product Team"}, 19, "rules.1.team: String should match pattern"),
        (
            {19: "    team: sales"},
            19,
            "rules.1.team: team 'sales' is not declared under teams (moderation, product)",
        ),
        ({20: "default_team: sales"}, 20, "default_team: team 'sales' is not declared under teams"),
        ({20: "default_team: Triage!"}, 20, "default_team: String should match pattern"),
        (
            {18: "      min_confidence: 1.5"},
            18,
            "rules.1.when.min_confidence: Input should be less than or equal to 1",
        ),
        ({2: "version: 3"}, 2, "version: Input should be 1 or 2"),
        ({18: "      source: fourm"}, 18, "rules.1.when.source: Value error, unknown source 'fourm'"),
        ({18: "      urgency: urgent"}, 18, "rules.1.when.urgency: Value error, unknown urgency 'urgent'"),
        (
            {18: "      min_urgency: urgent"},
            18,
            "rules.1.when.min_urgency: Input should be 'low', 'normal' or 'high'",
        ),
        (
            {18: "      sentiment: angry"},
            18,
            "rules.1.when.sentiment: Value error, unknown sentiment 'angry'",
        ),
        ({18: "      language: english"}, 18, "rules.1.when.language.0: String should match pattern"),
        ({18: "      keywords: []"}, 18, "rules.1.when.keywords: List should have at least 1 item"),
        ({18: "      abuse: maybe"}, 18, "rules.1.when.abuse: Input should be a valid boolean"),
        ({19: "    # the team is missing"}, 15, "rules.1.team: Field required"),
        ({15: "  - name: abuse"}, 15, "rules.1.name: rule 'abuse' is already rules.0"),
        ({6: "      - type: email"}, 6, "teams.moderation.sinks.0: Input tag 'email' found using 'type'"),
        (
            {6: "      - kind: slack"},
            6,
            "teams.moderation.sinks.0: Unable to extract tag using discriminator 'type'",
        ),
        ({7: "        channel: product"}, 7, "teams.moderation.sinks.0.channel: String should match pattern"),
        (
            {7: "        channel: '#mod'\n        colour: red"},
            8,
            "teams.moderation.sinks.0.colour: Extra inputs are not permitted",
        ),
        (
            {8: "      - {type: board, redact: true}"},
            8,
            "teams.moderation.sinks.1.redact: Extra inputs are not permitted",
        ),
        (
            {8: "      - {type: slack, channel: '#mod'}"},
            8,
            "teams.moderation.sinks.1: same destination as sinks.0",
        ),
        (
            {9: "  product: {sinks: [{type: jira, project: prod}]}"},
            9,
            "teams.product.sinks.0.project: String should",
        ),
        ({9: "  product: {sinks: [{type: jira}]}"}, 9, "teams.product.sinks.0.project: Field required"),
        ({9: "  product: {sinks: []}"}, 9, "teams.product.sinks: List should have at least 1 item"),
        (
            {9: "  product: {sinks: [{type: jira, project: PROD, priority: {urgent: Highest}}]}"},
            9,
            "teams.product.sinks.0.priority.urgent: Input should be 'low', 'normal' or 'high'",
        ),
        (
            {9: "  product: {sinks: [{type: webhook, url: 'ftp://example.org'}]}"},
            9,
            "teams.product.sinks.0.url: URL scheme should be 'http' or 'https'",
        ),
        ({4: "  Moderation:"}, 4, "teams.Moderation: String should match pattern"),
        ({4: "  triage:"}, 4, "teams.triage: 'triage' is reserved"),
        ({2: "version: 1"}, 3, "teams: needs 'version: 2' (this file says version 1)"),
    ],
    ids=lambda value: None if not isinstance(value, str) else re.sub(r"\W+", "-", value)[:40],
)
def test_invalid_file_names_file_line_and_reason(tmp_path, changes, line, reason):
    path = routing_file(tmp_path, changes)

    with pytest.raises(rules.RoutingFileError) as raised:
        rules.load(path)

    assert raised.value.message.startswith(f"{path}:{line}: "), raised.value.message
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
    path = routing_file(tmp_path, {12: "    when: {kind: rant}", 19: "    team: Product"})

    with pytest.raises(rules.RoutingFileError) as raised:
        rules.load(path)

    assert [problem.split(": ")[0:2] for problem in raised.value.problems] == [
        [f"{path}:12", "rules.0.when.kind"],
        [f"{path}:19", "rules.1.team"],
    ]
    assert raised.value.message == "; ".join(raised.value.problems)


def test_unreadable_file_is_refused(tmp_path):
    missing = tmp_path / "nowhere.yaml"

    with pytest.raises(ConfigurationError) as raised:
        rules.load(missing)

    assert raised.value.message == f"routing file {missing} cannot be read: No such file or directory"
