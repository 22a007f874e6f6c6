"""The browser extension in extension/, loaded unpacked into a real Chromium (Playwright).

A small Starlette app plays feedback-router (POST /v1/feedback, GET /v1/forwarded/{id}, /healthz) and
serves a forum page. Playwright cannot click a context-menu entry, so the tests call the function the
menu's onClicked listener calls, ``self.forwardSelection(info, tab)``, inside the extension's service
worker, with the test page's tab: the same code path from the request to the toast on the page.

Needs Playwright (Python package only, no downloaded browser) and a Chromium at /usr/bin/chromium or
$FR_CHROMIUM; where one is missing the tests skip, except in CI (CI=true), where that is a failure.
Screenshots go where the other browser tests put theirs (tests/web/conftest.py's SCREENSHOTS).
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

from feedback_router.feedback.schemas import FeedbackCreate, ForwardResult
from tests.fakes.server import serve
from tests.web.conftest import CHROMIUM, SCREENSHOTS, patient

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
EXTENSION = ROOT / "extension"

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
API_KEY = "fr_forwarder_test_key"
POST_LINES = ("The app crashes every time I press checkout.", "Android 14, app version 3.2.")
POST_TEXT = " ".join(POST_LINES)  # as Chrome hands the menu a selection: line breaks collapsed

try:
    from playwright.sync_api import BrowserContext, Locator, Page, Worker, expect
except ImportError as exc:  # the package is a test-only extra
    if IN_CI:
        raise
    pytest.skip(f"Playwright is not installed: {exc}", allow_module_level=True)

FORUM_PAGE = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Checkout crashes - Community forum</title>
<meta name="author" content="forum-admin"></head>
<body>
  <header>Signed in as <a class="username" href="/user/moderator">moderator</a></header>
  <article class="post">
    <div class="byline">Posted by <a href="/user/ada_l" rel="author">ada_l</a></div>
    <p id="post-text">{POST_LINES[0]}<br>{POST_LINES[1]}</p>
  </article>
</body></html>"""


@dataclass
class StandIn:
    """What the stand-in service was sent, and the state of item 7."""

    url: str = ""
    posts: list[dict[str, Any]] = field(default_factory=list)
    stored: dict[str, int] = field(default_factory=dict)  # idempotency key -> id
    polls: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.posts.clear()
            self.stored.clear()
            self.polls = 0


def stand_in_app(state: StandIn) -> Starlette:
    def authorised(request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {API_KEY}"

    def rejected() -> JSONResponse:
        return JSONResponse({"detail": "missing or invalid API key"}, status_code=401)

    async def feedback(request: Request) -> JSONResponse:
        body = await request.json()
        idempotency_key = request.headers.get("idempotency-key")
        with state.lock:
            state.posts.append(
                {
                    "authorization": request.headers.get("authorization"),
                    "idempotency_key": idempotency_key,
                    "body": body,
                }
            )
        if not authorised(request):
            return rejected()
        if body["text"] == "x" * 3:  # stands for anything the API refuses, in its error format
            errors = [{"field": "text", "message": "String should have at least 4 characters"}]
            return JSONResponse({"detail": "invalid input", "errors": errors}, status_code=422)
        with state.lock:
            if idempotency_key in state.stored:  # as the API does: the stored item, 200
                return JSONResponse({"id": state.stored[idempotency_key], "status": "processed"})
            if idempotency_key:
                state.stored[idempotency_key] = 7
        return JSONResponse({"id": 7, "status": "received"}, status_code=202)

    async def forwarded(request: Request) -> JSONResponse:
        if not authorised(request):
            return rejected()
        item = request.path_params["item"]
        if item != 7:
            return JSONResponse({"detail": f"feedback {item} does not exist"}, status_code=404)
        with state.lock:
            state.polls += 1
            done = state.polls > 1  # the first poll finds it still waiting for the worker
        answer = ForwardResult(  # the real endpoint's model, so the two cannot drift apart unnoticed
            id=7,
            status="processed" if done else "received",
            kind="bug_report" if done else None,
            team="product" if done else None,
            route_reason="rule 'bugs': kind is bug_report" if done else None,
            url=f"{state.url}/inbox?id=7",
        )
        return JSONResponse(answer.model_dump())

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "checks": {"database": "ok", "queue": "ok", "model": "ok"}})

    async def forum(request: Request) -> HTMLResponse:
        # A strict page CSP with Trusted Types, as big social sites send: the toast must still show.
        csp = "default-src 'none'; require-trusted-types-for 'script'"
        return HTMLResponse(FORUM_PAGE, headers={"Content-Security-Policy": csp})

    return Starlette(
        routes=[
            Route("/v1/feedback", feedback, methods=["POST"]),
            Route("/v1/forwarded/{item:int}", forwarded),
            Route("/healthz", healthz),
            Route("/t/checkout-crashes/42", forum),
        ]
    )


