"""Deliveries from a Discourse webhook: check the signature, read a post event into a :class:`ForumPost`.

Discourse POSTs JSON with these headers (Admin → API → Webhooks, content type ``application/json``):

- ``X-Discourse-Event-Type``: the group (``post``, ``topic``, ``user``, ``ping``);
- ``X-Discourse-Event``: the event (``post_created``, ``post_edited``, ``ping``);
- ``X-Discourse-Event-Id``: the delivery's id; a redelivery from the admin page keeps it, so it names
  the delivery to apply once;
- ``X-Discourse-Instance``: the forum's base URL (not covered by the signature: use the configured URL);
- ``X-Discourse-Event-Signature``: ``sha256=`` + hex HMAC-SHA256 of the raw body with the webhook's secret.

A post event's body is ``{"post": {...}}`` with the fields of Discourse's ``WebHookPostSerializer``:
``id``, ``topic_id``, ``post_number``, ``username``, ``name``, ``raw`` and ``cooked``, ``created_at``,
``topic_slug``, ``topic_title``, ``category_id``, ``post_type``, ``topic_archetype`` and more.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from html.parser import HTMLParser
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from integrations._webhooks import Secret, json_object, verify_sha256
from integrations.errors import WebhookPayloadError

__all__ = [
    "EVENT_HEADER",
    "EVENT_ID_HEADER",
    "EVENT_TYPE_HEADER",
    "INSTANCE_HEADER",
    "SIGNATURE_HEADER",
    "DiscoursePostPayload",
    "ForumPost",
    "html_to_text",
    "parse_post_event",
    "verify_discourse_signature",
]

EVENT_TYPE_HEADER = "X-Discourse-Event-Type"
EVENT_HEADER = "X-Discourse-Event"
EVENT_ID_HEADER = "X-Discourse-Event-Id"
INSTANCE_HEADER = "X-Discourse-Instance"
SIGNATURE_HEADER = "X-Discourse-Event-Signature"

# Post.types in Discourse
POST_KINDS: dict[int, Literal["regular", "moderator_action", "small_action", "whisper"]] = {
    1: "regular",
    2: "moderator_action",
    3: "small_action",
    4: "whisper",
}


def verify_discourse_signature(secret: Secret | None, raw_body: bytes, header: str | None) -> bool:
    """Check ``X-Discourse-Event-Signature`` against the raw body.

    Args:
        secret: the webhook's secret as set in Discourse; a missing or empty one never verifies.
        raw_body: the request body exactly as received, before any JSON parsing.
        header: the header value, ``sha256=<hex>``; ``None`` when it was missing.

    Returns:
        Whether Discourse signed this body with the secret (compared in constant time).
    """
    return verify_sha256(secret, raw_body, header)


class DiscoursePostPayload(BaseModel):
    """The part of Discourse's ``post`` object that we read (unknown fields are ignored)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: int
    topic_id: int
    post_number: int = Field(ge=1)
    username: str
    name: str | None = None
    raw: str | None = None
    cooked: str | None = None
    created_at: datetime
    topic_slug: str | None = None
    topic_title: str | None = None
    category_id: int | None = None
    post_type: int = 1
    topic_archetype: str | None = None
    reply_to_post_number: int | None = None


class ForumPost(BaseModel):
    """A forum post as feedback: who wrote what, where, and when.

    Attributes:
        post_id: Discourse's post id (unique in the forum; the source's id for the feedback).
        topic_id: the topic it is in; :meth:`DiscoursePublisher.reply` answers there.
        post_number: its position in the topic (1 opens the topic); ``reply_to_post_number`` for a thanks.
        author_username: the author's username (``@anna`` without the ``@``).
        author_name: the author's full name, if they gave one.
        text: the post as the author wrote it (Markdown), or its HTML turned into plain text when the
            delivery carried no ``raw``.
        url: the post's address: ``{forum}/t/{slug}/{topic_id}/{post_number}``.
        created_at: when it was posted (timezone-aware).
        topic_title: the topic's title.
        category_id: the topic's category.
        kind: ``regular`` for what people write; ``moderator_action``, ``small_action`` (topic closed,
            moved, ...) and ``whisper`` (staff only) are not community feedback.
        private: a personal message, not a public topic.
    """

    model_config = ConfigDict(frozen=True)

    post_id: int
    topic_id: int
    post_number: int = 1
    author_username: str
    author_name: str | None = None
    text: str
    url: str
    created_at: datetime
    topic_title: str | None = None
    category_id: int | None = None
    kind: Literal["regular", "moderator_action", "small_action", "whisper"] = "regular"
    private: bool = False

    @property
    def is_community_feedback(self) -> bool:
        """A regular post in a public topic: what people wrote where everyone can read it."""
        return self.kind == "regular" and not self.private


