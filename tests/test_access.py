"""API keys and roles: 401 without a valid key, 403 for a role too low."""

import pytest

from feedback_router.auth import service as keys
from feedback_router.auth.models import Role
from feedback_router.db import session_scope


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/v1/feedback"),
        ("post", "/v1/feedback/batch"),
        ("get", "/v1/feedback"),
        ("get", "/v1/tickets"),
    ],
)
@pytest.mark.parametrize("header", [None, "Bearer fr_wrong", "Basic abc", "Bearer "])
def test_missing_or_wrong_key_gets_401(api, method, path, header):
    headers = {"Authorization": header} if header else {}
    response = api.request(method, path, json={"text": "x"}, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("path", ["/v1/feedback", "/v1/feedback/1", "/v1/tickets"])
def test_forwarder_may_submit_but_not_read(api, auth, path):
    assert api.post("/v1/feedback", json={"text": "x"}, headers=auth["forwarder"]).status_code == 202
    response = api.get(path, headers=auth["forwarder"])
    assert response.status_code == 403
    assert "manager" in response.json()["detail"]


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_manager_and_admin_may_submit_and_read(api, auth, role):
    created = api.post("/v1/feedback", json={"text": "x"}, headers=auth[role])
    assert created.status_code == 202
    assert api.get(f"/v1/feedback/{created.json()['id']}", headers=auth[role]).status_code == 200


def test_revoked_key_gets_401(api, auth, settings):
    with session_scope(settings.database_url) as session:
        row, secret = keys.create(session=session, role=Role.manager, name="temp")
    headers = {"Authorization": f"Bearer {secret}"}
    assert api.get("/v1/tickets", headers=headers).status_code == 200
    with session_scope(settings.database_url) as session:
        keys.revoke(session=session, key_id=row.id)
    assert api.get("/v1/tickets", headers=headers).status_code == 401


def test_keys_are_stored_hashed(auth, settings):
    from sqlalchemy import select

    from feedback_router.auth.models import ApiKey

    secrets = {h["Authorization"].split()[1] for h in auth.values()}
    with session_scope(settings.database_url) as session:
        stored = {row.key_hash for row in session.scalars(select(ApiKey))}
    assert stored and not stored & secrets
    assert {keys.hash_key(s) for s in secrets} == stored


def test_api_answers_say_nosniff_and_signed_in_pages_are_never_cached(api, auth):
    for answer in (
        api.get("/v1/feedback", headers=auth["manager"]),
        api.get("/v1/feedback"),  # 401
        api.get("/openapi.json"),
    ):
        assert answer.headers["x-content-type-options"] == "nosniff"
    api.post("/login", data={"key": auth["manager"]["Authorization"].removeprefix("Bearer ")})
    for path in ("/login", "/inbox", "/docs"):
        page = api.get(path)
        assert page.status_code == 200
        assert page.headers["cache-control"] == "no-store"
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["content-security-policy"].startswith("default-src 'self';")


def test_docs_come_from_the_service_not_a_cdn(api):
    page = api.get("/docs").text
    assert "http" not in page  # every asset by a path on this service
    for asset in (
        "/static/swagger-ui/swagger-ui-bundle.js",
        "/static/swagger-ui/swagger-ui.css",
        "/static/docs.js",
    ):
        assert asset in page and api.get(asset).status_code == 200
    assert api.get("/redoc").status_code == 404  # ReDoc would load from a CDN
