"""Each ``capture_*`` helper against a real Bugsink server, with the real sentry-sdk transport."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any, Callable

import pytest
import sentry_sdk

from autocapture import (
    bind_context,
    capture_auth_error,
    capture_cache_error,
    capture_database_error,
    capture_error,
    capture_payment_error,
    capture_provider_error,
    configure,
)

from . import _secrets
from .conftest import ENVIRONMENT, RELEASE, Stored

pytestmark = pytest.mark.e2e

app_log = logging.getLogger("e2e_helpers")


@pytest.fixture(autouse=True)
def _info_logging() -> Iterator[None]:
    """Let INFO records through, so that Sentry's logging integration makes breadcrumbs."""
    app_log.setLevel(logging.INFO)
    yield
    app_log.setLevel(logging.NOTSET)


@pytest.fixture(autouse=True)
def _send_pii() -> None:
    """Keep the bound email, so the stored user can be compared whole."""
    configure(send_pii=True)


def _fail() -> None:
    """Raise an error with a cause and a secret-laden message, like a failing client call."""
    try:
        raise TimeoutError("upstream timed out with Authorization: Bearer " + _secrets.JWT)
    except TimeoutError as exc:
        raise RuntimeError("call failed for " + _secrets.DB_URL) from exc


# (helper, keyword arguments, context type, expected context fields, expected tags, level)
CASES: list[tuple[Callable[..., str | None], dict[str, Any], str, dict, dict, str]] = [
    (
        capture_error,
        {"context": {"order_id": "o-17"}, "tags": {"team": "core"}, "level": "warning"},
        "general",
        {"order_id": "o-17"},
        {"team": "core"},
        "warning",
    ),
    (
        capture_provider_error,
        {"provider": "openrouter", "model": "gpt-4", "request_id": "r-1", "endpoint": "/v1/chat"},
        "provider",
        {"provider": "openrouter", "model": "gpt-4", "request_id": "r-1", "endpoint": "/v1/chat"},
        {"provider": "openrouter"},
        "error",
    ),
    (
        capture_database_error,
        {"operation": "insert", "table": "users", "record_id": 17},
        "database",
        {"operation": "insert", "table": "users", "record_id": 17},
        {"operation": "insert", "table": "users"},
        "error",
    ),
    (
        capture_payment_error,
        {"operation": "charge", "provider": "stripe", "amount": 19.99, "currency": "eur"},
        "payment",
        {"operation": "charge", "provider": "stripe", "amount": 19.99, "currency": "eur"},
        {"operation": "charge", "provider": "stripe"},
        "error",
    ),
    (
        capture_auth_error,
        {"operation": "login", "level": "fatal"},
        "auth",
        {"operation": "login"},
        {"operation": "login"},
        "fatal",
    ),
    (
        capture_cache_error,
        {"operation": "get", "cache_type": "redis", "key": "user:17"},
        "cache",
        {"operation": "get", "cache_type": "redis", "key": "user:17"},
        {"operation": "get", "cache_type": "redis"},
        "error",
    ),
]


@pytest.mark.parametrize(
    ("helper", "kwargs", "context_type", "fields", "tags", "level"),
    CASES,
    ids=[case[0].__name__ for case in CASES],
)
def test_helper_event_is_stored_once_complete_and_clean(
    stored: Stored,
    helper: Callable[..., str | None],
    kwargs: dict[str, Any],
    context_type: str,
    fields: dict[str, Any],
    tags: dict[str, str],
    level: str,
) -> None:
    """The stored event has the helper's id, chain, tags, context, level and user, no secret."""
    app_log.info("charging with api_key=%s", _secrets.QUERY_API_KEY)
    extra = {"authorization": "Bearer " + _secrets.BEARER_TOKEN}
    if helper is capture_error:
        kwargs = {**kwargs, "context": {**kwargs["context"], **extra}}
    else:
        kwargs = {**kwargs, **extra}
    with bind_context(user_id="u-42", email="ada@example.com", session_id=_secrets.SESSION_ID):
        try:
            _fail()
        except RuntimeError as exc:
            event_id = helper(exc, **kwargs)
    assert event_id is not None
    answer = stored.answer(event_id)
    event = answer["data"]

    assert event["event_id"] == event_id
    assert event["level"] == level
    assert (event["release"], event["environment"]) == (RELEASE, ENVIRONMENT)
    cause, error = event["exception"]["values"]
    assert (cause["type"], error["type"]) == ("TimeoutError", "RuntimeError")
    assert error["value"] == "call failed for postgresql://app:[REDACTED]@db.internal:5432/app"
    assert cause["value"] == "upstream timed out with Authorization: Bearer [REDACTED]"
    assert error["mechanism"]["type"] == "autocapture"
    assert error["mechanism"]["handled"] is True
    expected_tags = {
        "context_type": context_type,
        "function": f"{__name__}.test_helper_event_is_stored_once_complete_and_clean",
        "module": __name__,
        **tags,
    }
    assert {k: event["tags"].get(k) for k in expected_tags} == expected_tags
    context = event["contexts"][context_type]
    assert {k: context.get(k) for k in fields} == fields
    assert context["authorization"] == "[REDACTED]"
    assert context["session_id"] == "[REDACTED]"
    assert {k: event["user"][k] for k in ("id", "email")} == {
        "id": "u-42",
        "email": "ada@example.com",
    }
    assert "charging with api_key=[REDACTED]" in [
        c.get("message") for c in event["breadcrumbs"]["values"]
    ]
    assert _secrets.leaked(json.dumps(answer)) == []
    assert stored.count() == 1


def test_capturing_the_same_error_twice_stores_one_event(stored: Stored) -> None:
    """A second capture_* of the same error, or of an error raised from it, stores nothing."""
    try:
        _fail()
    except RuntimeError as exc:
        first = capture_database_error(exc, operation="select", table="users")
        again = capture_error(exc)
        try:
            raise LookupError("the route gave up") from exc
        except LookupError as wrapped:
            from_wrapped = capture_error(wrapped)
            sentry_sdk.capture_exception(wrapped)
    assert first is not None
    assert (again, from_wrapped) == (first, first)
    assert stored.event(first)["contexts"]["database"]["table"] == "users"
    assert stored.count() == 1
