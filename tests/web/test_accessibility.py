"""Every page of the web app, in both languages: a heading, the page's language, and a name for every
control (a label, aria-label or text), so that screen readers and keyboard users can use them."""

import httpx
import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGES = [
    *("/inbox", "/triage", "/clusters", "/tickets", "/notices"),
    *("/digests", "/routing", "/overview", "/forward"),
]
UNNAMED_CONTROLS = """() => [
    ...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
    .filter((control) => !(control.labels && control.labels.length) && !control.getAttribute('aria-label')
        && !control.getAttribute('aria-labelledby') && !control.textContent.trim())
    .map((control) => control.outerHTML.slice(0, 120))"""


@pytest.mark.parametrize("language", ["en", "de"])
def test_every_page_has_a_heading_its_language_and_names_for_all_controls(signed_in, service, auth, language):
    page = signed_in
    httpx.post(
        f"{service}/v1/feedback",
        json={"text": "Where can I download my invoices?", "source": "forum", "author": {"handle": "kim"}},
        headers=auth["forwarder"],
    )
    page.goto(f"/lang/{language}")
    for path in PAGES:
        page.goto(path)
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.get_by_role("heading", level=1)).to_have_count(1)
        assert page.evaluate(UNNAMED_CONTROLS) == [], path
        page.keyboard.press("Tab")  # the first Tab reaches the skip link
        assert page.evaluate("document.activeElement.getAttribute('href')") == "#main", path