@dataclass
class ExtendedChromium:
    context: BrowserContext
    worker: Worker
    extension_id: str


@pytest.fixture(scope="module")
def stand_in() -> Iterator[StandIn]:
    state = StandIn()
    with serve(stand_in_app(state), name="feedback-router stand-in") as url:
        state.url = url
        yield state


@pytest.fixture(scope="module")
def chrome(playwright, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExtendedChromium]:  # type: ignore[no-untyped-def]
    """Chromium with the extension loaded unpacked, in a fresh profile."""
    profile = tmp_path_factory.mktemp("chromium-profile")
    context = playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=CHROMIUM,
        headless=True,
        args=[
            "--headless=new",
            f"--disable-extensions-except={EXTENSION}",
            f"--load-extension={EXTENSION}",
        ],
    )
    patient(context)
    try:
        worker = (
            context.service_workers[0] if context.service_workers else context.wait_for_event("serviceworker")
        )
        assert worker.url.endswith("/background.js"), worker.url
        yield ExtendedChromium(context=context, worker=worker, extension_id=worker.url.split("/")[2])
    finally:
        context.close()


@pytest.fixture
def fake_service(stand_in: StandIn) -> StandIn:
    stand_in.reset()
    return stand_in


def configure(browser: ExtendedChromium, **settings: str) -> None:
    browser.worker.evaluate(
        "s => chrome.storage.local.clear().then(() => chrome.storage.local.set(s))", settings
    )


def open_forum_page(browser: ExtendedChromium, service: StandIn) -> Page:
    """The forum page with the post's text selected, as a person would before right-clicking."""
    page = browser.context.new_page()
    page.goto(f"{service.url}/t/checkout-crashes/42")
    page.evaluate(
        """() => {
            const range = document.createRange();
            range.selectNodeContents(document.getElementById("post-text"));
            getSelection().removeAllRanges();
            getSelection().addRange(range);
        }"""
    )
    return page


# What the menu's onClicked listener gets, for the tab showing ``url``. The extension sees the URL of
# http(s) tabs only (host permissions, no "tabs" permission), so other pages are found as the active tab.
FORWARD = """async ({ url, text }) => {
    const [tab] = /^https?:/.test(url)
        ? (await chrome.tabs.query({})).filter((t) => t.url === url)
        : await chrome.tabs.query({ active: true, lastFocusedWindow: true });
    if (!tab) throw new Error(`no tab shows ${url}`);
    const info = { menuItemId: "forward-to-feedback-router", selectionText: text, pageUrl: url, frameId: 0 };
    return self.forwardSelection(info, tab);
}"""


def forward(browser: ExtendedChromium, url: str, text: str = POST_TEXT) -> dict[str, Any]:
    result: dict[str, Any] = browser.worker.evaluate(FORWARD, {"url": url, "text": text})
    return result


def toast(page: Page) -> Locator:
    return page.locator("#feedback-router-toast [role=status]")  # CSS locators pierce the shadow root


def toast_message(page: Page) -> Locator:
    return toast(page).locator(".message")


