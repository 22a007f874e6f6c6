"""A local Jira that speaks the REST contract our sink and the ``jira`` client use, v2 and v3.

Cloud or Server is chosen per fake (``deployment``): ``serverInfo`` reports it, auth follows it (Cloud:
basic ``email:token``; Server/Data Center: ``Bearer <token>``), Cloud serves REST v2 and v3 and has
retired ``/search`` (410) for ``/search/jql`` (token paging, no total), Server serves v2 only and the
old ``/search``. Creating validates like Jira does and answers like Jira does: ``201 {id, key, self}``
or ``400 {"errorMessages": [...], "errors": {"field": "message"}}``; v3 wants descriptions and comment
bodies as Atlassian Document Format, v2 as strings. A tiny JQL subset is understood:
``field = value`` and ``field in (a, b)`` clauses joined by ``AND`` over project, labels, key, issuetype
and status, and an optional ``ORDER BY created|key [ASC|DESC]``; a key that does not exist makes the
query fail with Jira's 400 ("An issue with key 'FR-9' does not exist for field 'key'.").

Statuses carry their category (``new``, ``indeterminate``, ``done``) as Jira's ``statusCategory``;
:meth:`FakeJira.set_status` changes one as a person in Jira would. ``POST /issueLink`` links issues
(``GET /issueLinkType`` lists Duplicate, Blocks, Relates, Cloners) and :attr:`FakeJira.links` records
them. :meth:`FakeJira.webhook_payload` builds the signed delivery Jira's admin webhook would send
after a status change.

Faults come from :class:`tests.fakes.server.FakeServer` (``script`` with Reply/Hang/Drop); Cloud's
eventual consistency is ``search_lag`` seconds during which a new issue is invisible to search.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import shlex
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from tests.fakes.server import FakeServer

Deployment = Literal["Cloud", "Server"]
PRIORITIES = {"Highest": "1", "High": "2", "Medium": "3", "Low": "4", "Lowest": "5"}
NOT_AUTHENTICATED = "You are not authenticated. Authentication required to perform this operation."
CANNOT_SET = "Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
NO_ISSUE = "Issue does not exist or you do not have permission to see it."
SEARCH_GONE = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)
TRANSITIONS = {"11": "To Do", "21": "In Progress", "31": "Done"}
CATEGORY_OF = {"To Do": "new", "In Progress": "indeterminate", "Done": "done"}
# key -> (id, name, colour), as Jira's /statuscategory lists them
STATUS_CATEGORIES = {
    "undefined": (1, "No Category", "medium-gray"),
    "new": (2, "To Do", "blue-gray"),
    "done": (3, "Done", "green"),
    "indeterminate": (4, "In Progress", "yellow"),
}
LINK_TYPES = [  # (id, name, inward, outward): the link types of a new Jira site
    ("10000", "Blocks", "is blocked by", "blocks"),
    ("10001", "Cloners", "is cloned by", "clones"),
    ("10002", "Duplicate", "is duplicated by", "duplicates"),
    ("10003", "Relates", "relates to", "relates to"),
]
SETTABLE = {"project", "issuetype", "summary", "description", "labels", "priority", "components"}
FIELDS = [
    ("summary", "Summary"),
    ("description", "Description"),
    ("labels", "Labels"),
    ("priority", "Priority"),
    ("components", "Component/s"),
    ("project", "Project"),
    ("issuetype", "Issue Type"),
    ("status", "Status"),
    ("created", "Created"),
]


@dataclass
class FakeProject:
    key: str
    id: str
    name: str
    issue_types: dict[str, str] = field(
        default_factory=lambda: {"Task": "10001", "Bug": "10002", "Story": "10003"}
    )
    components: dict[str, str] = field(
        default_factory=lambda: {"Billing": "10100", "Login": "10101", "Export": "10102"}
    )


@dataclass
class FakeIssue:
    id: str
    key: str
    project: FakeProject
    fields: dict[
        str, Any
    ]  # as sent: summary, description (str or ADF), labels, priority, components, issuetype
    created_at: float
    status: str = "To Do"
    status_category: str = "new"
    comments: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class FakeLink:
    """A link as sent: Jira shows ``outward`` description on ``inward_issue`` ("FR-2 duplicates FR-1")."""

    type: str
    inward_issue: str
    outward_issue: str

    def describe(self) -> str:
        """How Jira's issue view reads the link from the inward issue's side."""
        outward = next(o for _, name, _, o in LINK_TYPES if name == self.type)
        return f"{self.inward_issue} {outward} {self.outward_issue}"


class FakeJira(FakeServer):
    """State and controls of one fake Jira site; ``app()`` is its ASGI application.

    Attributes:
        deployment: ``"Cloud"`` or ``"Server"``.
        user, token: the credentials it accepts (``user`` is used on Cloud only).
        projects: by key; ``FR`` (components Billing, Login, Export) exists by default.
        issues: created issues, oldest first.
        links: issue links created with ``POST /issueLink``, in order.
        search_lag: seconds a new issue stays invisible to search (Cloud's eventual consistency).
        reported_deployment: what ``serverInfo`` claims instead of ``deployment`` (a misleading proxy).
    """

    def __init__(self, deployment: Deployment) -> None:
        super().__init__()
        self._deployment: Deployment = deployment
        self._state = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Back to a fresh site: its deployment, default credentials and project, no issues, no faults."""
        super().reset()
        with self._state:
            self.deployment: Deployment = self._deployment
            self.user = "bot@example.com"
            self.token = "jira-test-token"
            self.projects = {"FR": FakeProject(key="FR", id="10000", name="Feedback Router")}
            self.issues: list[FakeIssue] = []
            self.links: list[FakeLink] = []
            self.search_lag = 0.0
            self.reported_deployment: str | None = None  # what serverInfo claims, if not ``deployment``
            self._next_id = 10001
            self._next_number: dict[str, int] = {}
            self._next_comment = 20001

    @property
    def cloud(self) -> bool:
        return self.deployment == "Cloud"

    @property
    def connection(self) -> dict[str, str]:
        """The service's settings that point it at this site with its credentials."""
        return {"jira__url": self.url, "jira__user": self.user, "jira__token": self.token}

    def issue(self, key: str) -> FakeIssue:
        """A created issue by key (for assertions)."""
        with self._state:
            found = self._find(key)
        if found is None:
            raise KeyError(key)
        return found

    def add_issue(self, summary: str, *, project: str = "FR", labels: list[str] | None = None) -> str:
        """An issue someone created in Jira itself (not through the API); returns its key."""
        with self._state:
            found = self.projects[project]
            number = self._next_number.get(found.key, 1)
            self._next_number[found.key] = number + 1
            issue = FakeIssue(
                id=str(self._next_id),
                key=f"{found.key}-{number}",
                project=found,
                fields={"summary": summary, "labels": list(labels or []), "issuetype": "Task"},
                created_at=time.time(),
            )
            self._next_id += 1
            self.issues.append(issue)
        return issue.key

    def set_status(self, key: str, name: str, *, category: str | None = None) -> None:
        """Move an issue to status ``name`` as someone in Jira would (a workflow may have any names).

        ``category`` is ``new``, ``indeterminate`` or ``done``; by default the one of the usual status
        of that name (To Do, In Progress, Done), else ``indeterminate``.
        """
        category = category or CATEGORY_OF.get(name, "indeterminate")
        if category not in STATUS_CATEGORIES:
            raise ValueError(f"unknown status category {category!r}")
        issue = self.issue(key)
        with self._state:
            issue.status, issue.status_category = name, category

    def webhook_payload(
        self,
        key: str,
        from_status: str,
        to_status: str,
        secret: str,
        *,
        category: str | None = None,
        identifier: str | None = None,
        retry: int = 0,
        timestamp: float | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """The delivery Jira's admin webhook sends after ``key`` moved from ``from_status`` to ``to_status``.

        Applies the change first (:meth:`set_status` with ``category``), then renders the issue as Jira
        does in ``jira:issue_updated`` with a changelog item for the status. The body is signed with
        ``secret`` by the fake's own HMAC code (``X-Hub-Signature: sha256=<hex>``).

        Args:
            identifier: ``X-Atlassian-Webhook-Identifier``; pass the first delivery's to build a retry.
            retry: ``X-Atlassian-Webhook-Retry`` (sent only on retries, i.e. when above 0).
            timestamp: the event's time in epoch seconds (default now).

        Returns:
            ``(body, headers)``, to post to the service's webhook route as they are.
        """
        self.set_status(key, to_status, category=category)
        issue = self.issue(key)
        with self._state:
            rendered = self._render(issue, "2", f"{self.url}/", None)
        ids = {"To Do": "10000", "In Progress": "3", "Done": "10001"}
        document = {
            "timestamp": int((time.time() if timestamp is None else timestamp) * 1000),
            "webhookEvent": "jira:issue_updated",
            "issue_event_type_name": "issue_generic",
            "user": {"accountId": "5b10ac8d82e05b22cc7d4ef5", "displayName": "Mia Krystof"},
            "issue": rendered,
            "changelog": {
                "id": str(10100 + len(issue.comments)),
                "items": [
                    {
                        "field": "status",
                        "fieldtype": "jira",
                        "fieldId": "status",
                        "from": ids.get(from_status, "10100"),
                        "fromString": from_status,
                        "to": ids.get(to_status, "10101"),
                        "toString": to_status,
                    }
                ],
            },
        }
        body = json.dumps(document).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Atlassian Webhook HTTP Client",
            "X-Atlassian-Webhook-Identifier": identifier or uuid.uuid4().hex,
            "X-Hub-Signature": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
        }
        if retry:
            headers["X-Atlassian-Webhook-Retry"] = str(retry)
        return body, headers

    def link_descriptions(self) -> list[str]:
        """The links as Jira's issue view reads them: ``["FR-2 duplicates FR-1"]``."""
        with self._state:
            return [link.describe() for link in self.links]

    # -- the application ----------------------------------------------------------------------

    def app(self) -> FastAPI:
        """The ASGI app, wrapped in the recording and fault-injecting harness by ``asgi()``."""
        app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
        prefix = "/rest/api/{version}"

        @app.middleware("http")
        async def authenticate(request: Request, call_next: Any) -> Response:
            version = _version_of(request.url.path)
            if version is not None and version not in self._versions():
                return Response("<html><body>404 Not Found</body></html>", 404, media_type="text/html")
            if not self._authorised(request.headers.get("authorization", "")):
                if self.cloud:
                    headers = {"WWW-Authenticate": 'Basic realm="protected-area"'}
                else:
                    headers = {"X-Seraph-LoginReason": "AUTHENTICATED_FAILED"}
                return _errors(401, [NOT_AUTHENTICATED], headers=headers)
            return await call_next(request)

        @app.get(prefix + "/serverInfo")
        async def server_info(request: Request) -> Response:
            version = [1001, 0, 0] if self.cloud else [10, 3, 1]
            return JSONResponse(
                {
                    "baseUrl": _base(request),
                    "version": ".".join(map(str, version)) + ("-SNAPSHOT" if self.cloud else ""),
                    "versionNumbers": version,
                    "deploymentType": self.reported_deployment or self.deployment,
                    "buildNumber": 100281 if self.cloud else 10030001,
                    "serverTitle": "Fake Jira",
                }
            )

        @app.get(prefix + "/field")
        async def fields() -> Response:
            return JSONResponse(
                [
                    {
                        "id": fid,
                        "key": fid,
                        "name": name,
                        "custom": False,
                        "navigable": True,
                        "searchable": True,
                        "clauseNames": [fid],
                    }
                    for fid, name in FIELDS
                ]
            )

        @app.get(prefix + "/project/{key}")
        async def project(key: str) -> Response:
            found = self._project(key)
            if found is None:
                return _errors(404, [f"No project could be found with key '{key}'."])
            return JSONResponse(
                {
                    "id": found.id,
                    "key": found.key,
                    "name": found.name,
                    "issueTypes": [
                        {"id": i, "name": n, "subtask": False} for n, i in found.issue_types.items()
                    ],
                    "components": [{"id": i, "name": n} for n, i in found.components.items()],
                }
            )

        @app.post(prefix + "/issue")
        async def create_issue(request: Request, version: str) -> Response:
            body = await _json(request)
            if not isinstance(body, dict) or not isinstance(body.get("fields"), dict):
                return _errors(400, ["Can not deserialize instance of IssueBean: 'fields' is missing."])
            with self._state:
                errors, values = self._validate(body["fields"], version, creating=True)
                if errors:
                    return _errors(400, [], errors)
                project = values.pop("project")
                number = self._next_number.get(project.key, 1)
                self._next_number[project.key] = number + 1
                issue = FakeIssue(
                    id=str(self._next_id),
                    key=f"{project.key}-{number}",
                    project=project,
                    fields=values,
                    created_at=time.time(),
                )
                self._next_id += 1
                self.issues.append(issue)
            return JSONResponse(
                {
                    "id": issue.id,
                    "key": issue.key,
                    "self": f"{_base(request)}rest/api/{version}/issue/{issue.id}",
                },
                status_code=201,
            )

        @app.get(prefix + "/issue/{key}")
        async def get_issue(request: Request, key: str, version: str) -> Response:
            with self._state:
                issue = self._find(key)
                if issue is None:
                    return _errors(404, [NO_ISSUE])
                return JSONResponse(self._render(issue, version, _base(request), _wanted(request)))

        @app.put(prefix + "/issue/{key}")
        async def edit_issue(request: Request, key: str, version: str) -> Response:
            body = await _json(request)
            with self._state:
                issue = self._find(key)
                if issue is None:
                    return _errors(404, [NO_ISSUE])
                if not isinstance(body, dict):
                    return _errors(400, ["Can not deserialize the request body."])
                errors, values = self._validate(
                    body.get("fields") or {}, version, creating=False, project=issue.project
                )
                labels = list(values.get("labels", issue.fields.get("labels", [])))
                for operation in (body.get("update") or {}).get("labels", []):
                    if "add" in operation and operation["add"] not in labels:
                        labels.append(operation["add"])
                    elif "remove" in operation and operation["remove"] in labels:
                        labels.remove(operation["remove"])
                    elif "set" in operation:
                        labels = list(operation["set"])
                for name in set(body.get("update") or {}) - {"labels"}:
                    errors[name] = CANNOT_SET.format(name=name)
                if errors:
                    return _errors(400, [], errors)
                issue.fields.update(values)
                issue.fields["labels"] = labels
            return Response(status_code=204)

        @app.post(prefix + "/issue/{key}/comment")
        async def add_comment(request: Request, key: str, version: str) -> Response:
            body = await _json(request)
            with self._state:
                issue = self._find(key)
                if issue is None:
                    return _errors(404, [NO_ISSUE])
                text = body.get("body") if isinstance(body, dict) else None
                problem = _document_problem(text, version)
                if problem or not text:
                    return _errors(400, [], {"comment": problem or "Comment body can not be empty!"})
                cid = str(self._next_comment)
                comment = {
                    "id": cid,
                    "self": f"{_base(request)}rest/api/{version}/issue/{issue.id}/comment/{cid}",
                    "body": text,
                    "author": {"displayName": "Feedback Router"},
                    "created": _timestamp(time.time()),
                }
                self._next_comment += 1
                issue.comments.append(comment)
            return JSONResponse(comment, status_code=201)

        @app.get(prefix + "/issue/{key}/comment")
        async def comments(key: str) -> Response:
            with self._state:
                issue = self._find(key)
                if issue is None:
                    return _errors(404, [NO_ISSUE])
                found = list(issue.comments)
            return JSONResponse({"startAt": 0, "maxResults": 50, "total": len(found), "comments": found})

        @app.get(prefix + "/issue/{key}/transitions")
        async def transitions(key: str) -> Response:
            if self._find(key) is None:
                return _errors(404, [NO_ISSUE])
            return JSONResponse(
                {
                    "transitions": [
                        {"id": tid, "name": name, "to": {"id": tid, "name": name}}
                        for tid, name in TRANSITIONS.items()
                    ]
                }
            )

        @app.post(prefix + "/issue/{key}/transitions")
        async def transition(request: Request, key: str) -> Response:
            body = await _json(request)
            with self._state:
                issue = self._find(key)
                if issue is None:
                    return _errors(404, [NO_ISSUE])
                tid = str(((body or {}).get("transition") or {}).get("id", ""))
                if tid not in TRANSITIONS:
                    return _errors(400, [f"Transition id '{tid}' is not valid for this issue."])
                issue.status = TRANSITIONS[tid]
                issue.status_category = CATEGORY_OF[issue.status]
            return Response(status_code=204)

        @app.get(prefix + "/issueLinkType")
        async def link_types(request: Request, version: str) -> Response:
            base = _base(request)
            return JSONResponse(
                {
                    "issueLinkTypes": [
                        {
                            "id": lid,
                            "name": name,
                            "inward": inward,
                            "outward": outward,
                            "self": f"{base}rest/api/{version}/issueLinkType/{lid}",
                        }
                        for lid, name, inward, outward in LINK_TYPES
                    ]
                }
            )

        @app.post(prefix + "/issueLink")
        async def link_issues(request: Request) -> Response:
            body = await _json(request)
            if not isinstance(body, dict):
                return _errors(400, ["Can not deserialize the request body."])
            kind = (body.get("type") or {}).get("name") if isinstance(body.get("type"), dict) else None
            if kind not in {name for _, name, _, _ in LINK_TYPES}:
                return _errors(404, [f"No issue link type with name '{kind}' found."])
            ends = []
            with self._state:
                for end in ("inwardIssue", "outwardIssue"):
                    ref = body.get(end)
                    wanted = ref.get("key") or ref.get("id") if isinstance(ref, dict) else None
                    issue = self._find(str(wanted)) if wanted else None
                    if issue is None:
                        return _errors(404, [f"Issue Does Not Exist: {wanted}"])
                    ends.append(issue.key)
                if ends[0] == ends[1]:
                    return _errors(400, ["You cannot link an issue to itself."])
                link = FakeLink(type=str(kind), inward_issue=ends[0], outward_issue=ends[1])
                if link not in self.links:  # Jira answers 201 for a link that exists, adding none
                    self.links.append(link)
            return Response(status_code=201)

        @app.get(prefix + "/search")
        @app.post(prefix + "/search")
        async def search(request: Request, version: str) -> Response:
            if self.cloud:
                return _errors(410, [SEARCH_GONE])
            params = await _search_params(request)
            start = int(params.get("startAt") or 0)
            size = int(params.get("maxResults") or 50)
            found, problem = self._search(str(params.get("jql") or ""))
            if problem:
                return _errors(400, problem.split("\n"))
            base, wanted = _base(request), _wanted_from(params.get("fields"))
            with self._state:
                page = [self._render(issue, version, base, wanted) for issue in found[start : start + size]]
            return JSONResponse(
                {
                    "expand": "schema,names",
                    "startAt": start,
                    "maxResults": size,
                    "total": len(found),
                    "issues": page,
                }
            )

        @app.get(prefix + "/search/jql")
        @app.post(prefix + "/search/jql")
        async def search_jql(request: Request, version: str) -> Response:
            if not self.cloud:
                return Response("<html><body>404 Not Found</body></html>", 404, media_type="text/html")
            params = await _search_params(request)
            start = int(params.get("nextPageToken") or 0)
            size = int(params.get("maxResults") or 50)
            found, problem = self._search(str(params.get("jql") or ""))
            if problem:
                return _errors(400, problem.split("\n"))
            base, wanted = _base(request), _wanted_from(params.get("fields"))
            with self._state:
                page = [self._render(issue, version, base, wanted) for issue in found[start : start + size]]
            answer: dict[str, Any] = {"issues": page, "isLast": start + size >= len(found)}
            if not answer["isLast"]:
                answer["nextPageToken"] = str(start + size)
            return JSONResponse(answer)

        return app

    # -- behaviour ----------------------------------------------------------------------------

    def _versions(self) -> set[str]:
        return {"2", "3", "latest"} if self.cloud else {"2", "latest"}

    def _authorised(self, header: str) -> bool:
        if self.cloud:
            expected = "Basic " + base64.b64encode(f"{self.user}:{self.token}".encode()).decode()
        else:
            expected = f"Bearer {self.token}"
        return header == expected

    def _project(self, key_or_id: str) -> FakeProject | None:
        return next((p for p in self.projects.values() if key_or_id in (p.key, p.id)), None)

    def _find(self, key_or_id: str) -> FakeIssue | None:
        return next((i for i in self.issues if key_or_id in (i.key, i.id)), None)

    def _validate(
        self, fields: dict[str, Any], version: str, *, creating: bool, project: FakeProject | None = None
    ) -> tuple[dict[str, str], dict[str, Any]]:
        """Jira's field checks: every problem at once, keyed by field, with Jira's wording."""
        errors: dict[str, str] = {}
        values: dict[str, Any] = {}
        for name in set(fields) - SETTABLE:
            errors[name] = CANNOT_SET.format(name=name)
        if creating:
            ref = fields.get("project")
            wanted = ref.get("key") or ref.get("id") if isinstance(ref, dict) else None
            project = self._project(str(wanted)) if wanted else None
            if project is None:
                errors["project"] = (
                    "valid project is required" if ref else "Specify a valid project ID or key"
                )
            values["project"] = project
        if creating or "issuetype" in fields:
            kind = fields.get("issuetype")
            name = kind.get("name") or kind.get("id") if isinstance(kind, dict) else None
            types = project.issue_types if project else {}
            match = next((n for n, i in types.items() if name in (n, i)), None)
            if not kind:
                errors["issuetype"] = "Specify an issue type"
            elif match is None and project is not None:
                errors["issuetype"] = "The issue type selected is invalid."
            values["issuetype"] = match
        if creating or "summary" in fields:
            summary = fields.get("summary")
            if not isinstance(summary, str) or not summary.strip():
                errors["summary"] = "You must specify a summary of the issue."
            elif len(summary) > 255:
                errors["summary"] = "Summary must be less than 255 characters."
            elif "\n" in summary or "\r" in summary:
                errors["summary"] = "The summary is invalid because it contains newline characters."
            values["summary"] = summary
        if "description" in fields:
            problem = _document_problem(fields["description"], version)
            if problem:
                errors["description"] = problem
            values["description"] = fields["description"]
        if "labels" in fields:
            labels = fields["labels"]
            if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
                errors["labels"] = "Labels must be a list of strings."
            else:
                for label in labels:
                    if re.search(r"\s", label):
                        errors["labels"] = f"The label '{label}' contains spaces which is invalid."
                    elif len(label) > 255:
                        errors["labels"] = "The label must not exceed 255 characters."
            values["labels"] = list(labels) if isinstance(labels, list) else []
        if "priority" in fields:
            priority = fields["priority"]
            name = priority.get("name") if isinstance(priority, dict) else None
            if name not in PRIORITIES:
                errors["priority"] = f"Priority name '{name}' is not valid"
            values["priority"] = name
        if "components" in fields:
            components = fields["components"]
            names = (
                [c.get("name") for c in components if isinstance(c, dict)]
                if isinstance(components, list)
                else []
            )
            known = project.components if project else {}
            for name in names:
                if name not in known:
                    errors["components"] = f"Component name '{name}' is not valid"
            values["components"] = names
        return errors, values

    def _search(self, jql: str) -> tuple[list[FakeIssue], str | None]:
        try:
            clauses, order, descending = _parse_jql(jql)
        except ValueError as exc:
            return [], f"Error in the JQL Query: {exc}"
        for name, values in clauses:
            for value in values:
                if name == "project" and self._project(value) is None:
                    return [], f"The value '{value}' does not exist for the field 'project'."
        with self._state:
            keys = [value for name, values in clauses if name == "key" for value in values]
            missing = [key for key in keys if self._find(key) is None]
        if missing:
            return [], "\n".join(
                f"An issue with key '{key}' does not exist for field 'key'."
                if re.fullmatch(r"[A-Z][A-Z0-9_]*-\d+", key)
                else f"The issue key '{key}' for field 'key' is invalid."
                for key in missing
            )
        visible_before = time.time() - self.search_lag
        with self._state:
            found = [
                issue
                for issue in self.issues
                if issue.created_at <= visible_before
                and all(any(_matches(issue, n, v) for v in values) for n, values in clauses)
            ]
        if order == "created":
            return sorted(found, key=lambda i: i.created_at, reverse=descending), None
        return sorted(
            found, key=lambda i: (i.project.key, int(i.key.split("-")[1])), reverse=descending
        ), None

    def _render(self, issue: FakeIssue, version: str, base: str, wanted: set[str] | None) -> dict[str, Any]:
        values = issue.fields
        description = values.get("description")
        if description is not None:
            description = _as_adf(description) if version == "3" else _as_text(description)
        project = issue.project
        fields: dict[str, Any] = {
            "summary": values.get("summary"),
            "description": description,
            "labels": list(values.get("labels", [])),
            "priority": {"name": values["priority"], "id": PRIORITIES[values["priority"]]}
            if values.get("priority")
            else None,
            "components": [{"name": n, "id": project.components[n]} for n in values.get("components", [])],
            "project": {"key": project.key, "id": project.id, "name": project.name},
            "issuetype": {
                "name": values.get("issuetype"),
                "id": project.issue_types.get(values.get("issuetype") or ""),
            },
            "status": _status(issue, base, version),
            "created": _timestamp(issue.created_at),
        }
        if wanted is not None:
            fields = {k: v for k, v in fields.items() if k in wanted}
        return {
            "expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
            "id": issue.id,
            "key": issue.key,
            "self": f"{base}rest/api/{version}/issue/{issue.id}",
            "fields": fields,
        }


# -- helpers ----------------------------------------------------------------------------------


def _errors(
    status: int,
    messages: list[str],
    errors: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        {"errorMessages": messages, "errors": errors or {}}, status_code=status, headers=headers
    )


def _version_of(path: str) -> str | None:
    match = re.match(r"^/rest/api/([^/]+)/", path)
    return match.group(1) if match else None


def _base(request: Request) -> str:
    return str(request.base_url)


async def _json(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        return None


async def _search_params(request: Request) -> dict[str, Any]:
    if request.method == "POST":
        body = await _json(request)
        return body if isinstance(body, dict) else {}
    params: dict[str, Any] = dict(request.query_params)
    params["fields"] = request.query_params.getlist("fields") or None
    return params


def _wanted(request: Request) -> set[str] | None:
    return _wanted_from(request.query_params.getlist("fields") or None)


def _wanted_from(fields: Any) -> set[str] | None:
    if not fields:
        return None
    names = {
        name.strip()
        for entry in ([fields] if isinstance(fields, str) else fields)
        for name in entry.split(",")
    }
    return None if names & {"*all", "*navigable", ""} else names


def _document_problem(value: Any, version: str) -> str | None:
    """Jira's answer to a description or comment body of the wrong shape for the API version."""
    if version == "3":
        if not (isinstance(value, dict) and value.get("type") == "doc" and value.get("version") == 1):
            return "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
        if not isinstance(value.get("content"), list):
            return "ADF document must have a content array"
        return None
    if value is not None and not isinstance(value, str):
        return "Operation value must be a string"
    return None


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value

    def walk(node: Any) -> str:
        if node.get("type") == "text":
            return str(node.get("text", ""))
        if node.get("type") == "hardBreak":
            return "\n"
        inner = "".join(walk(child) for child in node.get("content", []))
        return inner + "\n\n" if node.get("type") in ("paragraph", "blockquote", "bulletList") else inner

    return walk(value).strip()


def _as_adf(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    paragraphs = [p for p in str(value).split("\n\n") if p]
    return {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": p}]} for p in paragraphs],
    }


def _timestamp(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


def _parse_jql(jql: str) -> tuple[list[tuple[str, list[str]]], str, bool]:
    """``a = b AND c in (d, e) ORDER BY created`` → ([("a", ["b"]), ("c", ["d", "e"])], "created", False)."""
    order, descending = "key", False
    match = re.search(r"\s+ORDER\s+BY\s+(\w+)(?:\s+(ASC|DESC))?\s*$", jql, re.IGNORECASE)
    if match:
        order, descending = match.group(1).lower(), (match.group(2) or "ASC").upper() == "DESC"
        if order not in ("created", "key"):
            raise ValueError(f"ordering by '{order}' is not supported by this fake")
        jql = jql[: match.start()]
    lexer = shlex.shlex(jql, posix=True)
    lexer.wordchars += "-.:+/@#"
    tokens = list(lexer)
    clauses: list[tuple[str, list[str]]] = []
    position = 0
    while position < len(tokens):
        if clauses:
            if tokens[position].upper() != "AND":
                raise ValueError(f"Expecting 'AND' but got '{tokens[position]}'.")
            position += 1
        if position + 3 > len(tokens) or tokens[position + 1].lower() not in ("=", "in"):
            raise ValueError(f"Expecting a clause 'field = value' at '{' '.join(tokens[position:])}'.")
        name = tokens[position].lower()
        if name not in ("project", "labels", "key", "issuetype", "status"):
            raise ValueError(f"Field '{name}' is not supported by this fake.")
        if tokens[position + 1] == "=":
            clauses.append((name, [tokens[position + 2]]))
            position += 3
            continue
        if tokens[position + 2] != "(" or ")" not in tokens[position + 3 :]:
            raise ValueError("Expecting '(' and a list of values after 'in'.")
        end = tokens.index(")", position + 3)
        values = [token for token in tokens[position + 3 : end] if token != ","]
        if not values or tokens[position + 3 : end : 2] != values:
            raise ValueError("Expecting values separated by ',' in the list.")
        clauses.append((name, values))
        position = end + 1
    if not clauses:
        raise ValueError("the query is empty")
    return clauses, order, descending


def _status(issue: FakeIssue, base: str, version: str) -> dict[str, Any]:
    """A status object as Jira renders it, with its ``statusCategory``."""
    cid, cname, colour = STATUS_CATEGORIES[issue.status_category]
    sid = {"To Do": "10000", "In Progress": "3", "Done": "10001"}.get(issue.status, "10100")
    return {
        "self": f"{base}rest/api/{version}/status/{sid}",
        "name": issue.status,
        "id": sid,
        "statusCategory": {
            "self": f"{base}rest/api/{version}/statuscategory/{cid}",
            "id": cid,
            "key": issue.status_category,
            "colorName": colour,
            "name": cname,
        },
    }


def _matches(issue: FakeIssue, name: str, value: str) -> bool:
    if name == "project":
        return value in (issue.project.key, issue.project.id)
    if name == "labels":
        return value in issue.fields.get("labels", [])
    if name == "key":
        return value in (issue.key, issue.id)
    if name == "issuetype":
        return value == issue.fields.get("issuetype")
    return value.lower() == issue.status.lower()
