"""/docs in Chromium: Swagger UI from the service itself, under the web app's strict policy."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_docs_render_with_nothing_from_elsewhere_and_no_policy_violation(browser, api_only, shot):
    context = browser.new_context(base_url=api_only, locale="en-GB")
    page = context.new_page()
    requested: list[str] = []
    problems: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("console", lambda message: "Refused" in message.text and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    try:
        answer = page.goto("/docs")
        assert answer is not None and "script-src" not in answer.headers["content-security-policy"]
        expect(page.locator(".swagger-ui .info .title")).to_contain_text("feedback-router")
        expect(page.locator(".opblock-summary-path").first).to_be_visible()
        expect(page.get_by_text("/v1/feedback/batch")).to_be_visible()
        shot(page, "docs")
        health = page.locator(".opblock", has=page.locator(".opblock-summary-path", has_text="/healthz"))
        health.locator(".opblock-summary").click()  # "Try it out" calls the API from the page
        health.get_by_role("button", name="Try it out").click()
        health.get_by_role("button", name="Execute").click()
        answered = health.locator(".live-responses-table tbody td.response-col_status")
        expect(answered).to_contain_text(re.compile("200|503"))
    finally:
        context.close()
    assert requested and all(url.startswith(api_only + "/") for url in requested), requested
    assert f"{api_only}/openapi.json" in requested and f"{api_only}/healthz" in requested
    assert problems == []  # a script, style or call the policy blocked would show here