def test_first_use_opens_the_options_which_validate_save_and_test_the_connection(
    chrome: ExtendedChromium, fake_service: StandIn
) -> None:
    configure(chrome)  # nothing set yet
    page = open_forum_page(chrome, fake_service)
    with chrome.context.expect_page() as opened:
        result = forward(chrome, page.url)
    assert result == {"ok": False, "error": "not configured"}
    assert fake_service.posts == []
    options = opened.value
    options.wait_for_load_state()
    assert options.url == f"chrome-extension://{chrome.extension_id}/options.html"
    expect(options.locator("#status")).to_contain_text("Set the service URL and API key")

    options.get_by_label("Service URL").fill("ftp://example.org")
    options.get_by_label("API key").fill(API_KEY)
    options.get_by_role("button", name="Save").click()
    expect(options.locator("#status")).to_contain_text("must start with http:// or https://")
    expect(options.get_by_label("Service URL")).to_have_attribute("aria-invalid", "true")

    options.get_by_label("Service URL").fill(fake_service.url + "/")
    options.get_by_role("button", name="Save").click()
    expect(options.locator("#status")).to_contain_text("Saved.")
    expect(options.get_by_label("Service URL")).to_have_value(fake_service.url)  # trailing slash stripped
    stored = chrome.worker.evaluate("() => chrome.storage.local.get(null)")
    assert stored == {"serviceUrl": fake_service.url, "apiKey": API_KEY}

    options.get_by_role("button", name="Test connection").click()
    expect(options.locator("#status")).to_contain_text("Service ok (database: ok; queue: ok; model: ok)")
    expect(options.locator("#status")).to_contain_text("API key accepted")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    options.screenshot(path=str(SCREENSHOTS / "extension-options.png"))

    options.get_by_label("API key").fill("not-the-key")
    options.get_by_role("button", name="Test connection").click()
    expect(options.locator("#status")).to_contain_text("API key rejected")
    options.close()
    page.close()


def test_forwarding_a_selection_posts_it_and_shows_where_it_was_routed(
    chrome: ExtendedChromium, fake_service: StandIn
) -> None:
    configure(chrome, serviceUrl=fake_service.url, apiKey=API_KEY)
    page = open_forum_page(chrome, fake_service)

    # Start the forward without waiting, to see the toast while the worker is still classifying.
    chrome.worker.evaluate(
        f"args => {{ self.pending = ({FORWARD})(args); }}", {"url": page.url, "text": POST_TEXT}
    )
    expect(toast(page)).to_contain_text("Forwarded as #7, classifying…")
    result = chrome.worker.evaluate("() => self.pending")

    assert result["ok"] is True and result["id"] == 7
    assert len(fake_service.posts) == 1
    sent = fake_service.posts[0]
    assert sent["authorization"] == f"Bearer {API_KEY}"
    assert sent["body"] == {
        "text": "\n".join(POST_LINES),  # the page's own selection, line break kept
        "source": "forum",
        "url": page.url,
        "author": {"handle": "ada_l"},  # the post's byline, not the signed-in moderator or the meta tag
        "metadata": {"page_title": "Checkout crashes - Community forum", "forwarded_with": "extension"},
    }
    FeedbackCreate.model_validate(sent["body"])  # the real API's model takes it as it is
    assert fake_service.polls == 2

    expect(toast_message(page)).to_have_text("Forwarded to feedback-router as #7: bug report → product")
    expect(toast(page).get_by_role("link", name="Open in inbox")).to_have_attribute(
        "href", f"{fake_service.url}/inbox?id=7"
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "extension-confirmation.png"))

    toast(page).get_by_role("button", name="Close").click()
    expect(page.locator("#feedback-router-toast")).to_have_count(0)

    # A second click on the same selection gets the first item back, not a second one.
    result = forward(chrome, page.url)
    assert result["id"] == 7
    assert fake_service.posts[1]["idempotency_key"] == fake_service.posts[0]["idempotency_key"]
    assert fake_service.posts[0]["idempotency_key"].startswith("extension-")
    expect(toast_message(page)).to_have_text(
        "Already forwarded to feedback-router as #7: bug report → product"
    )
    page.close()


def test_failures_are_told_plainly_on_the_page(chrome: ExtendedChromium, fake_service: StandIn) -> None:
    page = open_forum_page(chrome, fake_service)

    configure(chrome, serviceUrl=fake_service.url, apiKey="revoked-key")
    result = forward(chrome, page.url)
    assert result["status"] == 401
    expect(toast_message(page)).to_have_text("API key rejected: check the extension's options")
    expect(toast(page).get_by_role("link")).to_be_hidden()

    configure(chrome, serviceUrl=fake_service.url, apiKey=API_KEY)
    result = forward(chrome, page.url, "xxx")
    assert result["status"] == 422
    expect(toast_message(page)).to_have_text("invalid input: text: String should have at least 4 characters")

    configure(chrome, serviceUrl="http://127.0.0.1:9", apiKey=API_KEY)  # discard port: nothing listens
    result = forward(chrome, page.url)
    assert result == {"ok": False, "error": "Could not reach http://127.0.0.1:9"}
    expect(toast_message(page)).to_have_text("Could not reach http://127.0.0.1:9")
    page.close()


