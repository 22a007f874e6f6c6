"""JiraTicketSink: tickets in Jira Cloud or Jira Data Center through the ``jira`` client."""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import requests
import urllib3.exceptions
from jira import JIRA, JIRAError

from integrations._http import Closable, error_for_status
from integrations.base import TicketRef, TicketRequest, TicketStatus, TicketUpdate
from integrations.errors import (
    IntegrationError,
    PermanentIntegrationError,
    RetryableIntegrationError,
    UnclearOutcomeError,
)
from integrations.jira import markup
from integrations.jira.config import JiraConfig
from integrations.jira.webhook import status_category
from integrations.redact import redact

logger = logging.getLogger(__name__)

STATUS_BATCH = 50  # keys per search: JQL stays short and one page answers it
# Jira answers 400 naming each key in a "key in (...)" query that does not exist or is not visible
# ("An issue with key 'FR-9' does not exist for field 'key'."; some versions word it as for a value).
MISSING_KEY = re.compile(r"(?:An issue with key|The value) '([^']+)' does not exist for (?:the )?field 'key'")
DUPLICATE_LINK = "Duplicate"  # the link type every Jira site has, unless an admin removed it


def jql_string(value: str) -> str:
    """A JQL string literal: double quotes, with quotes and backslashes escaped."""
    return '"' + re.sub(r'(["\\])', r"\\\1", value) + '"'


