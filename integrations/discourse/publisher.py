"""DiscoursePublisher: topics and replies through Discourse's ``POST /posts.json``."""

from __future__ import annotations

import logging
import re
from typing import Any, ClassVar

import httpx

from integrations._http import USER_AGENT, Closable, error_for_status, error_for_transport
from integrations.base import PostRef
from integrations.discourse.config import DiscourseConfig
from integrations.errors import IntegrationError, PermanentIntegrationError, UnclearOutcomeError
from integrations.redact import redact

logger = logging.getLogger(__name__)

# Discourse's own rule for topics.external_id (Topic::EXTERNAL_ID_MAX_LENGTH and its format check).
EXTERNAL_ID = re.compile(r"^[\w-]{1,50}$", re.ASCII)
# A proxy that gave up waiting for Discourse says nothing about whether the post was created.
GATEWAY_STATUSES = frozenset({502, 504})
UNCLEAR_HINT = (
    "Discourse answers an identical API request within two minutes with the same post, so retrying it "
    "promptly does not post twice; later, look a topic up by its external_id (find_topic) first"
)


class DiscoursePublisher(Closable):
    """A :class:`~integrations.base.CommunityPublisher` on Discourse: digests as topics, thanks as replies.

    Every request carries the ``Api-Key`` and ``Api-Username`` headers; there is no retry inside (the
    service's tasks retry with :attr:`~integrations.errors.RetryableIntegrationError.retry_after`).
    What Discourse answers, and what it becomes:

    - ``200`` with the post: a :class:`~integrations.base.PostRef`;
    - ``429`` (admin keys share 60 requests a minute; posting has its own limits), with
      ``Retry-After`` and ``extras.wait_seconds``: :class:`RetryableIntegrationError` with ``retry_after``;
    - ``422 {"errors": [...]}`` (title or body too short, title already used, topic closed): permanent,
      with Discourse's messages; so is ``403`` (wrong key or username, no permission) and ``404``;
    - ``5xx`` and connection failures: retryable; for a create, a lost answer (read timeout, dropped
      connection, ``502``/``504`` from a proxy) is an :class:`UnclearOutcomeError`. Discourse helps
      there: it answers the identical request within 120 seconds with the same post, and a topic
      created with an ``external_id`` can be found again with :meth:`find_topic`.

    Close it (or use it as a context manager) to release connections.

    Args:
        config: the forum, the key and the account to post as.
    """

    config_class: ClassVar[type[DiscourseConfig]] = DiscourseConfig

    def __init__(self, config: DiscourseConfig) -> None:
        self.config = config
        self._http = httpx.Client(
            timeout=config.timeout,
            headers={
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
                "Api-Key": config.api_key.get_secret_value(),
                "Api-Username": config.api_username,
            },
            follow_redirects=False,  # a redirect to another host must not take the key along
        )

    # -- CommunityPublisher -------------------------------------------------------------------

    def create_topic(
        self, title: str, raw: str, category: int | None = None, *, external_id: str | None = None
    ) -> PostRef:
        """Open a topic (a digest, an announcement).

        Args:
            title: one line; Discourse wants at least 15 characters by default and a title not used yet.
            raw: the first post, Markdown; at least 20 characters by default.
            category: the category id, or ``None`` for the forum's default (Uncategorized).
            external_id: our id for the topic (letters, digits, ``_``, ``-``; at most 50), unique in the
                forum; with it :meth:`find_topic` finds the topic after an unclear outcome.

        Returns:
            The topic's first post; ``url`` is the topic's address.

        Raises:
            UnclearOutcomeError: sent, but no answer: retry promptly, or look it up by ``external_id``.
            RetryableIntegrationError: 429 (``retry_after``), 5xx, connection failures.
            PermanentIntegrationError: 422 with Discourse's reasons, 403, the post queued for review.
            ValueError: ``external_id`` does not follow Discourse's rule.
        """
        body: dict[str, Any] = {"title": self._clean(title), "raw": self._clean(raw)}
        if category is not None:
            body["category"] = category
        if external_id is not None:
            body["external_id"] = _checked_external_id(external_id)
        where = "create topic" + (f" in category {category}" if category is not None else "")
        ref = self._post(where, body)
        logger.info("created Discourse topic %s", ref.topic_id, extra={"discourse_topic_id": ref.topic_id})
        return ref

    def reply(self, topic_id: int, raw: str, *, reply_to_post_number: int | None = None) -> PostRef:
        """Reply in a topic, e.g. to thank the author of a post whose feedback was acted on.

        Args:
            topic_id: the topic.
            raw: the reply, Markdown (``@username`` mentions notify that user).
            reply_to_post_number: the post answered (:attr:`ForumPost.post_number`), so Discourse
                shows the reply as an answer to it; ``None`` answers the topic.

        Returns:
            The new post.

        Raises:
            UnclearOutcomeError: sent, but no answer: retry promptly (Discourse then returns the same
                post) or accept a possible second copy.
            RetryableIntegrationError: 429 (``retry_after``), 5xx, connection failures.
            PermanentIntegrationError: 422 (topic closed or deleted, body too short), 403.
        """
        body: dict[str, Any] = {"topic_id": topic_id, "raw": self._clean(raw)}
        if reply_to_post_number is not None:
            body["reply_to_post_number"] = reply_to_post_number
        ref = self._post(f"reply in topic {topic_id}", body)
        logger.info(
            "replied in Discourse topic %s (post %s)",
            topic_id,
            ref.post_number,
            extra={"discourse_topic_id": topic_id},
        )
        return ref

    def find_topic(self, external_id: str) -> PostRef | None:
        """The topic created with ``external_id``, as its first post, or ``None``.

        Asks ``GET /t/external_id/{external_id}.json``, which Discourse answers with a redirect to the
        topic; the redirect is followed only on the forum's own site.

        Raises:
            RetryableIntegrationError: 429, 5xx, connection failures (reading changes nothing).
            PermanentIntegrationError: 403, a redirect elsewhere, an answer that is not a topic.
        """
        where = f"find topic {_checked_external_id(external_id)}"
        response = self._get(where, f"t/external_id/{external_id}.json")
        if response.is_redirect:
            origin, target = response.url, response.url.join(response.headers.get("Location", ""))
            if (target.scheme, target.host, target.port) != (origin.scheme, origin.host, origin.port):
                raise PermanentIntegrationError(
                    f"{self._where(where)}: redirected to another site ({target.host}); check the URL",
                    status_code=response.status_code,
                )
            response = self._get(where, str(target))
        if response.status_code == 404:
            return None
        if not response.is_success:
            raise self._status_error(where, response, writes=False)
        topic = _json(response)
        posts = topic.get("post_stream", {}).get("posts") if isinstance(topic, dict) else None
        first = next((p for p in posts or [] if isinstance(p, dict) and p.get("post_number") == 1), None)
        ref = None
        if first is not None:
            ref = self._ref({**first, "topic_id": topic.get("id"), "topic_slug": topic.get("slug")})
        if ref is None:
            raise PermanentIntegrationError(
                f"{self._where(where)}: the answer is not a topic with its first post",
                status_code=response.status_code,
            )
        return ref

    # -- lifecycle ----------------------------------------------------------------------------

    def close(self) -> None:
        """Close the HTTP connections."""
        self._http.close()

    # -- internals ----------------------------------------------------------------------------

    def _where(self, operation: str) -> str:
        return f"Discourse ({self.config.base_url}): {operation}"

    def _url(self, path: str) -> str:
        return f"{self.config.base_url}/{path}"

    def _clean(self, text: str) -> str:
        return redact(text) if self.config.redact else text

    def _post(self, operation: str, body: dict[str, Any]) -> PostRef:
        where = self._where(operation)
        try:
            response = self._http.post(self._url("posts.json"), json=body)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            error = error_for_transport(where, exc)
            if isinstance(error, UnclearOutcomeError):
                error = UnclearOutcomeError(f"{error}; {UNCLEAR_HINT}")
            raise error from exc
        if not response.is_success:
            raise self._status_error(operation, response, writes=True)
        answer = _json(response)
        if isinstance(answer, dict) and answer.get("action") == "enqueued":
            # Not a failure Discourse will fix by itself: a retry would queue a second copy.
            raise PermanentIntegrationError(
                f"{where}: Discourse queued the post for review instead of publishing it; post as a "
                "staff account (api_username) or let this account post in the category without approval",
                status_code=response.status_code,
            )
        ref = self._ref(answer) if isinstance(answer, dict) else None
        if ref is None:
            raise UnclearOutcomeError(
                f"{where}: Discourse's answer (HTTP {response.status_code}) is not a post; {UNCLEAR_HINT}",
                status_code=response.status_code,
            )
        return ref

    def _get(self, operation: str, url: str) -> httpx.Response:
        target = url if url.startswith(("http://", "https://")) else self._url(url)
        try:
            return self._http.get(target)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise error_for_transport(self._where(operation), exc, writes=False) from exc

    def _status_error(self, operation: str, response: httpx.Response, *, writes: bool) -> IntegrationError:
        where = self._where(operation)
        status = response.status_code
        answer = _json(response)
        if writes and status in GATEWAY_STATUSES:
            return UnclearOutcomeError(
                f"{where}: a proxy answered HTTP {status}; Discourse may have posted anyway; {UNCLEAR_HINT}",
                status_code=status,
            )
        retry_after = response.headers.get("Retry-After")
        if retry_after is None and isinstance(answer, dict):
            wait = (answer.get("extras") or {}).get("wait_seconds")
            retry_after = None if wait is None else str(wait)
        return error_for_status(where, status, _reason(response, answer), retry_after)

    def _ref(self, post: dict[str, Any]) -> PostRef | None:
        """A PostRef from Discourse's post JSON, or ``None`` when the ids are missing."""
        try:
            post_id, topic_id = int(post["id"]), int(post["topic_id"])
            number = int(post.get("post_number") or 1)
        except (KeyError, TypeError, ValueError):
            return None
        url = f"{self.config.base_url}/t/{post.get('topic_slug') or 'topic'}/{topic_id}"
        if number > 1:
            url += f"/{number}"
        return PostRef(id=post_id, topic_id=topic_id, post_number=number, url=url)


def _checked_external_id(external_id: str) -> str:
    if not EXTERNAL_ID.match(external_id):
        raise ValueError(
            f"external_id {external_id!r} must be 1 to 50 letters, digits, '_' or '-' (Discourse's rule)"
        )
    return external_id


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _reason(response: httpx.Response, answer: Any) -> str:
    """Discourse's own words: ``errors`` (and ``error_type``), else the start of a plain-text body."""
    if isinstance(answer, dict):
        errors = answer.get("errors")
        messages = [str(e) for e in errors] if isinstance(errors, list) else []
        if isinstance(answer.get("error"), str):
            messages.append(answer["error"])
        if messages:
            kind = answer.get("error_type")
            return "; ".join(messages) + (f" [{kind}]" if isinstance(kind, str) else "")
    text = response.text.strip()
    if text and not text.startswith("<"):
        return text[:300]
    return response.reason_phrase
