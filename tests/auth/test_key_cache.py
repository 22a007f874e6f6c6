"""A key found valid is remembered for a few seconds, so capture does not read its row each time;
a revocation still takes effect: at once in this process, within KEY_CACHE_SECONDS from another."""

from sqlalchemy import update

from feedback_router.auth import service as keys
from feedback_router.auth.models import ApiKey
from feedback_router.db import session_scope, utcnow

ITEM = {"text": "The export button does nothing", "source": "api"}


def _revoke_as_another_process_would(settings, secret):
    """Set revoked_at in the database directly: this process's service.revoke is not called."""
    with session_scope(settings.database_url) as session:
        session.execute(
            update(ApiKey).where(ApiKey.key_hash == keys.hash_key(secret)).values(revoked_at=utcnow())
        )


def test_a_key_revoked_by_another_process_is_refused_once_its_cache_time_is_over(
    api, auth, settings, monkeypatch
):
    headers = auth["forwarder"]
    secret = headers["Authorization"].removeprefix("Bearer ")
    monkeypatch.setattr(keys, "KEY_CACHE_SECONDS", 0.0)  # remembered for no time at all
    assert api.post("/v1/feedback", json=ITEM, headers=headers).status_code == 202

    _revoke_as_another_process_would(settings, secret)

    answer = api.post("/v1/feedback", json=ITEM, headers=headers)
    assert answer.status_code == 401, answer.text


def test_a_remembered_key_is_taken_without_its_row_until_its_cache_time_is_over(api, auth, settings):
    headers = auth["forwarder"]
    secret = headers["Authorization"].removeprefix("Bearer ")
    assert api.post("/v1/feedback", json=ITEM, headers=headers).status_code == 202

    _revoke_as_another_process_would(settings, secret)

    # within KEY_CACHE_SECONDS (5 s) of its check the key still counts: the documented bound
    remembered = keys.recently_verified(secret)
    assert remembered is not None and remembered.role == "forwarder"
    assert secret not in str(keys._verified)  # remembered by its hash, never the secret


def test_a_key_revoked_in_this_process_is_refused_at_once(api, auth, settings):
    headers = auth["admin"]
    assert api.get("/v1/tickets", headers=headers).status_code == 200
    with session_scope(settings.database_url) as session:
        key = session.query(ApiKey).filter(ApiKey.name == "test admin").one()
        keys.revoke(session=session, key_id=key.id)

    assert api.get("/v1/tickets", headers=headers).status_code == 401


def test_a_wrong_key_is_never_remembered(api, auth):
    wrong = "fr_" + "x" * 43
    assert (
        api.post("/v1/feedback", json=ITEM, headers={"Authorization": f"Bearer {wrong}"}).status_code == 401
    )
    assert keys.recently_verified(wrong) is None
