"""The web app in a real browser: the service on a local port (with its in-process worker and the
packaged model), Debian's Chromium driven by Playwright, screenshots of every page kept.

Browser tests run on PostgreSQL only: the pages read through the same services the API tests
already run on both backends.
"""

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from feedback_router.auth import users
from feedback_router.auth.models import Role
from feedback_router.config import get_settings
from feedback_router.db import session_scope
from tests.conftest import emptied, unavailable
from tests.fakes.server import serve

CHROMIUM = os.environ.get("FR_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(
    os.environ.get("FR_SCREENSHOTS", Path(__file__).parents[2] / "test-artifacts" / "screenshots")
)
PASSWORD = "correct horse battery"
# The bound on every wait for a condition (a page loaded, a text shown, a redirect followed). Waits end
# as soon as the condition holds, so a generous bound costs nothing when things work; it only has to
# outlast a 2-core CI machine that runs other tests and warms the model up at the same time.
PATIENCE_MS = 120_000
ROUTES = """\
version: 2
teams:
  product: {sinks: [{type: board}]}
  support: {sinks: [{type: board}]}
  social: {sinks: [{type: board}]}
  moderation: {sinks: [{type: board}]}
triage_below: 0.5
rules:
  - {name: product-issues, when: {kind: [bug_report, feature_request, criticism]}, team: product}
  - {name: questions, when: {kind: question}, team: support}
  - {name: praise, when: {kind: praise}, team: social}
  - {name: abuse, when: {kind: abuse}, team: moderation}
"""

pytestmark = pytest.mark.browser


@pytest.fixture
def database_url(postgres_url: str) -> str:
    return emptied(postgres_url)


@pytest.fixture(scope="session")
def playwright() -> Iterator[object]:
    """One Playwright for the whole run: its sync API cannot be started twice at the same time."""
    if not Path(CHROMIUM).exists():
        unavailable("Chromium", f"{CHROMIUM} is missing (Debian package 'chromium')")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError as exc:
        unavailable("Playwright", exc)
    expect.set_options(timeout=PATIENCE_MS)  # expect() polls its condition; its own default bound is 5 s
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="session")
def browser(playwright) -> Iterator[object]:  # type: ignore[no-untyped-def]
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
    yield browser
    browser.close()


@pytest.fixture
def routes_file(tmp_path: Path) -> Path:
    path = tmp_path / "routes.yaml"
    path.write_text(ROUTES, encoding="utf-8")
    return path


@pytest.fixture
def service(configure, routes_file: Path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The running service's base URL; more settings can be given with ``configure`` first."""
    from feedback_router.app import create_app

    settings = configure(routing_file=str(routes_file), cluster_min_size=2)
    with session_scope(settings.database_url) as session:
        users.create(session=session, username="anna", password=PASSWORD, role=Role.admin)
    with serve(create_app(), name="feedback-router", lifespan="on") as url:
        yield url


def patient(context):  # type: ignore[no-untyped-def]
    """A browser context whose waits (actions, navigations, events) are bounded by ``PATIENCE_MS``."""
    context.set_default_timeout(PATIENCE_MS)
    context.set_default_navigation_timeout(PATIENCE_MS)
    return context


@pytest.fixture
def api_only(configure) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The service without its worker (no model), with the account anna: for pages that process nothing."""
    from feedback_router.app import create_app

    with session_scope(get_settings().database_url) as session:
        users.create(session=session, username="anna", password=PASSWORD, role=Role.admin)
    with serve(create_app(start_worker=False), name="feedback-router", lifespan="on") as url:
        yield url


@pytest.fixture
def page(browser, service: str) -> Iterator[object]:  # type: ignore[no-untyped-def]
    context = patient(
        browser.new_context(base_url=service, locale="en-GB", viewport={"width": 1400, "height": 900})
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def shot() -> Callable[[object, str], Path]:
    """Saves a full-page screenshot under test-artifacts/screenshots (or $FR_SCREENSHOTS)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:  # type: ignore[no-untyped-def]
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def sign_in(page, username: str = "anna", password: str = PASSWORD, then: str = "/inbox") -> None:  # type: ignore[no-untyped-def]
    page.goto(then)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").first.click()
    page.wait_for_url(f"**{then}")


@pytest.fixture
def signed_in(page):  # type: ignore[no-untyped-def]
    sign_in(page)
    return page


def processed(service: str, auth, ids: list[int], timeout: float = 90) -> list[dict]:  # type: ignore[no-untyped-def, type-arg]
    """The items once the worker has classified them all; fails after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        items = [httpx.get(f"{service}/v1/feedback/{i}", headers=auth["manager"]).json() for i in ids]
        if all(item["status"] != "received" for item in items):
            return items
        time.sleep(0.5)
    raise AssertionError(f"not processed in {timeout} s")
