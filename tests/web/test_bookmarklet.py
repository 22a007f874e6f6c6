"""The bookmarklet: on a forum page of another site, selected text is forwarded in one click and a
small window confirms the kind and team; signed out, the text waits in that window until sign-in."""

import re
from urllib.parse import unquote

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from playwright.sync_api import expect

from tests.fakes.server import serve
from tests.web.conftest import PASSWORD, patient

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FORUM_PAGE = """<!doctype html><html><head><title>Export broken? - Community forum</title>
<meta name="author" content="forum-owner"></head><body>
<header>Community forum</header>
<main>
<article class="topic-post" id="post-1">
  <div class="names"><span class="username"><a href="/u/jonas_k">jonas_k</a></span></div>
  <p id="words">Since the last update the app crashes every time I export a report to PDF.
Please fix this bug!</p>
  <p>Reply · Like</p>
</article>
</main></body></html>"""


@pytest.fixture
def forum() -> str:
    app = FastAPI()
    app.get("/t/export-broken/42", response_class=HTMLResponse)(lambda: FORUM_PAGE)
    with serve(app, name="forum") as url:
        yield f"{url}/t/export-broken/42"


def bookmarklet_code(page) -> str:  # type: ignore[no-untyped-def]
    page.goto("/forward")
    href = page.get_by_role("link", name="Forward to feedback-router").get_attribute("href")
    assert href.startswith("javascript:")
    return unquote(href.removeprefix("javascript:"))


def select_words(page) -> None:  # type: ignore[no-untyped-def]
    page.evaluate(
        """() => { const range = document.createRange();
        range.selectNodeContents(document.getElementById('words'));
        const selection = window.getSelection(); selection.removeAllRanges(); selection.addRange(range); }"""
    )


def test_selected_text_is_forwarded_with_its_author_and_the_window_says_where_it_went(
    signed_in, forum, service, auth, shot
):
    page = signed_in
    code = bookmarklet_code(page)
    shot(page, "forward")
    page.goto(forum)
    select_words(page)
    with page.expect_popup() as opened:
        page.evaluate(code)
    window = opened.value
    status = window.locator("#forward-status")
    expect(status).to_have_text(re.compile(r"Forwarded as #\d+: bug report → product"))
    shot(window, "forward-confirmation")

    item_id = int(re.search(r"#(\d+)", status.inner_text()).group(1))
    item = httpx.get(f"{service}/v1/feedback/{item_id}", headers=auth["manager"]).json()
    assert item["text"] == (
        "Since the last update the app crashes every time I export a report to PDF. Please fix this bug!"
    )
    assert item["author"]["handle"] == "jonas_k"  # the post's author, not the page's owner
    assert item["url"] == forum
    assert item["source"] == "forum"
    assert item["forwarded_by"] == "user:anna"
    assert item["metadata"] == {
        "forwarded_with": "bookmarklet",
        "page_title": "Export broken? - Community forum",
    }

    page.evaluate(code)  # the same words again, in the same small window: stored once
    expect(status).to_contain_text("Already forwarded before.")
    listed = httpx.get(f"{service}/v1/feedback", headers=auth["manager"]).json()["items"]
    assert [i["id"] for i in listed if i["parent_id"] is None] == [item_id]


def test_signed_out_the_text_waits_in_the_window_until_sign_in(page, browser, forum, service, auth):
    with_session = patient(browser.new_context(base_url=service))
    try:
        signed = with_session.new_page()
        signed.goto("/forward")  # signed out: to sign in first
        signed.get_by_label("Username").fill("anna")
        signed.get_by_label("Password").fill(PASSWORD)
        signed.get_by_role("button", name="Sign in").first.click()
        code = bookmarklet_code(signed)
    finally:
        with_session.close()

    page.goto(forum)  # this browser is not signed in
    with page.expect_popup() as opened:
        page.evaluate(code)  # nothing selected: the page's main text
    window = opened.value
    sign_in_link = window.get_by_role("link", name=re.compile("Sign in to forward"))
    expect(sign_in_link).to_be_visible()
    assert not httpx.get(f"{service}/v1/feedback", headers=auth["manager"]).json()["items"]

    sign_in_link.click()
    window.get_by_label("Username").fill("anna")
    window.get_by_label("Password").fill(PASSWORD)
    window.get_by_role("button", name="Sign in").first.click()
    expect(window.locator("#forward-status")).to_contain_text("→ product")
    (item,) = httpx.get(f"{service}/v1/feedback", headers=auth["manager"]).json()["items"]
    assert "crashes every time I export a report to PDF" in item["text"]
    assert item["author"]["handle"] == "jonas_k"


