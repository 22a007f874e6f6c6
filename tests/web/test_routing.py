"""The routing page in Chromium: the rules in force, a broken file checked with its line, a new file
applied by an admin (and not offered to a manager), and a text's route explained by the real model."""

import pytest
from playwright.sync_api import expect

from tests.web.conftest import ROUTES, patient

pytestmark = [pytest.mark.browser, pytest.mark.slow]


BUG = "The app crashes every time I open the export dialog. Please fix this bug!"
UNDECLARED = ROUTES.replace("team: support}", "team: sales}")  # line 10: the questions rule


def test_the_rules_a_checked_file_an_applied_one_and_a_text_explained(signed_in, routes_file, shot):
    page = signed_in
    page.goto("/routing")
    expect(page.get_by_role("heading", name="Rules in force")).to_be_visible()
    expect(page.get_by_text(f"Rules from {routes_file}.")).to_be_visible()
    teams = page.locator("table.routing-teams")
    expect(teams.locator("tr[data-team='product']")).to_contain_text("board")
    expect(teams.locator("tr[data-team='triage']")).to_contain_text("wait in triage")
    rules = page.locator("table.routing-rules tbody tr[data-rule]")
    expect(rules).to_have_count(4)
    expect(rules.first).to_contain_text("product-issues")
    expect(rules.first).to_contain_text("bug report, feature request, criticism")
    expect(rules.first).to_contain_text("≥ 0.5 (triage threshold)")
    page.get_by_text(f"Show the file {routes_file}").click()
    expect(page.locator(".routing-yaml pre")).to_contain_text("triage_below: 0.5")

    file = page.get_by_label("Routing file (YAML)")
    file.fill(UNDECLARED)
    page.get_by_role("button", name="Check file").click()
    result = page.locator("#check-result")
    expect(result).to_contain_text("Not valid (problems: 1)")
    expect(result.get_by_role("listitem")).to_have_text(
        "Line 10: rules.1.team: "
        "team 'sales' is not declared under teams (moderation, product, social, support)"
    )
    result.get_by_role("button", name="Line 10").click()
    expect(file).to_be_focused()
    assert page.evaluate("() => document.activeElement.value.slice(document.activeElement.selectionStart, "
                         "document.activeElement.selectionEnd)") == (
        "  - {name: questions, when: {kind: question}, team: sales}"
    )  # fmt: skip

    page.get_by_label("Text to try").fill(BUG)
    page.get_by_role("button", name="Explain the route").click()
    explanation = page.locator("#explanation")
    expect(explanation.locator(".team")).to_have_text("product")
    expect(explanation).to_contain_text("rule product-issues")
    expect(explanation.locator("dl")).to_contain_text("bug report")
    expect(explanation.locator(".trials li.held")).to_contain_text("product-issues: kind bug_report")
    expect(explanation.locator(".sinks")).to_have_text("board")
    shot(page, "routing")

    renamed = ROUTES.replace("name: praise,", "name: praise-to-social,")
    file.fill(renamed)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Apply this file").click()
    expect(page.locator("#flash")).to_contain_text("Applied: the new rules are in force now")
    expect(page.locator("tr[data-rule='praise-to-social']")).to_be_visible()
    assert routes_file.read_text(encoding="utf-8") == renamed
    assert routes_file.with_name("routes.yaml.bak").read_text(encoding="utf-8") == ROUTES


def test_a_manager_checks_but_cannot_apply(browser, service, auth):
    context = patient(browser.new_context(base_url=service, locale="en-GB"))
    page = context.new_page()
    try:
        page.goto("/routing")
        page.get_by_label("API key").fill(auth["manager"]["Authorization"].removeprefix("Bearer "))
        page.get_by_role("button", name="Sign in").nth(1).click()
        page.wait_for_url("**/routing")
        page.get_by_role("button", name="Check file").click()
        expect(page.locator("#check-result")).to_contain_text("Valid (rules: 4, teams: 4).")
        expect(page.get_by_role("button", name="Apply this file")).to_have_count(0)
    finally:
        context.close()
