"""The decorator against a real Bugsink server, over HTTP, with the real sentry-sdk transport."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
import sentry_sdk

from autocapture import auto_capture_errors, bind_context, configure
from autocapture._once import captured_event_id

from . import _secrets
from .conftest import ENVIRONMENT, RELEASE, Stored

pytestmark = pytest.mark.e2e

app_log = logging.getLogger("e2e_app")


@pytest.fixture(autouse=True)
def _info_logging() -> Iterator[None]:
    """Let INFO records through, so that Sentry's logging integration makes breadcrumbs."""
    app_log.setLevel(logging.INFO)
    yield
    app_log.setLevel(logging.NOTSET)


@auto_capture_errors(context_type="provider", operation="chat", tags={"team": "inference"})
def call_model(provider: str, model: str, api_key: str, max_tokens: int) -> str:
    upstream = _secrets.STRIPE_KEY  # frame locals with no telling name: only their shape
    header = "Bearer " + _secrets.BEARER_TOKEN  # betrays them
    app_log.info("calling %s with Authorization: Bearer %s", provider, _secrets.BEARER_TOKEN)
    try:
        raise TimeoutError(f"{provider} timed out, token {_secrets.JWT}")
    except TimeoutError as exc:
        raise ConnectionError(f"{model} refused ({len(upstream) + len(header)})") from exc


@auto_capture_errors(context_type="provider", operation="chat", tags={"team": "inference"})
async def call_model_async(provider: str, model: str, api_key: str, max_tokens: int) -> str:
    upstream = _secrets.STRIPE_KEY
    header = "Bearer " + _secrets.BEARER_TOKEN
    app_log.info("calling %s with Authorization: Bearer %s", provider, _secrets.BEARER_TOKEN)
    try:
        raise TimeoutError(f"{provider} timed out, token {_secrets.JWT}")
    except TimeoutError as exc:
        raise ConnectionError(f"{model} refused ({len(upstream) + len(header)})") from exc


def _check_provider_event(event: dict, event_id: str, function: str) -> None:
    """Check everything the decorator promises about the stored event."""
    assert event["event_id"] == event_id
    assert event["level"] == "error"
    assert event["release"] == RELEASE
    assert event["environment"] == ENVIRONMENT
    cause, error = event["exception"]["values"]
    assert (cause["type"], error["type"]) == ("TimeoutError", "ConnectionError")
    assert error["value"] == "gpt-4 refused (65)"
    assert cause["value"] == "openrouter timed out, token [REDACTED]"
    assert error["mechanism"]["type"] == "autocapture"
    assert error["mechanism"]["handled"] is False
    tags = event["tags"]
    assert {k: tags[k] for k in ("context_type", "operation", "function", "team")} == {
        "context_type": "provider",
        "operation": "chat",
        "function": function,
        "team": "inference",
    }
    assert event["contexts"]["provider"]["provider"] == "openrouter"
    assert event["contexts"]["provider"]["model"] == "gpt-4"
    assert event["extra"]["arguments"] == {
        "provider": "openrouter",
        "model": "gpt-4",
        "api_key": "[REDACTED]",
        "max_tokens": 256,
    }


def test_decorated_function_error_is_stored_once_with_context(stored: Stored) -> None:
    """A sync decorated function's error is stored once, with id, chain, tags, context, args."""
    with pytest.raises(ConnectionError) as info:
        call_model("openrouter", "gpt-4", api_key=_secrets.STRIPE_KEY, max_tokens=256)
    event_id = captured_event_id(info.value)
    assert event_id is not None
    _check_provider_event(stored.event(event_id), event_id, f"{__name__}.call_model")
    assert stored.count() == 1


async def test_async_decorated_function_error_is_stored_once_with_context(
    stored: Stored,
) -> None:
    """An async decorated function's error is stored once, with the same content."""
    with pytest.raises(ConnectionError) as info:
        await call_model_async("openrouter", "gpt-4", api_key=_secrets.STRIPE_KEY, max_tokens=256)
    event_id = captured_event_id(info.value)
    assert event_id is not None
    _check_provider_event(stored.event(event_id), event_id, f"{__name__}.call_model_async")
    assert stored.count() == 1


