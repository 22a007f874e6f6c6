"""Failed sign-ins and API keys are limited per account and per client address; passwords are argon2id."""

import base64
import hashlib
import logging
import secrets
import threading
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from feedback_router.auth import attempts, users
from feedback_router.auth.deps import SESSION_COOKIE
from feedback_router.auth.models import AuthAttempt, Role, User
from feedback_router.db import session_scope
from feedback_router.errors import TooManyAttempts
from tests.auth.test_sessions import PASSWORD, sign_in

LIMIT = 3
WINDOW = 900


@pytest.fixture
def limited(configure):  # type: ignore[no-untyped-def]
    """A limit of three failures in 15 minutes; accounts anna and mallory."""
    settings = configure(auth_max_failures=LIMIT, auth_window_seconds=WINDOW)
    with session_scope(settings.database_url) as session:
        for name in ("anna", "mallory"):
            users.create(session=session, username=name, password=PASSWORD, role=Role.manager)
    return settings


def from_address(api: TestClient, address: str) -> TestClient:
    return TestClient(api.app, client=(address, 50000))


def stored_attempts(settings) -> int:  # type: ignore[no-untyped-def]
    with session_scope(settings.database_url) as session:
        return session.scalar(select(func.count()).select_from(AuthAttempt)) or 0


def test_the_default_limit_is_ten_failures_in_fifteen_minutes(settings):
    assert (settings.auth_max_failures, settings.auth_window_seconds) == (10, 900)


def test_after_the_limit_of_wrong_passwords_even_the_right_one_waits_with_429(api, limited):
    for _ in range(LIMIT):
        assert sign_in(api, username="anna", password="wrong password").status_code == 401

    locked = sign_in(api, username="anna", password=PASSWORD)

    assert locked.status_code == 429
    assert 0 < int(locked.headers["retry-after"]) <= WINDOW
    assert "Too many failed sign-ins. Try again in" in locked.text
    assert SESSION_COOKIE not in locked.headers.get("set-cookie", "")
    assert stored_attempts(limited) == LIMIT  # refused attempts are not counted: the lock does not grow


def test_an_account_is_limited_across_addresses_and_an_address_across_accounts(api, limited):
    for number in range(LIMIT):  # one guess each from many addresses at one account
        guess = sign_in(from_address(api, f"10.0.0.{number}"), username="anna", password="wrong password")
        assert guess.status_code == 401
    assert sign_in(from_address(api, "10.0.1.1"), username="anna", password=PASSWORD).status_code == 429
    assert sign_in(from_address(api, "10.0.1.1"), username="mallory", password=PASSWORD).status_code == 303

    attacker = from_address(api, "10.0.2.2")  # one address guessing at many accounts
    for name in ("bob", "carol", "dave"):
        assert sign_in(attacker, username=name, password="wrong password").status_code == 401
    assert sign_in(attacker, username="mallory", password=PASSWORD).status_code == 429


def test_a_successful_sign_in_does_not_reset_the_address_count(api, limited):
    for _ in range(LIMIT - 1):
        assert sign_in(api, username="anna", password="wrong password").status_code == 401
    for _ in range(LIMIT + 1):  # the attacker's own account: right passwords are no failures...
        assert sign_in(api, username="mallory", password=PASSWORD).status_code == 303
    assert sign_in(api, username="anna", password="wrong password").status_code == 401
    assert sign_in(api, username="anna", password="wrong password").status_code == 429  # ...nor a reset


def move_back(settings, delta: timedelta) -> None:  # type: ignore[no-untyped-def]
    with session_scope(settings.database_url) as session:
        for row in session.scalars(select(AuthAttempt)):
            row.at -= delta


def test_a_lock_ends_when_its_failures_leave_the_window(api, limited):
    for _ in range(LIMIT):
        sign_in(api, username="anna", password="wrong password")
    move_back(limited, timedelta(seconds=WINDOW - 60))  # as if they happened a window minus 60 s ago

    locked = sign_in(api, username="anna", password=PASSWORD)
    assert locked.status_code == 429 and 0 < int(locked.headers["retry-after"]) <= 60

    move_back(limited, timedelta(seconds=60))
    assert sign_in(api, username="anna", password=PASSWORD).status_code == 303
    assert stored_attempts(limited) == 0  # expired ones are pruned, the success was never a failure