def parse_post_event(body: bytes | str | Mapping[str, Any], *, base_url: str) -> ForumPost:
    """Read a post event (``post_created``, ``post_edited``) into a :class:`ForumPost`.

    Args:
        body: the raw body (verify its signature first) or the already parsed JSON.
        base_url: the forum's address from our configuration (``DiscourseConfig.base_url``), for links.

    Returns:
        The post; ``text`` is ``raw`` when the delivery has it, else ``cooked`` without its HTML.

    Raises:
        WebhookPayloadError: not JSON, no ``post`` object, or a required field missing or of the wrong
            type (``id``, ``topic_id``, ``post_number``, ``username``, ``created_at``, a text).
    """
    document = json_object(body, "Discourse")
    post_json = document.get("post")
    if not isinstance(post_json, dict):
        keys = ", ".join(sorted(document)) or "nothing"
        raise WebhookPayloadError(f"Discourse delivery has no 'post' object (it has {keys})")
    try:
        post = DiscoursePostPayload.model_validate(post_json)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, ('post', *e['loc'])))}: {e['msg']}" for e in exc.errors())
        raise WebhookPayloadError(f"Discourse post event is incomplete: {problems}") from None
    if post.raw is not None:
        text = post.raw
    elif post.cooked is not None:
        text = html_to_text(post.cooked)
    else:
        raise WebhookPayloadError("Discourse post event has neither 'raw' nor 'cooked'")
    url = f"{base_url.rstrip('/')}/t/{post.topic_slug or 'topic'}/{post.topic_id}/{post.post_number}"
    return ForumPost(
        post_id=post.id,
        topic_id=post.topic_id,
        post_number=post.post_number,
        author_username=post.username,
        author_name=post.name or None,
        text=text,
        url=url,
        created_at=post.created_at,
        topic_title=post.topic_title,
        category_id=post.category_id,
        kind=POST_KINDS.get(post.post_type, "regular"),
        private=post.topic_archetype == "private_message",
    )


# -- cooked HTML to text ----------------------------------------------------------------------

# Blocks that stand apart (a blank line around them) and breaks that only start a new line.
PARAGRAPH_TAGS = frozenset(
    {
        "p",
        "pre",
        "blockquote",
        "aside",
        "ul",
        "ol",
        "table",
        "details",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
    }
)
LINE_TAGS = frozenset({"br", "div", "tr", "summary"})
SKIPPED_TAGS = frozenset({"script", "style", "template"})


class _TextExtractor(HTMLParser):
    """Collects the text of Discourse's cooked HTML: blocks become lines, emoji images their ``:code:``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED_TAGS:
            self._skipping += 1
        elif tag in PARAGRAPH_TAGS:
            self.parts.append("\n\n")
        elif tag in LINE_TAGS:
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag == "img":
            values = dict(attrs)
            if "emoji" in (values.get("class") or "").split():
                self.parts.append(values.get("alt") or values.get("title") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in PARAGRAPH_TAGS:
            self.parts.append("\n\n")
        elif tag in LINE_TAGS - {"br"}:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            # The newlines between tags in cooked HTML are layout, not text.
            self.parts.append(data if data.strip() else " ")


def html_to_text(cooked: str) -> str:
    """Plain text from Discourse's ``cooked`` HTML: tags dropped, entities decoded, one line per block.

    Paragraphs are separated by a blank line, list items become ``- `` lines, emoji images their
    ``:name:``; scripts and styles are dropped. Entities are decoded once (``&amp;lt;`` stays ``&lt;``).
    """
    extractor = _TextExtractor()
    extractor.feed(cooked)
    extractor.close()
    lines = [" ".join(line.split()) for line in "".join(extractor.parts).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