def test_no_planted_secret_reaches_the_server(stored: Stored) -> None:
    """Secrets in arguments, frame locals, messages, breadcrumbs, context and request stay out."""
    request = {
        "method": "POST",
        "url": "https://api.example.com/v1/chat",
        "query_string": "stream=1&api_key=" + _secrets.QUERY_API_KEY,
        "headers": {
            "Authorization": "Bearer " + _secrets.BEARER_TOKEN,
            "Cookie": "sessionid=" + _secrets.SESSION_ID,
            "User-Agent": "e2e",
        },
        "cookies": {"sessionid": _secrets.SESSION_ID},
    }
    app_log.info("login", extra={"password": _secrets.BREADCRUMB_PASSWORD})
    app_log.info("connecting to %s", _secrets.DB_URL)
    with bind_context(request=request, session_token=_secrets.BEARER_TOKEN, tenant="acme"):
        with pytest.raises(ConnectionError) as info:
            call_model("openrouter", "gpt-4", api_key=_secrets.STRIPE_KEY, max_tokens=256)
    answer = stored.answer(captured_event_id(info.value) or "")
    event = answer["data"]
    # Each channel a secret could take was really exercised, and came out redacted.
    # Sentry's own EventScrubber filters the header first, when ours has not yet.
    assert event["request"]["headers"]["Authorization"] in ("[REDACTED]", "[Filtered]")
    assert event["request"]["url"] == "https://api.example.com/v1/chat"
    assert event["contexts"]["provider"]["session_token"] == "[REDACTED]"
    assert event["contexts"]["provider"]["tenant"] == "acme"
    crumbs = [(c.get("message"), c.get("data")) for c in event["breadcrumbs"]["values"]]
    assert ("calling openrouter with Authorization: Bearer [REDACTED]", {}) in crumbs
    assert ("connecting to postgresql://app:[REDACTED]@db.internal:5432/app", {}) in crumbs
    [login_data] = [data for message, data in crumbs if message == "login"]
    assert login_data["password"] in ("[REDACTED]", "[Filtered]")
    frames = event["exception"]["values"][-1]["stacktrace"]["frames"]
    frame_vars = [f.get("vars", {}) for f in frames if f.get("function") == "call_model"]
    assert frame_vars, "Sentry attached no frame of call_model"
    # Each variable is scrubbed from the live object: its value, not its repr.
    assert frame_vars[0]["provider"] == "openrouter"
    assert frame_vars[0]["upstream"] == "[REDACTED]"
    assert frame_vars[0]["header"] == "Bearer [REDACTED]"
    assert _secrets.leaked(json.dumps(answer)) == []


def test_bound_user_reaches_the_server_with_email_masked_by_default(stored: Stored) -> None:
    """bind_context(user_id=..., email=...) becomes the stored user; the email is masked."""
    with bind_context(user_id="u-42", email="ada@example.com"):
        with pytest.raises(ConnectionError) as info:
            call_model("openrouter", "gpt-4", api_key="x", max_tokens=256)
    user = stored.event(captured_event_id(info.value))["user"]
    assert user["id"] == "u-42"
    assert "ada@example.com" not in str(user)


def test_bound_user_email_is_kept_with_send_pii(stored: Stored) -> None:
    """With configure(send_pii=True) the stored user keeps the email."""
    configure(send_pii=True)
    with bind_context(user_id="u-42", email="ada@example.com"):
        with pytest.raises(ConnectionError) as info:
            call_model("openrouter", "gpt-4", api_key="x", max_tokens=256)
    user = stored.event(captured_event_id(info.value))["user"]
    assert {k: user[k] for k in ("id", "email")} == {"id": "u-42", "email": "ada@example.com"}


def test_logging_the_error_after_capture_stores_one_event(stored: Stored) -> None:
    """A caller's logger.exception for an error the decorator captured makes no second event."""
    try:
        call_model("openrouter", "gpt-4", api_key="x", max_tokens=256)
    except ConnectionError as exc:
        app_log.exception("the model call failed")
        sentry_sdk.capture_exception(exc)  # and a hand-written report on top
        event_id = captured_event_id(exc)
    event = stored.event(event_id)
    assert event["tags"]["context_type"] == "provider"
    assert stored.count() == 1


def test_logging_the_error_before_capture_stores_one_event(stored: Stored) -> None:
    """An error logged inside the decorated function is stored once, under the logged id."""

    @auto_capture_errors(context_type="database", operation="select")
    def load_user(user_id: int, password: str) -> None:
        try:
            raise LookupError(f"no user {user_id} at {_secrets.DB_URL}")
        except LookupError:
            app_log.exception("lookup failed")
            raise

    with pytest.raises(LookupError) as info:
        load_user(7, password=_secrets.DB_PASSWORD)
    event_id = captured_event_id(info.value)
    answer = stored.answer(event_id or "")
    assert answer["data"]["event_id"] == event_id
    assert stored.count() == 1
    assert _secrets.leaked(json.dumps(answer)) == []


def test_wrapped_error_reported_by_hand_stores_one_event(stored: Stored) -> None:
    """An error raised from a captured one and reported with capture_exception is not stored."""
    try:
        call_model("openrouter", "gpt-4", api_key="x", max_tokens=256)
    except ConnectionError as exc:
        try:
            raise RuntimeError("the route failed") from exc
        except RuntimeError as wrapped:
            sentry_sdk.capture_exception(wrapped)
    assert stored.count() == 1
