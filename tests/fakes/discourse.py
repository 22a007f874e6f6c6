"""A local Discourse that speaks the API contract our publisher uses, and builds webhook deliveries.

``POST /posts.json`` with ``Api-Key`` and ``Api-Username`` creates a topic (``title``, ``raw``,
optional ``category`` and ``external_id``) or a reply (``topic_id``, ``raw``, optional
``reply_to_post_number``) and answers ``200`` with the post as Discourse serialises it (``id``,
``topic_id``, ``post_number``, ``topic_slug``, ``cooked`` ...). What goes wrong, goes wrong as in
Discourse:

- no or a wrong ``Api-Key``, an unknown ``Api-Username``: ``403 {"errors": ["You are not permitted to
  view the requested resource. The API username or key is invalid."], "error_type": "invalid_access"}``;
- validation: ``422 {"action": "create_post", "errors": [...]}`` with Discourse's wording: a title under
  ``min_title_length`` (15) or a body under ``min_post_length`` (20) characters, a title already used,
  an unknown category, an ``external_id`` taken or malformed, a reply to a missing or closed topic;
- ``raw`` missing: ``400`` (``param is missing ...``);
- the admin API rate limit (``requests_per_minute``, off by default; Discourse's is 60): ``429`` with
  ``Retry-After``, ``Discourse-Rate-Limit-Error-Code`` and ``{"errors": [...], "error_type":
  "rate_limit", "extras": {"wait_seconds": N, "time_left": ...}}`` (:func:`rate_limit_reply` builds the
  same answer for scripting);
- an identical API request from the same user within ``memo_seconds`` (120) is answered with the first
  answer, and nothing new is created (Discourse memoises API post creation exactly so).

``GET /t/{id}.json`` and ``GET /t/{slug}/{id}.json`` answer a minimal topic with its ``post_stream``;
``GET /t/external_id/{external_id}.json`` redirects (301) to the topic's ``.json`` as Discourse does;
unknown topics are ``404 {"errors": [...], "error_type": "not_found"}``.

:meth:`FakeDiscourse.community_post` adds a post written by a forum member (not through the API), and
:meth:`FakeDiscourse.webhook_delivery` builds the signed ``post_created`` delivery Discourse would send
for it. Faults come from :class:`tests.fakes.server.FakeServer` (``script`` with Reply/Hang/Drop).
"""

from __future__ import annotations

import hashlib
import hmac
import html
import itertools
import json
import math
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from tests.fakes.server import FakeServer, Reply

INVALID_KEY = "You are not permitted to view the requested resource. The API username or key is invalid."
NOT_FOUND = "The requested URL or resource could not be found."
TOPIC_GONE = "Something went wrong. Perhaps this topic was closed or deleted while you were looking at it?"


def rate_limit_reply(wait_seconds: int) -> Reply:
    """The answer Discourse gives when the admin API key's limit is hit, for ``FakeServer.script``."""
    return Reply(429, _rate_limit_body(wait_seconds), _rate_limit_headers(wait_seconds))


@dataclass
class FakeTopic:
    id: int
    title: str
    slug: str
    category_id: int
    external_id: str | None
    created_at: float
    closed: bool = False
    posts: list[FakePost] = field(default_factory=list)


@dataclass
class FakePost:
    id: int
    topic: FakeTopic
    post_number: int
    username: str
    name: str
    raw: str
    created_at: float
    reply_to_post_number: int | None = None
    via_api: bool = True
    post_type: int = 1

    @property
    def cooked(self) -> str:
        """Discourse renders Markdown; paragraphs in ``<p>`` are enough for the fake."""
        paragraphs = [p for p in re.split(r"\n\s*\n", self.raw.strip()) if p]
        return "\n".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)


