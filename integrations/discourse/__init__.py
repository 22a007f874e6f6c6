"""Discourse: a community publisher (digests as topics, thanks as replies) and a source of feedback.

Usage::

    from integrations.discourse import (DiscourseConfig, DiscoursePublisher, parse_post_event,
                                        verify_discourse_signature)

    config = DiscourseConfig(url="https://community.example.org", api_key="...", api_username="feedback-bot",
                             webhook_secret="...")

    # the webhook route, with the raw body bytes:
    if not verify_discourse_signature(config.webhook_secret, raw_body,
                                      request.headers.get("X-Discourse-Event-Signature")):
        ...  # answer 401
    post = parse_post_event(raw_body, base_url=config.base_url)   # ForumPost: author, text, link

    with DiscoursePublisher(config) as forum:
        forum.create_topic("You said, we did: March 2024", "- The CSV export works again ...",
                           category=5, external_id="fr-digest-12")
        forum.reply(post.topic_id, "Thanks @anna, this is fixed now!", reply_to_post_number=post.post_number)

Plain httpx: writing is one JSON POST (``/posts.json``) and there is no maintained Python client that
would save work; ``url`` comes from the config, so the tests point it at ``tests/fakes/discourse.py``.
"""

from integrations.discourse.config import DiscourseConfig, DiscourseSettings
from integrations.discourse.publisher import DiscoursePublisher
from integrations.discourse.webhook import (
    EVENT_HEADER,
    EVENT_ID_HEADER,
    EVENT_TYPE_HEADER,
    INSTANCE_HEADER,
    SIGNATURE_HEADER,
    DiscoursePostPayload,
    ForumPost,
    html_to_text,
    parse_post_event,
    verify_discourse_signature,
)

__all__ = [
    "EVENT_HEADER",
    "EVENT_ID_HEADER",
    "EVENT_TYPE_HEADER",
    "INSTANCE_HEADER",
    "SIGNATURE_HEADER",
    "DiscourseConfig",
    "DiscoursePostPayload",
    "DiscoursePublisher",
    "DiscourseSettings",
    "ForumPost",
    "html_to_text",
    "parse_post_event",
    "verify_discourse_signature",
]