class JiraTicketSink(Closable):
    """A :class:`~integrations.base.TicketSink` on Jira Cloud or Jira Data Center / Server.

    Cloud (``config.user`` set): HTTP basic with e-mail and API token, REST API v3, descriptions and
    comments as Atlassian Document Format. Data Center (``config.user`` empty): a personal access token
    as ``Authorization: Bearer``, REST API v2, descriptions and comments as wiki-markup strings.

    The client is created on first use (it asks the server for ``serverInfo``), so building a sink
    never touches the network. It does no retries of its own; errors are mapped to
    :mod:`integrations.errors`. Close it (or use it as a context manager) to release connections.

    Args:
        config: the site, credentials and timeout.
    """

    config_class: ClassVar[type[JiraConfig]] = JiraConfig

    def __init__(self, config: JiraConfig) -> None:
        self.config = config
        self._jira: JIRA | None = None
        self._lock = threading.Lock()

    # -- TicketSink ---------------------------------------------------------------------------

    def create(self, request: TicketRequest) -> TicketRef:
        """Create an issue with ``request.ref`` among its labels.

        Project and issue type are sent by key and name, so creating costs one request (no
        ``GET project``, no prefetch of the new issue).

        Raises:
            UnclearOutcomeError: the request was sent but no answer came: call :meth:`find` first.
            RetryableIntegrationError: 429/503 (``retry_after`` from ``Retry-After``), other 5xx,
                connection failures.
            PermanentIntegrationError: invalid fields (with Jira's per-field messages), 401, 403,
                unknown project or issue type.
        """
        fields: dict[str, Any] = {
            "project": {"key": request.project},
            "issuetype": {"name": request.issue_type},
            "summary": self._clean(request.summary),
            "labels": request.all_labels,
        }
        if request.description.strip():
            fields["description"] = self._document(request.description)
        if request.priority:
            fields["priority"] = {"name": request.priority}
        if request.components:
            fields["components"] = [{"name": name} for name in request.components]
        with self._call(f"create issue in {request.project}", writes=True) as jira:
            issue = jira.create_issue(fields=fields, prefetch=False)
        logger.info("created Jira issue %s", issue.key, extra={"ticket_ref": request.ref})
        return self._ref(issue.key, issue.id)

    def find(self, ref: str, project: str) -> TicketRef | None:
        """The oldest issue in ``project`` labelled ``ref``, or ``None``.

        Runs ``project = "FR" AND labels = "fr-42" ORDER BY created ASC``; the client sends it to
        ``/rest/api/3/search/jql`` on Cloud and ``/rest/api/2/search`` on Data Center. Cloud's search is
        eventually consistent: an issue created a few seconds ago may be missing.
        """
        jql = f"project = {jql_string(project)} AND labels = {jql_string(ref)} ORDER BY created ASC"
        with self._call(f"search for {ref} in {project}", writes=False) as jira:
            issues = jira.search_issues(jql, maxResults=2, fields="summary,labels")
        if not issues:
            return None
        if len(issues) > 1:
            logger.warning(
                "more than one Jira issue carries our label %s: %s",
                ref,
                ", ".join(issue.key for issue in issues),
                extra={"ticket_ref": ref},
            )
        first = issues[0]
        return self._ref(first.key, first.id)

    def add_comment(self, key: str, text: str) -> str:
        """Add a comment (ADF on Cloud, wiki markup on Data Center); returns the comment id.

        A comment has no label to look up: after an :class:`UnclearOutcomeError` the caller decides
        whether a second copy is acceptable.
        """
        with self._call(f"comment on {key}", writes=True) as jira:
            comment = jira.add_comment(key, self._document(text))
        return str(comment.id)

    def find_comment(self, key: str, ref: str) -> str | None:
        """The id of a comment among the issue's newest 100 whose text carries ``ref``, or ``None``.

        A caller that writes a reference into its comment asks this before a repeated attempt, so an
        :class:`UnclearOutcomeError` from :meth:`add_comment` never leaves two copies.
        """
        with self._call(f"read the comments of {key}", writes=False) as jira:
            comments = jira.comments(key, max_results=100, order_by="-created")
        for comment in comments:
            if ref in json.dumps((comment.raw or {}).get("body"), ensure_ascii=False):
                return str(comment.id)
        return None

    def update(self, key: str, update: TicketUpdate) -> None:
        """Set fields and add labels on an issue; an empty update sends nothing.

        Uses the client's ``Issue.update`` (``PUT /issue/{key}``, after reading the issue it edits).
        Editing is idempotent, so an unclear outcome can simply be retried.
        """
        if update.is_empty:
            return
        fields: dict[str, Any] = {}
        if update.summary is not None:
            fields["summary"] = self._clean(update.summary)
        if update.description is not None:
            fields["description"] = self._document(update.description)
        if update.priority is not None:
            fields["priority"] = {"name": update.priority}
        if update.components is not None:
            fields["components"] = [{"name": name} for name in update.components]
        operations = {"labels": [{"add": label} for label in update.add_labels]} if update.add_labels else {}
        with self._call(f"update {key}", writes=False) as jira:
            issue = jira.issue(key, fields="summary")
            issue.update(fields=fields, update=operations)

    # -- TicketStatusSource and links ---------------------------------------------------------

    def statuses(self, keys: list[str]) -> dict[str, TicketStatus]:
        """The current status of each issue, for polling when the webhook is not set up.

        Asks ``key in ("FR-1", "FR-2", ...)`` with ``fields=status``, 50 keys per search. Jira rejects
        the whole query when one key does not exist or is not visible to us (HTTP 400 naming the key):
        such keys are dropped and the search is repeated, so they are simply missing from the result.

        Args:
            keys: issue keys; duplicates are asked for once.

        Returns:
            Key → status (name and category). An issue moved to another project answers under its new
            key. Cloud's search is eventually consistent: a very new issue may be missing.

        Raises:
            RetryableIntegrationError: 429 (``retry_after``), 5xx, connection failures.
            PermanentIntegrationError: 401, 403, a query Jira rejects for another reason.
        """
        unique = list(dict.fromkeys(keys))
        found: dict[str, TicketStatus] = {}
        for start in range(0, len(unique), STATUS_BATCH):
            found.update(self._statuses(unique[start : start + STATUS_BATCH]))
        return found

    def link_duplicate(self, from_key: str, to_key: str) -> None:
        """Link two issues as duplicates: ``from_key`` duplicates ``to_key`` (merged clusters).

        Jira then shows "duplicates ``to_key``" on ``from_key`` and "is duplicated by ``from_key``" on
        ``to_key``. The API names the ends the other way round from what one would guess: the issue
        that *shows the outward description* ("duplicates") goes in ``inwardIssue`` (what Jira Cloud
        and Data Center do; the REST reference does not say, and several clients got it backwards).

        Sent as ``POST /issueLink`` through the client's session rather than ``create_issue_link``:
        that method fetches every link type first on each call and then logs a misleading warning,
        because it compares the type name with the type objects. Creating a link that exists already
        succeeds without a second link, so a retry after an unclear outcome is safe.

        Raises:
            RetryableIntegrationError: 429 (``retry_after``), 5xx, connection failures.
            PermanentIntegrationError: an issue that does not exist (404), no permission to link,
                no "Duplicate" link type on the site.
        """
        payload = {
            "type": {"name": DUPLICATE_LINK},
            "inwardIssue": {"key": from_key},
            "outwardIssue": {"key": to_key},
        }
        with self._call(f"link {from_key} as a duplicate of {to_key}", writes=False) as jira:
            jira._session.post(jira._get_url("issueLink"), data=json.dumps(payload))
        logger.info("linked Jira issue %s as a duplicate of %s", from_key, to_key)

    def _statuses(self, keys: list[str]) -> dict[str, TicketStatus]:
        wanted = list(keys)
        while wanted:
            jql = f"key in ({', '.join(jql_string(key) for key in wanted)})"
            try:
                with self._call(f"read the status of {len(wanted)} issues", writes=False) as jira:
                    issues = jira.search_issues(jql, maxResults=len(wanted), fields="status")
            except PermanentIntegrationError as exc:
                missing = set(MISSING_KEY.findall(str(exc))) & set(wanted)
                if exc.status_code != 400 or not missing:
                    raise
                wanted = [key for key in wanted if key not in missing]
                continue
            found: dict[str, TicketStatus] = {}
            for issue in issues:
                status = (issue.raw or {}).get("fields", {}).get("status") or {}
                if isinstance(status.get("name"), str):
                    found[issue.key] = TicketStatus(name=status["name"], category=status_category(status))
            return found
        return {}

    # -- lifecycle ----------------------------------------------------------------------------

    def close(self) -> None:
        """Close the client's HTTP connections; the sink reconnects if used again."""
        with self._lock:
            if self._jira is not None:
                self._jira.close()
                self._jira = None

    # -- internals ----------------------------------------------------------------------------

    @property
    def _cloud(self) -> bool:
        return self.config.deployment == "cloud"

    def _ref(self, key: str, issue_id: str | int) -> TicketRef:
        return TicketRef(key=key, id=str(issue_id), url=f"{self.config.server}/browse/{key}")

    def _clean(self, text: str) -> str:
        return redact(text) if self.config.redact else text

    def _document(self, text: str) -> Any:
        # Typed Any: the client annotates bodies as str, but REST v3 takes an ADF object there.
        text = self._clean(text)
        return markup.to_adf(text) if self._cloud else markup.to_wiki(text)

    def _client(self) -> JIRA:
        with self._lock:
            if self._jira is None:
                self._jira = self._connect()
            return self._jira

    def _connect(self) -> JIRA:
        token = self.config.token.get_secret_value()
        auth: dict[str, Any] = (
            {"basic_auth": (self.config.user, token)} if self._cloud else {"token_auth": token}
        )
        try:
            jira = JIRA(
                server=self.config.server,
                options={"rest_api_version": "3" if self._cloud else "2"},
                # Retries belong to our tasks: the client's own sleep 10*2^n seconds inside a call.
                max_retries=0,
                timeout=self.config.timeout,
                # serverInfo tells the client whether to use Cloud's search/jql; we check the config too.
                get_server_info=True,
                **auth,
            )
        except JIRAError as exc:
            if exc.status_code == 404 and self._cloud:
                raise PermanentIntegrationError(
                    f"Jira at {self.config.server} has no REST API v3 (HTTP 404 for serverInfo): if it is "
                    "Jira Data Center, leave the user empty and use a personal access token",
                    status_code=404,
                ) from exc
            raise
        reported = jira.deploymentType or "Server"
        if (reported == "Cloud") != self._cloud:
            jira.close()
            expected = "Cloud (user set)" if self._cloud else "Data Center (no user)"
            raise PermanentIntegrationError(
                f"Jira at {self.config.server} reports deploymentType {reported!r} but is configured as "
                f"{expected}: set the user (account e-mail) for Cloud, leave it empty for Data Center"
            )
        return jira

    @contextmanager
    def _call(self, operation: str, *, writes: bool) -> Iterator[JIRA]:
        """Run one client operation; translate everything it raises into our error classes.

        ``writes``: whether a request that may have arrived could have changed something (then a lost
        answer is an :class:`UnclearOutcomeError`, not a plain retryable error).
        """
        where = f"Jira ({self.config.server}): {operation}"
        with self._translated(where, writes=False):  # connecting (serverInfo) changes nothing
            jira = self._client()
        with self._translated(where, writes=writes):
            yield jira

    @contextmanager
    def _translated(self, where: str, *, writes: bool) -> Iterator[None]:
        try:
            yield
        except IntegrationError:
            raise
        except JIRAError as exc:
            raise self._http_error(where, exc, writes=writes) from exc
        except requests.RequestException as exc:
            raise self._transport_error(where, exc, writes=writes) from exc

    def _http_error(self, where: str, exc: JIRAError, *, writes: bool) -> IntegrationError:
        response = exc.response
        status = exc.status_code
        if status is None or 200 <= status < 300:
            # The client got no usable answer (empty, or a 2xx without the issue key).
            message = f"{where}: Jira's answer could not be read ({_reason(exc)})"
            if writes:
                return UnclearOutcomeError(message, retry_after=self.config.settle_seconds)
            return RetryableIntegrationError(message)
        reason = _reason(exc)
        retry_after = None
        if response is not None:
            retry_after = response.headers.get("Retry-After")
            limit = response.headers.get("RateLimit-Reason")  # Cloud names the limit that was hit
            if limit:
                reason = f"{reason} [{limit}]" if reason else limit
        return error_for_status(where, status, reason, retry_after)

    def _transport_error(
        self, where: str, exc: requests.RequestException, *, writes: bool
    ) -> IntegrationError:
        kind = type(exc).__name__
        if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.InvalidSchema):
            return PermanentIntegrationError(f"{where}: the configured URL cannot be used ({kind})")
        if _before_sending(exc):
            return RetryableIntegrationError(f"{where}: could not connect ({kind}: {_short(exc)})")
        if writes:
            return UnclearOutcomeError(
                f"{where}: the request was sent but no complete answer came ({kind}: {_short(exc)}); "
                "look the ticket up before creating it again",
                retry_after=self.config.settle_seconds,
            )
        return RetryableIntegrationError(f"{where}: no complete answer ({kind}: {_short(exc)})")