def test_pages_that_cannot_be_scripted_get_a_notification(
    chrome: ExtendedChromium, fake_service: StandIn
) -> None:
    configure(chrome, serviceUrl=fake_service.url, apiKey=API_KEY)
    chrome.worker.evaluate(
        "async () => { for (const id of Object.keys(await chrome.notifications.getAll())) "
        "await chrome.notifications.clear(id); }"
    )
    page = chrome.context.new_page()
    page.goto("chrome://version")
    page.bring_to_front()
    result = forward(chrome, "chrome://version/", "Version 1.2.3")
    assert result["ok"] is True
    body = fake_service.posts[0]["body"]
    assert "url" not in body and "author" not in body  # the API takes only http(s) URLs
    assert body["text"] == "Version 1.2.3" and body["source"] == "forum"
    FeedbackCreate.model_validate(body)
    notifications = chrome.worker.evaluate("() => chrome.notifications.getAll()")
    assert [name.startswith("feedback-router-") for name in notifications] == [True], notifications
    page.close()


def test_the_menu_entry_exists_for_selections(chrome: ExtendedChromium) -> None:
    # update() fails for an unknown id, so this proves onInstalled created the entry.
    chrome.worker.evaluate(
        """() => chrome.contextMenus.update("forward-to-feedback-router", {
            title: "Forward to feedback-router", contexts: ["selection"] })"""
    )


@pytest.mark.parametrize(
    ("url", "source"),
    [
        ("https://www.facebook.com/groups/1/posts/2", "facebook"),
        ("https://m.facebook.com/story.php", "facebook"),
        ("https://www.instagram.com/p/abc/", "instagram"),
        ("https://x.com/someone/status/1", "twitter"),
        ("https://mobile.twitter.com/someone/status/1", "twitter"),
        ("https://www.youtube.com/watch?v=1", "youtube"),
        ("https://www.linkedin.com/feed/update/1", "linkedin"),
        ("https://notfacebook.com/x", "forum"),
        ("https://community.example.org/t/1", "forum"),
    ],
)
def test_source_is_guessed_from_the_host(chrome: ExtendedChromium, url: str, source: str) -> None:
    assert chrome.worker.evaluate("url => self.guessSource(url)", url) == source


def test_manifest_is_mv3_with_the_documented_entry_points() -> None:
    manifest = json.loads((EXTENSION / "manifest.json").read_text())
    assert manifest["manifest_version"] == 3
    assert manifest["name"] == "feedback-router forward"
    # Chromium runs the service worker; Firefox (no MV3 service workers) the scripts, settings.js first.
    assert manifest["background"] == {
        "service_worker": "background.js",
        "scripts": ["settings.js", "background.js"],
    }
    assert manifest["options_ui"]["page"] == "options.html"
    for name in ["background.js", "options.html", "options.js", "settings.js", *manifest["icons"].values()]:
        assert (EXTENSION / name).is_file(), name
    assert "<script>" not in (EXTENSION / "options.html").read_text()  # CSP: no inline scripts


def test_manifest_installs_in_firefox_too() -> None:
    """Firefox needs an add-on id (browser_specific_settings.gecko) for MV3, and a version that takes
    ``background.scripts`` beside ``service_worker`` (121, as Chromium since 121 ignores ``scripts``)."""
    manifest = json.loads((EXTENSION / "manifest.json").read_text())
    gecko = manifest["browser_specific_settings"]["gecko"]
    assert "@" in gecko["id"] and int(gecko["strict_min_version"].split(".")[0]) >= 121
    assert int(manifest["minimum_chrome_version"]) >= 121
    background = (EXTENSION / "background.js").read_text()
    assert 'if (typeof importScripts === "function") importScripts("settings.js");' in background


