"""The routing page: the teams and rules in force, checking (and, for admins, applying) a new routing
file, and trying a text to see where it would go. Its buttons act through /v1/routing/*."""

from dataclasses import dataclass

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from classifiers.labels import KINDS, SENTIMENTS, URGENCIES
from feedback_router.config import get_settings
from feedback_router.errors import ConfigurationError
from feedback_router.feedback.models import Source
from feedback_router.routing import live
from feedback_router.routing.rules import DEFAULT_FILE, Condition, RoutingConfig, Rule, Sink, parse
from feedback_router.web.pages import Viewer, language_of, manager, render, translator

router = APIRouter(include_in_schema=False)

TRANSLATED = ("kind", "sentiment", "urgency", "min_urgency")  # values with interface strings
# The strings routing.js writes into the page (it builds the results from the API's JSON).
SCRIPT_STRINGS = (
    "routing_valid", "routing_valid_missing", "routing_invalid", "routing_line", "routing_applied",
    "routing_applied_backup", "routing_explaining", "routing_checking", "routing_by_rule",
    "routing_no_rule_matched", "routing_reason", "routing_labels", "routing_trials", "routing_held",
    "routing_failed", "routing_no_conditions", "routing_sinks", "routing_none", "routing_mixed",
    "routing_part", "routing_whole", "routing_confidence", "routing_yes", "routing_no",
    "routing_unknown", "routing_goes_to", "team", "label_kind", "label_sentiment", "label_urgency",
    "label_language", "label_topic", "label_abuse", "label_source",
)  # fmt: skip


@dataclass(frozen=True)
class OnDisk:
    """The routing file as it is on disk, and whether it says what the rules in force say."""

    path: str | None  # None: the packaged default
    text: str | None  # None: it cannot be read
    error: str | None
    differs: bool


def sink_text(sink: Sink) -> str:
    """A sink in a few words: "jira PROD (Bug)", "slack #product", "webhook https://…", "board"."""
    data = sink.model_dump(mode="json")
    detail = {
        "jira": lambda: f"{data['project']} ({data['issue_type']})",
        "slack": lambda: data["channel"],
        "webhook": lambda: data["url"],
    }.get(sink.type)
    return f"{sink.type} {detail()}" if detail else sink.type


def conditions(t, rule: Rule, config: RoutingConfig) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """A rule's conditions as (name, what it wants), in the order they are checked."""
    when: Condition = rule.when
    shown: list[tuple[str, str]] = []
    for name in ("kind", "sentiment", "urgency", "min_urgency", "language", "topic", "abuse", "source"):
        value = getattr(when, name)
        if value is None:
            continue
        values = value if isinstance(value, list) else [value]
        if name in TRANSLATED:
            words = [t(str(v)) for v in values]
        elif name == "source":
            words = [t(f"source_{v}") for v in values]
        elif name == "abuse":
            words = [t("routing_yes") if v else t("routing_no") for v in values]
        else:
            words = [str(v) for v in values]
        shown.append((t(f"routing_cond_{name}"), ", ".join(words)))
    for attribute, wanted in (when.author or {}).items():
        shown.append((t("routing_cond_author", name=attribute), ", ".join(wanted)))
    if when.keywords:
        shown.append((t("routing_cond_keywords"), ", ".join(when.keywords)))
    if when.min_confidence is not None:
        if when.min_confidence > 0:
            shown.append((t("routing_cond_min_confidence"), f"≥ {when.min_confidence:g}"))
        else:
            shown.append((t("routing_cond_min_confidence"), t("routing_any_confidence")))
    elif config.threshold > 0:
        bound = t("routing_threshold", value=f"{config.threshold:g}")
        shown.append((t("routing_cond_min_confidence"), bound))
    return shown


def on_disk(config: RoutingConfig) -> OnDisk:
    path = get_settings().routing_file
    try:
        text = (path or DEFAULT_FILE).read_text(encoding="utf-8")
    except OSError as exc:
        return OnDisk(str(path) if path else None, None, exc.strerror or str(exc), differs=True)
    try:
        differs = parse(text) != config
    except ConfigurationError:
        differs = True
    return OnDisk(str(path) if path else None, text, None, differs)


@router.get("/routing", response_class=HTMLResponse)
def routing_page(request: Request, viewer: Viewer = Depends(manager)) -> HTMLResponse:
    """The rules in force, a new file checked (and applied by admins), a text tried."""
    config = live.current(get_settings().routing_file)
    t = translator(language_of(request))
    values = [*KINDS, *SENTIMENTS, *URGENCIES]
    strings = {key: t(key) for key in SCRIPT_STRINGS} | {f"value_{v}": t(v) for v in values}
    strings |= {f"source_{s.value}": t(f"source_{s.value}") for s in Source}
    return render(
        request,
        "routing.html",
        viewer,
        config=config,
        file=on_disk(config),
        sink_text=sink_text,
        conditions=lambda t, rule: conditions(t, rule, config),
        sources=[s.value for s in Source],
        strings=strings,
    )