def test_wrong_api_keys_are_limited_per_address_and_a_right_key_still_works(api, limited, auth):
    for _ in range(LIMIT):
        wrong = api.get("/v1/feedback", headers={"Authorization": "Bearer fr_guess"})
        assert wrong.status_code == 401
    locked = api.get("/v1/feedback", headers={"Authorization": "Bearer fr_guess"})
    assert locked.status_code == 429 and 0 < int(locked.headers["retry-after"]) <= WINDOW
    assert "too many failed" in locked.json()["detail"]
    assert api.get("/v1/feedback", headers=auth["manager"]).status_code == 200  # a broken client beside
    elsewhere = from_address(api, "10.0.3.3").get("/v1/feedback", headers={"Authorization": "Bearer fr_x"})
    assert elsewhere.status_code == 401

    key_form = sign_in(api, key="fr_another_guess")  # the sign-in form's key field counts the same
    assert key_form.status_code == 429


def test_concurrent_guesses_get_at_most_the_limit_checked(limited):
    checked, refused, errors = [], [], []

    def guess() -> None:
        try:
            with session_scope(limited.database_url) as session:
                attempts.count_failure(session=session, settings=limited, address="10.9.9.9", account="anna")
            checked.append(1)
        except TooManyAttempts:
            refused.append(1)
        except Exception as exc:  # reported below: a test thread must not swallow a failure
            errors.append(exc)

    threads = [threading.Thread(target=guess) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [] and len(checked) + len(refused) == 12
    assert 1 <= len(checked) <= LIMIT
    assert stored_attempts(limited) == len(checked)


def test_a_failed_sign_in_is_logged_with_the_account_never_the_password(api, limited, caplog):
    with caplog.at_level(logging.WARNING):
        sign_in(api, username="anna", password="my secret guess")
    failed = [r.getMessage() for r in caplog.records if "failed sign-in" in r.getMessage()]
    assert failed == ["failed sign-in from testclient as 'anna'"]
    assert all("my secret guess" not in r.getMessage() for r in caplog.records)


def test_passwords_are_stored_as_argon2id(limited):
    with session_scope(limited.database_url) as session:
        stored = session.scalar(select(User.password_hash).where(User.username == "anna"))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def legacy_scrypt(password: str) -> str:
    """The hash accounts got before argon2id: scrypt n=2**14, r=8, p=1, no parameters stored."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"scrypt${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def test_an_account_with_the_old_scrypt_hash_signs_in_and_is_upgraded_to_argon2id(api, limited):
    with session_scope(limited.database_url) as session:
        old = legacy_scrypt(PASSWORD)
        session.execute(update(User).where(User.username == "anna").values(password_hash=old))

    assert sign_in(api, username="anna", password="wrong password").status_code == 401
    with session_scope(limited.database_url) as session:
        assert session.scalar(select(User.password_hash).where(User.username == "anna")).startswith("scrypt$")

    assert sign_in(api, username="anna", password=PASSWORD).status_code == 303
    with session_scope(limited.database_url) as session:
        upgraded = session.scalar(select(User.password_hash).where(User.username == "anna"))
    assert upgraded.startswith("$argon2id$")
    assert sign_in(api, username="anna", password=PASSWORD).status_code == 303  # and it still signs in


def test_an_address_longer_than_any_ip_is_counted_not_a_500(api, limited):
    # Behind a trusted proxy the address comes from X-Forwarded-For, which is free text.
    odd = from_address(api, "x" * 300)
    assert sign_in(odd, username="anna", password="wrong password").status_code == 401
    assert odd.get("/v1/feedback", headers={"Authorization": "Bearer fr_guess"}).status_code == 401
    assert stored_attempts(limited) == 2
