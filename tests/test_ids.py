"""Ids beyond the database's integer range, in paths, queries, cursors and bodies: 422 with the field
named, never a database error (PostgreSQL's `integer` ends at 2^31 - 1, SQLite's at 2^63 - 1)."""

import base64
import re

import pytest

from feedback_router.schemas import MAX_ID

TOO_LARGE = [2**31, 2**63, 2**64]

# Every API route that takes an id (grep the routes for `Id`), with a body the route would accept.
ROUTES = [
    ("GET", "/v1/feedback/{feedback_id}", None),
    ("POST", "/v1/feedback/{feedback_id}/labels", {"kind": "bug_report"}),
    ("POST", "/v1/feedback/{feedback_id}/route", {"team": "support"}),
    ("GET", "/v1/forwarded/{feedback_id}", None),
    ("POST", "/v1/tickets/{ticket_id}/retry", None),
    ("GET", "/v1/clusters/{cluster_id}", None),
    ("PATCH", "/v1/clusters/{cluster_id}", {"title": "Exports"}),
    ("POST", "/v1/clusters/{cluster_id}/merge", {"into": 1}),
    ("POST", "/v1/clusters/{cluster_id}/split", {"feedback_ids": [1]}),
    ("POST", "/v1/notices/{notice_id}/done", None),
    ("GET", "/v1/digests/{digest_id}", None),
    ("PATCH", "/v1/digests/{digest_id}", {"title": "Week 49"}),
    ("POST", "/v1/digests/{digest_id}/approve", None),
    ("POST", "/v1/digests/{digest_id}/publish", None),
    ("GET", "/v1/digests/{digest_id}/export", None),
]


def cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(str(last_id).encode()).decode().rstrip("=")


def test_an_id_out_of_range_in_any_path_gets_422_naming_it(api, auth):
    answers = {}
    for method, path, body in ROUTES:
        name = re.search(r"\{(\w+)\}", path)[1]
        for value in TOO_LARGE:
            response = api.request(method, path.format(**{name: value}), json=body, headers=auth["admin"])
            fields = [e["field"] for e in response.json().get("errors", [])]
            answers[f"{method} {path} {value}"] = (response.status_code, fields)
    expected = {
        f"{method} {path} {value}": (422, [re.search(r"\{(\w+)\}", path)[1]])
        for method, path, _ in ROUTES
        for value in TOO_LARGE
    }
    assert answers == expected


def test_the_largest_id_is_a_plain_404(api, auth):
    response = api.get(f"/v1/feedback/{MAX_ID}", headers=auth["manager"])
    assert response.status_code == 404
    assert response.json() == {"detail": f"feedback {MAX_ID} does not exist"}


@pytest.mark.parametrize("value", TOO_LARGE)
@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/clusters/1/merge", {"into": "{value}"}, "into"),
        ("/v1/clusters/1/split", {"feedback_ids": [1, "{value}"]}, "feedback_ids.1"),
    ],
)
def test_an_id_out_of_range_in_a_body_gets_422(api, auth, path, body, field, value):
    filled = {
        k: (value if v == "{value}" else [value if x == "{value}" else x for x in v]) for k, v in body.items()
    }
    response = api.post(path, json=filled, headers=auth["manager"])
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]


@pytest.mark.parametrize("value", [2**31, 2**63, 0])
@pytest.mark.parametrize("path", ["/v1/feedback", "/v1/triage", "/v1/notices"])
def test_a_cursor_out_of_range_gets_422(api, auth, path, value):
    response = api.get(path, params={"cursor": cursor(value)}, headers=auth["manager"])
    assert response.status_code == 422, response.text
    assert response.json() == {"detail": "cursor is not one this API returned"}


def test_a_cursor_of_the_largest_id_still_pages(api, auth):
    api.post("/v1/feedback", json={"text": "one"}, headers=auth["forwarder"])
    response = api.get("/v1/feedback", params={"cursor": cursor(MAX_ID)}, headers=auth["manager"])
    assert response.status_code == 200
    assert [item["text"] for item in response.json()["items"]] == ["one"]


@pytest.mark.parametrize(
    "path",
    [f"/clusters/{2**31}", f"/digests/{2**64}", f"/inbox?id={2**31}", f"/tickets/rows?ids=1&ids={2**63}"],
)
def test_an_id_out_of_range_on_a_web_page_gets_422(api, auth, path):
    page = api.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)[1]
    key = auth["manager"]["Authorization"].removeprefix("Bearer ")
    assert api.post("/login", data={"key": key, "csrf": csrf}, follow_redirects=False).status_code == 303

    response = api.get(path)
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == "invalid input"