class FakeDiscourse(FakeServer):
    """State and controls of one fake Discourse forum; ``app()`` is its ASGI application.

    Attributes:
        api_key: the admin ("All users") API key it accepts.
        users: username → full name of the forum's accounts; any of them may be ``Api-Username``.
        categories: id → name; 1 Uncategorized (the default), 5 Feedback, 6 Announcements.
        topics: by id; posts: every post, in order (``topics[i].posts`` per topic).
        webhook_secret: the secret :meth:`webhook_delivery` signs with by default.
        min_title_length, min_post_length: Discourse's defaults, 15 and 20.
        memo_seconds: how long an identical API request is answered with the first answer (120).
        requests_per_minute: the admin API limit, ``None`` (default) for none.
    """

    def __init__(self) -> None:
        super().__init__()
        self._state = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """A fresh forum: default key, users and categories, no topics, no faults."""
        super().reset()
        with self._state:
            self.api_key = "discourse-test-api-key"
            self.users = {
                "feedback-bot": "Feedback Router",
                "system": "system",
                "anna": "Anna Example",
                "jo": "",
            }
            self.categories = {1: "Uncategorized", 5: "Feedback", 6: "Announcements"}
            self.topics: dict[int, FakeTopic] = {}
            self.posts: list[FakePost] = []
            self.webhook_secret = "discourse-webhook-secret"
            self.min_title_length = 15
            self.min_post_length = 20
            self.memo_seconds = 120.0
            self.requests_per_minute: int | None = None
            self._memo: dict[str, tuple[float, int, Any]] = {}
            self._recent: deque[float] = deque()
            self._topic_ids = itertools.count(101)
            self._post_ids = itertools.count(1001)
            self._event_ids = itertools.count(1)

    # -- controls for tests -------------------------------------------------------------------

    def topic(self, topic_id: int) -> FakeTopic:
        """A topic by id (for assertions)."""
        with self._state:
            return self.topics[topic_id]

    def community_post(
        self,
        username: str,
        raw: str,
        *,
        title: str | None = None,
        topic_id: int | None = None,
        category_id: int = 5,
        post_type: int = 1,
    ) -> FakePost:
        """A post written by a forum member in the browser: a new topic with ``title``, or a reply."""
        if username not in self.users:
            raise KeyError(f"no forum user {username!r}")
        with self._state:
            if topic_id is None:
                topic = self._new_topic(title or "A topic from the community", category_id, None)
            else:
                topic = self.topics[topic_id]
            return self._new_post(topic, username, raw, via_api=False, post_type=post_type)

    def webhook_delivery(
        self,
        post: FakePost,
        *,
        event: str = "post_created",
        secret: str | None = None,
        include_raw: bool = True,
        event_id: int | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """The delivery Discourse's webhook sends for ``post``: ``(body, headers)``.

        The body is ``{"post": {...}}`` shaped like Discourse's ``WebHookPostSerializer``; it is signed
        with ``secret`` (default :attr:`webhook_secret`) by the fake's own HMAC code. Pass
        ``include_raw=False`` to leave ``raw`` out, ``event_id`` to rebuild a redelivery.
        """
        document = {"post": self._post_json(post, webhook=True, include_raw=include_raw)}
        body = json.dumps(document).encode()
        key = (self.webhook_secret if secret is None else secret).encode()
        with self._state:
            delivery = next(self._event_ids) if event_id is None else event_id
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Discourse/3.3.0",
            "X-Discourse-Instance": self.url,
            "X-Discourse-Event-Id": str(delivery),
            "X-Discourse-Event-Type": "post",
            "X-Discourse-Event": event,
            "X-Discourse-Event-Signature": "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest(),
        }
        return body, headers

    # -- the application ----------------------------------------------------------------------

    def app(self) -> FastAPI:
        """The ASGI app, wrapped in the recording and fault-injecting harness by ``asgi()``."""
        app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

        @app.middleware("http")
        async def authenticate(request: Request, call_next: Any) -> Response:
            key, username = request.headers.get("api-key"), request.headers.get("api-username")
            if key is None and request.method == "GET":
                return await call_next(request)  # public topics can be read without a key
            if key != self.api_key or username not in self.users:
                return _json_error(403, INVALID_KEY, "invalid_access")
            wait = self._rate_limited()
            if wait is not None:
                return JSONResponse(_rate_limit_body(wait), 429, headers=_rate_limit_headers(wait))
            return await call_next(request)

        @app.post("/posts.json")
        async def create_post(request: Request) -> Response:
            params = await _params(request)
            if not isinstance(params, dict) or not str(params.get("raw") or "").strip():
                return _json_error(400, "param is missing or the value is empty or invalid: raw", None)
            username = request.headers["api-username"]
            signature = json.dumps([username, params], sort_keys=True, default=str)
            with self._state:
                memo = self._memo.get(signature)
                if memo is not None and time.time() - memo[0] < self.memo_seconds:
                    return JSONResponse(memo[2], memo[1])
                status, answer = self._create(username, params)
                self._memo[signature] = (time.time(), status, answer)
            return JSONResponse(answer, status)

        @app.get("/t/external_id/{external_id}.json")
        async def by_external_id(external_id: str) -> Response:
            with self._state:
                topic = next((t for t in self.topics.values() if t.external_id == external_id), None)
            if topic is None:
                return _json_error(404, NOT_FOUND, "not_found")
            return RedirectResponse(f"/t/{topic.slug}/{topic.id}.json", status_code=301)

        @app.get("/t/{topic_id}.json")
        async def topic_by_id(topic_id: str) -> Response:
            return self._topic_answer(topic_id)

        @app.get("/t/{slug}/{topic_id}.json")
        async def topic_by_slug(slug: str, topic_id: str) -> Response:
            return self._topic_answer(topic_id)

        return app

    # -- behaviour ----------------------------------------------------------------------------

    def _rate_limited(self) -> int | None:
        """Seconds to wait when the per-minute limit is used up, else ``None`` (and count this one)."""
        with self._state:
            if self.requests_per_minute is None:
                return None
            now = time.time()
            while self._recent and now - self._recent[0] >= 60:
                self._recent.popleft()
            if len(self._recent) >= self.requests_per_minute:
                return max(1, math.ceil(self._recent[0] + 60 - now))
            self._recent.append(now)
            return None

    def _create(self, username: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Validate and create, as Discourse's PostCreator does; (status, body)."""
        raw = str(params["raw"]).strip()
        errors: list[str] = []
        if len(raw) < self.min_post_length:
            errors.append(f"Body is too short (minimum is {self.min_post_length} characters)")
        if params.get("topic_id") is not None:
            topic = self.topics.get(_int(params["topic_id"]) or -1)
            if topic is None or topic.closed:
                errors = [TOPIC_GONE]
            reply_to = _int(params.get("reply_to_post_number"))
            if errors or topic is None:
                return 422, {"action": "create_post", "errors": errors}
            post = self._new_post(topic, username, raw, reply_to=reply_to)
            return 200, self._post_json(post)
        title = " ".join(str(params.get("title") or "").split())
        category = _int(params.get("category")) if params.get("category") not in (None, "") else 1
        external_id = params.get("external_id")
        if len(title) < self.min_title_length:
            errors.insert(0, f"Title is too short (minimum is {self.min_title_length} characters)")
        elif len(title) > 255:
            errors.insert(0, "Title is too long (maximum is 255 characters)")
        elif any(t.title.lower() == title.lower() for t in self.topics.values()):
            errors.insert(0, "Title has already been used")
        if category not in self.categories:
            errors.append("Category can't be blank")
        if external_id is not None:
            if not re.fullmatch(r"[\w-]{1,50}", str(external_id), re.ASCII):
                errors.append("External is invalid")
            elif any(t.external_id == external_id for t in self.topics.values()):
                errors.append("External has already been taken")
        if errors:
            return 422, {"action": "create_post", "errors": errors}
        topic = self._new_topic(title, category or 1, None if external_id is None else str(external_id))
        post = self._new_post(topic, username, raw)
        return 200, self._post_json(post)

    def _new_topic(self, title: str, category_id: int, external_id: str | None) -> FakeTopic:
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "topic"
        topic = FakeTopic(
            id=next(self._topic_ids),
            title=title,
            slug=slug,
            category_id=category_id,
            external_id=external_id,
            created_at=time.time(),
        )
        self.topics[topic.id] = topic
        return topic

    def _new_post(
        self,
        topic: FakeTopic,
        username: str,
        raw: str,
        *,
        reply_to: int | None = None,
        via_api: bool = True,
        post_type: int = 1,
    ) -> FakePost:
        post = FakePost(
            id=next(self._post_ids),
            topic=topic,
            post_number=len(topic.posts) + 1,
            username=username,
            name=self.users[username],
            raw=raw,
            created_at=time.time(),
            reply_to_post_number=reply_to,
            via_api=via_api,
            post_type=post_type,
        )
        topic.posts.append(post)
        self.posts.append(post)
        return post

    def _post_json(
        self, post: FakePost, *, webhook: bool = False, include_raw: bool = True
    ) -> dict[str, Any]:
        """A post as Discourse serialises it (PostSerializer; WebHookPostSerializer for webhooks)."""
        topic = post.topic
        answer: dict[str, Any] = {
            "id": post.id,
            "name": post.name,
            "username": post.username,
            "avatar_template": f"/user_avatar/forum/{post.username}/{{size}}/1_2.png",
            "created_at": _timestamp(post.created_at),
            "cooked": post.cooked,
            "post_number": post.post_number,
            "post_type": post.post_type,
            "updated_at": _timestamp(post.created_at),
            "reply_count": 0,
            "reply_to_post_number": post.reply_to_post_number,
            "quote_count": 0,
            "incoming_link_count": 0,
            "reads": 1,
            "score": 0,
            "topic_id": topic.id,
            "topic_slug": topic.slug,
            "display_username": post.name,
            "primary_group_name": None,
            "version": 1,
            "user_id": 1 + list(self.users).index(post.username),
            "wiki": False,
        }
        if webhook:
            answer.update(
                {
                    "topic_title": topic.title,
                    "category_id": topic.category_id,
                    "category_slug": self.categories[topic.category_id].lower(),
                    "topic_posts_count": len(topic.posts),
                    "topic_filtered_posts_count": len(topic.posts),
                    "topic_archetype": "regular",
                }
            )
            if include_raw:
                answer["raw"] = post.raw
        return answer

    def _topic_answer(self, topic_id: str) -> Response:
        with self._state:
            topic = self.topics.get(_int(topic_id) or -1)
            if topic is None:
                return _json_error(404, NOT_FOUND, "not_found")
            posts = [self._post_json(post) for post in topic.posts]
            answer = {
                "id": topic.id,
                "title": topic.title,
                "fancy_title": html.escape(topic.title),
                "slug": topic.slug,
                "posts_count": len(posts),
                "category_id": topic.category_id,
                "external_id": topic.external_id,
                "closed": topic.closed,
                "archetype": "regular",
                "created_at": _timestamp(topic.created_at),
                "post_stream": {"posts": posts, "stream": [p["id"] for p in posts]},
            }
        return JSONResponse(answer)


# -- helpers ----------------------------------------------------------------------------------


def _json_error(status: int, message: str, error_type: str | None) -> JSONResponse:
    body: dict[str, Any] = {"errors": [message]}
    if error_type:
        body["error_type"] = error_type
    return JSONResponse(body, status)


def _rate_limit_body(wait_seconds: int) -> dict[str, Any]:
    time_left = f"{wait_seconds} seconds"
    message = f"You’ve performed this action too many times. Please wait {time_left} before trying again."
    return {
        "errors": [message],
        "error_type": "rate_limit",
        "extras": {"wait_seconds": wait_seconds, "time_left": time_left},
    }


def _rate_limit_headers(wait_seconds: int) -> dict[str, str]:
    return {"Retry-After": str(wait_seconds), "Discourse-Rate-Limit-Error-Code": "admin_api_key_rate_limit"}


async def _params(request: Request) -> Any:
    """The body as Rails reads it: JSON, or a form."""
    raw = await request.body()
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            return json.loads(raw)
        except ValueError:
            return None
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _timestamp(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