# A social-media thread: the opener's post holds the replies (as Facebook's markup does), each reply
# with its byline, its words, its "Gefällt mir · Antworten · Teilen" bar and its own permalink.
THREAD_PAGE = """<!doctype html><html lang="de"><head><title>Notizen-App Community | Facebook</title>
<meta name="author" content="Notizen-App"></head><body>
<main>
<div role="article" class="post" id="thread-9">
  <a class="author" href="/user/lena">Lena M</a>
  <div class="post-body">Welche Funktion wünscht ihr euch als Nächstes?</div>
  <div class="actions"><a href="#">Gefällt mir</a> · <a href="#">Antworten</a> · <a href="#">Teilen</a></div>
  <div class="comments">
    <div role="article" class="comment">
      <a class="author" href="/user/tim_b">tim_b</a>
      <div class="comment-body" id="tim">Seit dem Update stürzt die App beim PDF-Export jedes Mal ab.<br>
Bitte behebt diesen Fehler!</div>
      <div class="actions"><a href="#">Gefällt mir</a> · <a href="#">Antworten</a> ·
        <a href="/groups/1/posts/9?comment_id=101"><time datetime="2026-12-07">2 Std.</time></a></div>
    </div>
    <div role="article" class="comment">
      <a class="author" href="/user/moderation">Community-Team</a>
      <div class="comment-body">Danke, wir schauen uns das an.</div>
      <div class="actions"><a href="#">Gefällt mir</a> · <a href="#">Antworten</a> ·
        <a href="/groups/1/posts/9?comment_id=102"><time datetime="2026-12-07">1 Std.</time></a></div>
    </div>
  </div>
</div>
</main></body></html>"""
NO_POSTS_PAGE = (
    "<!doctype html><html><head><title>Start</title></head><body><main><p>Willkommen</p></main></body></html>"
)
TIMS_WORDS = "Seit dem Update stürzt die App beim PDF-Export jedes Mal ab.\nBitte behebt diesen Fehler!"
GERMAN_KINDS = "Fehlermeldung|Wunsch|Frage|Lob|Kritik|Verstoß|Sonstiges"  # app.de.json's names


@pytest.fixture
def thread() -> str:
    app = FastAPI()
    app.get("/groups/1/posts/9", response_class=HTMLResponse)(lambda: THREAD_PAGE)
    app.get("/start", response_class=HTMLResponse)(lambda: NO_POSTS_PAGE)
    with serve(app, name="thread") as url:
        yield url


def test_with_nothing_selected_the_post_clicked_is_forwarded_with_its_permalink_in_german(
    signed_in, thread, service, auth, shot
):
    page = signed_in
    code = bookmarklet_code(page)
    page.goto("/lang/de?next=/forward")  # the German interface: its forward window speaks German
    page.goto(f"{thread}/groups/1/posts/9")
    page.locator("#tim").click()  # pointing at Tim's reply; nothing is selected
    with page.expect_popup() as opened:
        page.evaluate(code)
    window = opened.value
    status = window.locator("#forward-status")
    expect(status).to_have_text(re.compile(rf"^Als #\d+ weitergeleitet.*({GERMAN_KINDS})"))
    assert "null" not in status.inner_text() and "bug" not in status.inner_text()
    expect(window.get_by_role("link", name="Im Eingang öffnen")).to_be_visible()
    shot(window, "forward-confirmation-de")
    split = {
        "id": 5,
        "parts": [{"kind": "bug_report", "team": "product"}, {"kind": "question", "team": "triage"}],
    }
    assert window.evaluate("r => outcome(document.getElementById('forward'), r)", split) == (
        "Als #5 weitergeleitet und in 2 Teile geteilt: Fehlermeldung → product; Frage → Sichtung"
    )  # a mixed message: where each part went, never "→ null"

    item_id = int(re.search(r"#(\d+)", status.inner_text()).group(1))
    item = httpx.get(f"{service}/v1/feedback/{item_id}", headers=auth["manager"]).json()
    assert item["text"] == TIMS_WORDS  # his words only: not the thread, the moderator or the bar
    assert item["author"]["handle"] == "tim_b"
    assert item["url"] == f"{thread}/groups/1/posts/9?comment_id=101"  # the reply's own permalink

    # A page without posts: the window asks to select, and nothing is sent.
    page.goto(f"{thread}/start")
    page.evaluate(code)
    expect(status).to_have_text(re.compile("^Nichts weiterzuleiten"))
    expect(window.locator("#forward-text")).to_be_empty()  # nothing of the last post stays
    expect(window.get_by_role("link", name="Im Eingang öffnen")).to_be_hidden()
    shot(window, "forward-nothing-de")
    listed = httpx.get(f"{service}/v1/feedback", headers=auth["manager"]).json()["items"]
    assert [i["id"] for i in listed if i["parent_id"] is None] == [item_id]
