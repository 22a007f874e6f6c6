"""Web sign-in: accounts with passwords or API keys, session cookies, CSRF, sign-out and expiry."""

import ast
import re
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

import feedback_router
from feedback_router.auth import users
from feedback_router.auth.deps import SESSION_COOKIE
from feedback_router.auth.models import Role, WebSession
from feedback_router.db import session_scope, utcnow
from feedback_router.errors import Conflict, InvalidInput
from tests.fakes.server import serve

PASSWORD = "correct horse battery"


@pytest.fixture
def anna(settings):  # type: ignore[no-untyped-def]
    with session_scope(settings.database_url) as session:
        users.create(session=session, username="anna", password=PASSWORD, role=Role.manager)


def login_form(api, next_path: str = "/inbox") -> str:  # type: ignore[no-untyped-def]
    page = api.get(f"/login?next={next_path}")
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


def sign_in(api, **fields: str):  # type: ignore[no-untyped-def]
    csrf = login_form(api)
    return api.post("/login", data={"csrf": csrf, **fields}, follow_redirects=False)


def csrf_of(api) -> str:  # type: ignore[no-untyped-def]
    return re.search(r'name="csrf-token" content="([^"]+)"', api.get("/inbox").text).group(1)


def test_a_password_signs_in_and_the_session_acts_with_the_csrf_token_only(api, anna):
    answer = sign_in(api, username="anna", password=PASSWORD)
    assert answer.status_code == 303 and answer.headers["location"] == "/inbox"
    cookie = answer.headers["set-cookie"]
    assert f"{SESSION_COOKIE}=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert api.get("/v1/feedback").status_code == 200  # reads need no token

    refused = api.post("/v1/feedback", json={"text": "forged"})
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    wrong = api.post("/v1/feedback", json={"text": "forged"}, headers={"X-CSRF-Token": "guess"})
    assert wrong.status_code == 403

    created = api.post(
        "/v1/feedback", json={"text": "sent from the web app"}, headers={"X-CSRF-Token": csrf_of(api)}
    )
    assert created.status_code == 202
    assert api.get(f"/v1/feedback/{created.json()['id']}").json()["forwarded_by"] == "user:anna"


@pytest.mark.parametrize(
    "fields", [{"username": "anna", "password": "wrong password"}, {"username": "bob", "password": PASSWORD}]
)
def test_a_wrong_password_or_user_is_refused_with_a_message(api, anna, fields):
    answer = sign_in(api, **fields)
    assert answer.status_code == 401
    assert "Wrong username, password or key." in answer.text
    assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")


def test_the_sign_in_form_needs_its_own_csrf_token(api, anna):
    answer = api.post("/login", data={"username": "anna", "password": PASSWORD}, follow_redirects=False)
    assert answer.status_code == 200 and "expired" in answer.text
    assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")


def test_an_api_key_signs_in_too_and_forwarders_get_no_manager_pages(api, auth):
    forwarder = auth["forwarder"]["Authorization"].removeprefix("Bearer ")
    assert sign_in(api, key=forwarder).status_code == 303
    assert api.get("/inbox", follow_redirects=False).headers["location"] == "/login?next=%2Finbox"
    assert api.get("/v1/feedback").status_code == 403


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example"])
def test_sign_in_only_returns_to_this_site(api, anna, target):
    csrf = login_form(api)
    answer = api.post(
        "/login",
        data={"csrf": csrf, "username": "anna", "password": PASSWORD, "next": target},
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/inbox"


def test_signing_out_ends_the_session_on_the_server(api, anna):
    sign_in(api, username="anna", password=PASSWORD)
    token = api.cookies[SESSION_COOKIE]
    api.post("/logout", data={"csrf": csrf_of(api)})
    api.cookies.set(SESSION_COOKIE, token)  # a copied cookie is worth nothing after sign-out
    assert api.get("/v1/feedback").status_code == 401


def test_an_expired_session_or_a_disabled_user_sends_back_to_sign_in(api, anna, settings):
    sign_in(api, username="anna", password=PASSWORD)
    assert api.get("/v1/feedback").status_code == 200
    with session_scope(settings.database_url) as session:
        session.execute(update(WebSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert api.get("/v1/feedback").status_code == 401

    sign_in(api, username="anna", password=PASSWORD)
    with session_scope(settings.database_url) as session:
        users.disable(session=session, username="anna")
    assert api.get("/v1/feedback").status_code == 401
    assert "Wrong username" in sign_in(api, username="anna", password=PASSWORD).text


def test_accounts_need_a_unique_name_and_a_long_password(settings, anna):
    with session_scope(settings.database_url) as session:
        with pytest.raises(Conflict):
            users.create(session=session, username="anna", password=PASSWORD, role=Role.manager)
        with pytest.raises(InvalidInput, match="at least 10"):
            users.create(session=session, username="bob", password="short", role=Role.manager)


def test_forwarders_see_where_their_own_items_went_and_no_others(api, auth):
    own = api.post("/v1/feedback", json={"text": "mine"}, headers=auth["forwarder"]).json()["id"]
    other = api.post("/v1/feedback", json={"text": "theirs"}, headers=auth["manager"]).json()["id"]
    mine = api.get(f"/v1/forwarded/{own}", headers=auth["forwarder"])
    assert mine.status_code == 200
    assert mine.json() == {
        "id": own,
        "status": "received",
        "kind": None,
        "team": None,
        "route_reason": None,
        "url": f"http://127.0.0.1:8000/inbox?id={own}",
        "parts": [],  # a mixed message lists its parts here
    }
    assert api.get(f"/v1/forwarded/{other}", headers=auth["forwarder"]).status_code == 404
    assert api.get(f"/v1/forwarded/{own}", headers=auth["manager"]).status_code == 200


def test_every_route_commits_its_unit_of_work_before_the_response_is_sent():
    """A 2xx means stored, and a browser that follows the sign-in redirect at once finds its session:
    every ``Depends(get_session)`` has the scope that ends it before the response is sent."""
    declared = []
    for path in Path(feedback_router.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "Depends"
                and node.args
                and getattr(node.args[0], "id", None) == "get_session"
            ):
                scope = next((k.value for k in node.keywords if k.arg == "scope"), None)
                declared.append((f"{path.name}:{node.lineno}", getattr(scope, "value", None)))
    assert len(declared) > 40  # the API's and the web app's routes
    assert [where for where, scope in declared if scope != "function"] == []


def test_the_inbox_knows_a_session_the_moment_its_sign_in_answers(settings, anna):
    """A browser follows the sign-in redirect at once; over a real socket the session must be stored
    by then (it was not when the commit followed the response: the browser went back to sign in)."""
    from feedback_router.app import create_app

    with serve(create_app(start_worker=False), name="feedback-router") as url:
        for _ in range(10):
            with httpx.Client(base_url=url, timeout=30) as browser:
                answer = sign_in(browser, username="anna", password=PASSWORD)
                assert answer.status_code == 303 and answer.headers["location"] == "/inbox"
                inbox = browser.get("/inbox", follow_redirects=False)
                assert inbox.status_code == 200, inbox.headers.get("location")