def test_every_message_exists_in_english_and_german() -> None:
    """The menu, the toasts and the options page speak the browser's language (MV3 _locales)."""
    manifest = json.loads((EXTENSION / "manifest.json").read_text())
    assert manifest["default_locale"] == "en"
    messages = {
        language: json.loads(
            (EXTENSION / "_locales" / language / "messages.json").read_text(encoding="utf-8")
        )
        for language in ("en", "de")
    }
    assert set(messages["en"]) == set(messages["de"])
    used = {
        m.removeprefix("__MSG_").removesuffix("__") for m in re.findall(r"__MSG_\w+__", json.dumps(manifest))
    }
    for name in ("background.js", "options.js", "settings.js", "options.html"):
        source = (EXTENSION / name).read_text(encoding="utf-8")
        used |= set(re.findall(r'\bt\("(\w+)"', source)) | set(re.findall(r'data-i18n="(\w+)"', source))
    assert used and used <= set(messages["en"]), used - set(messages["en"])
    assert messages["de"]["menu_forward"]["message"] == "An feedback-router weiterleiten"
    assert messages["de"]["kind_bug_report"]["message"] == "Fehlermeldung"


def test_the_extension_finds_authors_as_the_bookmarklet_does() -> None:
    """One rule for both: the same author markers (the bookmarklet cannot load the extension's file)."""
    marker = re.compile(r"MARKERS = ('[^']+')")
    bookmarklet = ROOT / "feedback_router" / "web" / "static" / "bookmarklet.js"
    assert marker.search((EXTENSION / "background.js").read_text()).group(1) == marker.search(
        bookmarklet.read_text()
    ).group(1)


def test_in_a_german_browser_the_extension_and_its_toast_speak_german(  # type: ignore[no-untyped-def]
    playwright, tmp_path: Path, fake_service: StandIn
) -> None:
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=CHROMIUM,
        headless=True,
        args=[
            "--headless=new",
            "--lang=de",
            f"--disable-extensions-except={EXTENSION}",
            f"--load-extension={EXTENSION}",
        ],
        env={**os.environ, "LANGUAGE": "de", "LANG": "de_DE.UTF-8"},
        locale="de-DE",
    )
    patient(context)
    try:
        worker = (
            context.service_workers[0] if context.service_workers else context.wait_for_event("serviceworker")
        )
        assert worker.evaluate("chrome.i18n.getMessage('menu_forward')") == "An feedback-router weiterleiten"
        options = context.new_page()
        options.goto(f"chrome-extension://{worker.url.split('/')[2]}/options.html")
        expect(options.get_by_role("button", name="Verbindung testen")).to_be_visible()
        expect(options.locator("#status")).to_contain_text("Tragen Sie die Adresse des Dienstes")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        options.screenshot(path=str(SCREENSHOTS / "extension-options-de.png"))

        # A forward: the toast while classifying and its final word, with the kind's German name.
        german = ExtendedChromium(context=context, worker=worker, extension_id=worker.url.split("/")[2])
        configure(german, serviceUrl=fake_service.url, apiKey=API_KEY)
        page = open_forum_page(german, fake_service)
        worker.evaluate(
            f"args => {{ self.pending = ({FORWARD})(args); }}", {"url": page.url, "text": POST_TEXT}
        )
        expect(toast(page)).to_contain_text("Weitergeleitet als #7, wird eingeordnet…")
        expect(toast(page)).to_have_attribute("lang", re.compile("^de"))  # on an English page: read as German
        assert worker.evaluate("() => self.pending")["ok"] is True
        expect(toast_message(page)).to_have_text(
            "Weitergeleitet an feedback-router als #7: Fehlermeldung → product"
        )
        expect(toast(page).get_by_role("link", name="Im Eingang öffnen")).to_have_attribute(
            "href", f"{fake_service.url}/inbox?id=7"
        )
        expect(toast(page).get_by_role("button", name="Schließen")).to_be_visible()
        page.screenshot(path=str(SCREENSHOTS / "extension-confirmation-de.png"))
        split = {
            "id": 5,
            "parts": [{"kind": "bug_report", "team": "product"}, {"kind": "question", "team": "triage"}],
        }
        assert worker.evaluate("r => routedMessage(t('forwarded'), r)", split) == (
            "Weitergeleitet an feedback-router als #5: Fehlermeldung → product; Frage → Sichtung"
        )  # a mixed message: where each part went, never "→ null"
    finally:
        context.close()
