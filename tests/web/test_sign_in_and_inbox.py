"""Signing in, the live inbox and the German interface, in Chromium."""

import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.web.conftest import PASSWORD, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_wrong_password_is_refused_and_the_right_one_opens_the_inbox(page, shot):
    page.goto("/inbox")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Finbox$"))
    shot(page, "sign-in")
    page.get_by_label("Username").fill("anna")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").first.click()
    expect(page.get_by_role("alert")).to_have_text("Wrong username, password or key.")

    sign_in(page)
    expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
    expect(page.get_by_text("Signed in as anna")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto("/inbox")
    expect(page).to_have_url(re.compile(r"/login\?next="))


def test_feedback_shows_in_the_open_inbox_as_it_arrives_with_its_labels(signed_in, service, auth, shot):
    page = signed_in
    expect(page.get_by_text("No feedback yet.")).to_be_visible()
    answer = httpx.post(
        f"{service}/v1/feedback",
        json={
            "text": "The app crashes every time I open the export dialog. Please fix this bug!",
            "source": "forum",
            "author": {"handle": "marie", "display_name": "Marie"},
        },
        headers=auth["forwarder"],
    )
    assert answer.status_code == 202
    row = page.locator(f"tr[data-id='{answer.json()['id']}']")
    expect(row).to_contain_text("crashes every time")  # arrives without a reload
    expect(row).to_contain_text("bug report")  # and is updated once classified
    expect(row).to_contain_text("product")
    expect(row).to_contain_text("Marie")
    expect(row).to_contain_text("forwarded by test forwarder")
    shot(page, "inbox")

    page.get_by_label("Kind").select_option("praise")
    page.get_by_role("button", name="Filter", exact=True).click()
    expect(page.locator("tr[data-id]")).to_have_count(0)


def test_the_interface_speaks_german(signed_in, shot):
    page = signed_in
    page.get_by_role("link", name="DE").click()
    expect(page.get_by_role("heading", name="Eingang")).to_be_visible()
    expect(page.get_by_role("navigation")).to_contain_text("Sichtung")
    shot(page, "inbox-de")


def test_a_write_without_the_csrf_token_is_refused(signed_in, service):
    cookies = {c["name"]: c["value"] for c in signed_in.context.cookies()}
    answer = httpx.post(
        f"{service}/v1/feedback", json={"text": "a forged post from another site"}, cookies=cookies
    )
    assert answer.status_code == 403
    assert "CSRF" in answer.json()["detail"]


def test_after_too_many_wrong_passwords_the_form_says_when_to_try_again(browser, api_only, configure, shot):
    configure(auth_max_failures=2, auth_window_seconds=900)
    context = browser.new_context(base_url=api_only, locale="en-GB")
    page = context.new_page()
    try:
        page.goto("/login")
        for expected in ("Wrong username, password or key.", "Wrong username, password or key."):
            page.get_by_label("Username").fill("anna")
            page.get_by_label("Password").fill("not the password")
            page.get_by_role("button", name="Sign in").first.click()
            expect(page.get_by_role("alert")).to_have_text(expected)
        page.get_by_label("Username").fill("anna")
        page.get_by_label("Password").fill(PASSWORD)  # right, but too late
        page.get_by_role("button", name="Sign in").first.click()
        locked = re.compile(r"Too many failed sign-ins\. Try again in 1?\d minutes\.")  # at most 15
        expect(page.get_by_role("alert")).to_have_text(locked)
        expect(page).to_have_url(re.compile(r"/login$"))
        shot(page, "sign-in-locked")
    finally:
        context.close()
