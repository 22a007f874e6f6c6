"""Schemathesis against the app's own OpenAPI schema, with every check, on both databases.

Cases are derandomized (the same ones on every run) and few per operation, so that CI stays fast.
``POST /v1/routing/explain`` runs the real model, so it has a slow test of its own.
"""

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from feedback_router import worker
from feedback_router.app import create_app

EXPLAIN = "/v1/routing/explain"
CONFIG = schemathesis.Config.from_path(Path(__file__).with_name("schemathesis.toml"))
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(start_worker=False), config=CONFIG)
CASES = settings(max_examples=10, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture
def every_route_on(configure, redis_url):
    """The webhooks with their secrets, a queue so that /healthz is healthy, wrong keys unlimited."""
    on = configure(
        redis_url=redis_url,
        jira__webhook_secret="jira-secret",
        discourse__webhook_secret="discourse-secret",
        discourse__url="http://127.0.0.1:9",
        slack__signing_secret="slack-secret",
        # the ignored_auth check probes each operation with wrong keys; the limit on failed keys
        # (auth.attempts, from the signin branch) would soon answer those with 429
        auth_max_failures=1_000_000,
    )
    worker.configure_celery(on)
    return on


@schema.exclude(path=EXPLAIN).parametrize()
@CASES
def test_api_conforms_to_its_schema(case, every_route_on, auth):
    case.call_and_validate(headers=auth["admin"])


@pytest.fixture
def model_loaded(every_route_on, api, auth):
    """The packaged model in memory before the cases start, so that none waits for it."""
    assert api.post(EXPLAIN, json={"text": "warm up"}, headers=auth["admin"]).status_code == 200


@pytest.mark.slow
@schema.include(path=EXPLAIN).parametrize()
@CASES
def test_explain_conforms_to_its_schema(case, model_loaded, auth):
    case.call_and_validate(headers=auth["admin"])
