"""The fake Jira answers like Jira: status codes, bodies, auth and API versions (checked with raw HTTP)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import httpx
import pytest

from tests.fakes.jira import FakeJira


def client_for(fake: FakeJira, *, token: str | None = None) -> httpx.Client:
    token = token or fake.token
    if fake.cloud:
        auth = "Basic " + base64.b64encode(f"{fake.user}:{token}".encode()).decode()
    else:
        auth = f"Bearer {token}"
    return httpx.Client(base_url=fake.url, headers={"Authorization": auth}, timeout=5)


def create(client: httpx.Client, version: str, **fields: object) -> httpx.Response:
    values = {
        "project": {"key": "FR"},
        "issuetype": {"name": "Task"},
        "summary": "s",
        "labels": ["fr-1"],
        **fields,
    }
    return client.post(f"/rest/api/{version}/issue", json={"fields": values})


@pytest.mark.parametrize("deployment", ["cloud", "server"])
def test_wrong_or_missing_credentials_get_401_with_error_messages(
    request: pytest.FixtureRequest, deployment: str
) -> None:
    fake: FakeJira = request.getfixturevalue(f"fake_jira_{deployment}")
    with client_for(fake, token="wrong") as client:
        answer = client.get("/rest/api/2/serverInfo")
    assert answer.status_code == 401
    assert answer.json()["errorMessages"] == [
        "You are not authenticated. Authentication required to perform this operation."
    ]
    assert httpx.get(fake.url + "/rest/api/2/serverInfo").status_code == 401


def test_server_info_reports_the_deployment(fake_jira_cloud: FakeJira, fake_jira_server: FakeJira) -> None:
    with client_for(fake_jira_cloud) as cloud, client_for(fake_jira_server) as server:
        assert cloud.get("/rest/api/3/serverInfo").json()["deploymentType"] == "Cloud"
        assert server.get("/rest/api/2/serverInfo").json()["deploymentType"] == "Server"
        assert server.get("/rest/api/3/serverInfo").status_code == 404  # Data Center has no v3


def test_create_answers_201_with_id_key_and_self(fake_jira_cloud: FakeJira) -> None:
    with client_for(fake_jira_cloud) as client:
        answer = create(client, "2", description="plain")
    assert answer.status_code == 201
    assert answer.json() == {
        "id": "10001",
        "key": "FR-1",
        "self": f"{fake_jira_cloud.url}/rest/api/2/issue/10001",
    }


def test_v3_wants_adf_and_v2_a_string(fake_jira_cloud: FakeJira) -> None:
    adf = {"type": "doc", "version": 1, "content": []}
    with client_for(fake_jira_cloud) as client:
        wrong_v3 = create(client, "3", description="plain")
        wrong_v2 = create(client, "2", description=adf)
        right_v3 = create(client, "3", description=adf)
        fetched_v2 = client.get("/rest/api/2/issue/FR-1").json()
    assert wrong_v3.status_code == 400 and "Atlassian Document" in wrong_v3.json()["errors"]["description"]
    assert wrong_v2.status_code == 400 and wrong_v2.json()["errors"] == {
        "description": "Operation value must be a string"
    }
    assert right_v3.status_code == 201
    assert fetched_v2["fields"]["description"] == ""


def test_invalid_fields_are_reported_together(fake_jira_server: FakeJira) -> None:
    with client_for(fake_jira_server) as client:
        answer = create(
            client, "2", summary="", priority={"name": "Urgent"}, labels=["two words"], customfield_1="x"
        )
    assert answer.status_code == 400
    assert answer.json() == {
        "errorMessages": [],
        "errors": {
            "summary": "You must specify a summary of the issue.",
            "priority": "Priority name 'Urgent' is not valid",
            "labels": "The label 'two words' contains spaces which is invalid.",
            "customfield_1": (
                "Field 'customfield_1' cannot be set. It is not on the appropriate screen, or unknown."
            ),
        },
    }


def test_unknown_project_and_issue(fake_jira_server: FakeJira) -> None:
    with client_for(fake_jira_server) as client:
        project = client.get("/rest/api/2/project/NOPE")
        issue = client.get("/rest/api/2/issue/FR-99")
    assert project.status_code == 404
    assert project.json()["errorMessages"] == ["No project could be found with key 'NOPE'."]
    assert issue.status_code == 404


def test_cloud_retired_search_for_search_jql(fake_jira_cloud: FakeJira) -> None:
    with client_for(fake_jira_cloud) as client:
        for _ in range(3):
            create(client, "3")
        gone = client.get("/rest/api/3/search", params={"jql": "project = FR"})
        first = client.get("/rest/api/3/search/jql", params={"jql": 'labels = "fr-1"', "maxResults": 2})
        token = first.json()["nextPageToken"]
        second = client.post("/rest/api/3/search/jql", json={"jql": "labels = fr-1", "nextPageToken": token})
    assert gone.status_code == 410 and "search/jql" in gone.json()["errorMessages"][0]
    assert [i["key"] for i in first.json()["issues"]] == ["FR-1", "FR-2"]
    assert "total" not in first.json() and first.json()["isLast"] is False
    assert [i["key"] for i in second.json()["issues"]] == ["FR-3"] and second.json()["isLast"] is True


def test_server_searches_with_total_and_rejects_bad_jql(fake_jira_server: FakeJira) -> None:
    with client_for(fake_jira_server) as client:
        create(client, "2")
        found = client.get(
            "/rest/api/2/search", params={"jql": 'project = "FR" AND labels = "fr-1" ORDER BY created DESC'}
        )
        bad = client.get("/rest/api/2/search", params={"jql": "project == FR"})
        jql = client.get("/rest/api/2/search/jql", params={"jql": "project = FR"})
    assert found.json()["total"] == 1 and found.json()["issues"][0]["key"] == "FR-1"
    assert bad.status_code == 400 and bad.json()["errorMessages"][0].startswith("Error in the JQL Query")
    assert jql.status_code == 404


def test_search_lag_hides_new_issues_for_a_while(fake_jira_cloud: FakeJira) -> None:
    fake_jira_cloud.search_lag = 3600  # longer than any test, however slow the machine
    with client_for(fake_jira_cloud) as client:
        create(client, "3", description={"type": "doc", "version": 1, "content": []})
        assert client.get("/rest/api/3/search/jql", params={"jql": "labels = fr-1"}).json()["issues"] == []
        fake_jira_cloud.search_lag = 0
        assert (
            len(client.get("/rest/api/3/search/jql", params={"jql": "labels = fr-1"}).json()["issues"]) == 1
        )


def test_edit_comment_and_transition(fake_jira_server: FakeJira) -> None:
    with client_for(fake_jira_server) as client:
        create(client, "2")
        edited = client.put(
            "/rest/api/2/issue/FR-1",
            json={"fields": {"summary": "new"}, "update": {"labels": [{"add": "x"}]}},
        )
        commented = client.post("/rest/api/2/issue/FR-1/comment", json={"body": "hello"})
        transitions = client.get("/rest/api/2/issue/FR-1/transitions").json()["transitions"]
        done = next(t["id"] for t in transitions if t["name"] == "Done")
        moved = client.post("/rest/api/2/issue/FR-1/transitions", json={"transition": {"id": done}})
        fields = client.get("/rest/api/2/issue/FR-1").json()["fields"]
    assert (edited.status_code, commented.status_code, moved.status_code) == (204, 201, 204)
    assert (
        fields["summary"] == "new"
        and fields["labels"] == ["fr-1", "x"]
        and fields["status"]["name"] == "Done"
    )
    assert fake_jira_server.issue("FR-1").comments[0]["body"] == "hello"


def test_statuses_carry_their_category(fake_jira_server: FakeJira) -> None:
    with client_for(fake_jira_server) as client:
        create(client, "2")
        fresh = client.get("/rest/api/2/issue/FR-1", params={"fields": "status"}).json()["fields"]["status"]
        fake_jira_server.set_status("FR-1", "In Review", category="indeterminate")
        review = client.get("/rest/api/2/issue/FR-1").json()["fields"]["status"]
        fake_jira_server.set_status("FR-1", "Done")
        done = client.get("/rest/api/2/issue/FR-1").json()["fields"]["status"]
    assert (fresh["name"], fresh["statusCategory"]["key"], fresh["statusCategory"]["name"]) == (
        "To Do",
        "new",
        "To Do",
    )
    assert (review["name"], review["statusCategory"]["key"]) == ("In Review", "indeterminate")
    assert (done["name"], done["statusCategory"]["key"], done["statusCategory"]["id"]) == ("Done", "done", 3)
    with pytest.raises(ValueError, match="unknown status category"):
        fake_jira_server.set_status("FR-1", "Closed", category="finished")


def test_key_in_searches_and_unknown_keys_fail_the_query(fake_jira_cloud: FakeJira) -> None:
    with client_for(fake_jira_cloud) as client:
        for _ in range(3):
            create(client, "3")
        found = client.get(
            "/rest/api/3/search/jql", params={"jql": 'key in ("FR-3", FR-1)', "fields": "status"}
        )
        missing = client.get("/rest/api/3/search/jql", params={"jql": 'key in ("FR-1", "FR-7", "FR-8")'})
        malformed = client.get("/rest/api/3/search/jql", params={"jql": 'key in ("nope")'})
        unclosed = client.get("/rest/api/3/search/jql", params={"jql": "key in (FR-1, FR-2"})
    assert [i["key"] for i in found.json()["issues"]] == ["FR-1", "FR-3"]
    assert set(found.json()["issues"][0]["fields"]) == {"status"}
    assert missing.status_code == 400
    assert missing.json()["errorMessages"] == [
        "An issue with key 'FR-7' does not exist for field 'key'.",
        "An issue with key 'FR-8' does not exist for field 'key'.",
    ]
    assert malformed.json()["errorMessages"] == ["The issue key 'nope' for field 'key' is invalid."]
    assert unclosed.status_code == 400


def test_issue_links_are_recorded_once_and_read_from_the_inward_side(fake_jira_server: FakeJira) -> None:
    with client_for(fake_jira_server) as client:
        create(client, "2")
        create(client, "2")
        types = client.get("/rest/api/2/issueLinkType").json()["issueLinkTypes"]
        link = {
            "type": {"name": "Duplicate"},
            "inwardIssue": {"key": "FR-2"},
            "outwardIssue": {"key": "FR-1"},
        }
        answers = [client.post("/rest/api/2/issueLink", json=link) for _ in range(2)]
        unknown_type = client.post("/rest/api/2/issueLink", json={**link, "type": {"name": "Dupe"}})
        unknown_issue = client.post("/rest/api/2/issueLink", json={**link, "outwardIssue": {"key": "FR-9"}})
        itself = client.post("/rest/api/2/issueLink", json={**link, "outwardIssue": {"key": "FR-2"}})
    assert {"name": "Duplicate", "inward": "is duplicated by", "outward": "duplicates"}.items() <= next(
        t for t in types if t["name"] == "Duplicate"
    ).items()
    assert [(a.status_code, a.content) for a in answers] == [(201, b""), (201, b"")]
    assert fake_jira_server.link_descriptions() == ["FR-2 duplicates FR-1"]
    assert unknown_type.status_code == 404 and "No issue link type with name 'Dupe'" in unknown_type.text
    assert (unknown_issue.status_code, itself.status_code) == (404, 400)


def test_webhook_payload_is_jira_shaped_and_signed(fake_jira_cloud: FakeJira) -> None:
    key = fake_jira_cloud.add_issue("Export empty", labels=["fr-7"])

    body, headers = fake_jira_cloud.webhook_payload(key, "To Do", "Done", "s3cret")

    document = json.loads(body)
    assert document["webhookEvent"] == "jira:issue_updated"
    assert document["issue"]["key"] == key and document["issue"]["fields"]["labels"] == ["fr-7"]
    assert document["issue"]["fields"]["status"]["statusCategory"]["key"] == "done"
    assert document["changelog"]["items"] == [
        {
            "field": "status",
            "fieldtype": "jira",
            "fieldId": "status",
            "from": "10000",
            "fromString": "To Do",
            "to": "10001",
            "toString": "Done",
        }
    ]
    assert headers["X-Hub-Signature"] == "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert len(headers["X-Atlassian-Webhook-Identifier"]) == 32 and "X-Atlassian-Webhook-Retry" not in headers