def _before_sending(exc: requests.RequestException) -> bool:
    """Whether the request provably never reached Jira (no connection, TLS or proxy failure)."""
    if isinstance(
        exc,
        requests.exceptions.ConnectTimeout | requests.exceptions.SSLError | requests.exceptions.ProxyError,
    ):
        return True
    if isinstance(exc, requests.ConnectionError) and exc.args:
        cause = exc.args[0]
        reason = (
            getattr(cause, "reason", None) if isinstance(cause, urllib3.exceptions.MaxRetryError) else cause
        )
        return isinstance(
            reason, urllib3.exceptions.NewConnectionError | urllib3.exceptions.ConnectTimeoutError
        )
    return False


def _reason(exc: JIRAError) -> str:
    """Jira's own words: ``errorMessages`` and ``errors`` (``field: message``), joined."""
    response = exc.response
    if response is not None:
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            messages = [str(message) for message in body.get("errorMessages") or []]
            errors = body.get("errors")
            if isinstance(errors, dict):
                messages += [f"{name}: {message}" for name, message in errors.items()]
            if isinstance(body.get("message"), str):
                messages.append(body["message"])
            if messages:
                return "; ".join(messages)
        text = (response.text or "").strip()
        if text and not text.lstrip().startswith("<"):
            return text[:300]
        return response.reason or ""
    return exc.text or ""


def _short(exc: Exception) -> str:
    """The gist of a requests/urllib3 error, without the connection-pool and URL noise."""
    text = str(exc)
    caused = re.search(r"\(Caused by \w+\((?:<[^>]*>, )?['\"]?(.*?)['\"]?\)\)$", text)
    if caused:
        text = caused.group(1)
    text = re.sub(r"^<?\w*Connection\w*\([^)]*\)>?: ", "", text)
    return text[:200]
