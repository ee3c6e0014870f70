"""SentrySink with the real sentry-sdk client and an in-process recording transport."""

from __future__ import annotations

import json

import pytest
import sentry_sdk

from autocapture import auto_capture_errors, bind_context, capture_database_error, configure
from autocapture.sinks import SentrySink

from .conftest import RecordingTransport

# Built from parts, far from the failing frame's source lines, so that only the frame's
# local variable (not the source context Sentry also sends) carries the whole secret.
LIVE_KEY = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"


@auto_capture_errors(context_type="provider", operation="chat", tags={"team": "inference"})
def call_model(provider: str, model: str, api_key: str, max_tokens: int) -> str:
    local_secret = LIVE_KEY  # a frame local, which Sentry attaches by default
    raise ConnectionError(f"{provider} refused {model} ({len(local_secret)})")


def test_event_id_tags_context_extra_level_and_mechanism(
    sentry_transport: RecordingTransport,
) -> None:
    """The Sentry event has our id, tags, a context named after the type, extra and mechanism."""
    configure(sink=SentrySink())
    with pytest.raises(ConnectionError) as info:
        call_model("openrouter", "gpt-4", api_key="sk-or-v1-" + "a" * 40, max_tokens=256)
    sentry_sdk.flush()
    [event] = sentry_transport.events
    our_id = info.value.__dict__["__autocapture_event_id__"]
    assert event["event_id"] == our_id
    assert event["level"] == "error"
    assert event["tags"]["team"] == "inference"
    assert event["tags"]["context_type"] == "provider"
    assert event["tags"]["operation"] == "chat"
    assert event["tags"]["function"] == f"{__name__}.call_model"
    assert event["contexts"]["provider"]["model"] == "gpt-4"
    assert event["contexts"]["provider"]["provider"] == "openrouter"
    arguments = event["extra"]["arguments"]
    assert arguments["api_key"] == "[REDACTED]"
    assert arguments["max_tokens"] == 256
    [exception] = event["exception"]["values"]
    assert exception["type"] == "ConnectionError"
    assert exception["mechanism"] == {"type": "autocapture", "handled": False}
    assert event["release"] == "autocapture-tests@1.0.0"
    assert event["environment"] == "test"


def test_frame_locals_are_scrubbed(sentry_transport: RecordingTransport) -> None:
    """Sentry attaches frame locals by default; secrets in them never leave the process."""
    configure(sink=SentrySink())
    with pytest.raises(ConnectionError):
        call_model("openrouter", "gpt-4", api_key="sk-or-v1-" + "b" * 40, max_tokens=1)
    sentry_sdk.flush()
    payload = json.dumps(sentry_transport.events)
    assert LIVE_KEY[len("sk_live_") :] not in payload
    assert "b" * 40 not in payload
    frames = sentry_transport.events[0]["exception"]["values"][0]["stacktrace"]["frames"]
    assert any("vars" in f and "provider" in f["vars"] for f in frames)


def test_scope_is_isolated(sentry_transport: RecordingTransport) -> None:
    """A later plain capture_message carries none of our tags, contexts or extra."""
    configure(sink=SentrySink())
    with pytest.raises(ConnectionError):
        call_model("openrouter", "gpt-4", api_key="x", max_tokens=1)
    sentry_sdk.capture_message("plain message")
    sentry_sdk.flush()
    ours, plain = sentry_transport.events
    assert "team" in ours["tags"]
    assert "team" not in plain.get("tags", {})
    assert "context_type" not in plain.get("tags", {})
    assert "provider" not in plain.get("contexts", {})
    assert "arguments" not in plain.get("extra", {})


def test_bound_user_becomes_the_sentry_user(sentry_transport: RecordingTransport) -> None:
    """user_id and email bound with bind_context become the Sentry event's user."""
    configure(sink=SentrySink(), send_pii=True)
    with bind_context(user_id="u-42", email="ada@example.com", request_id="r-9"):
        capture_database_error(LookupError("gone"), operation="select", table="users")
    sentry_sdk.flush()
    [event] = sentry_transport.events
    assert event["user"] == {"id": "u-42", "email": "ada@example.com"}
    assert event["contexts"]["database"]["table"] == "users"
    assert event["contexts"]["database"]["request_id"] == "r-9"
    assert event["tags"]["table"] == "users"
    assert event["exception"]["values"][0]["mechanism"]["handled"] is True


def test_default_sink_is_sentry_when_a_client_is_active(
    sentry_transport: RecordingTransport,
) -> None:
    """With no sink configured and an active client, events go to Sentry."""
    with pytest.raises(ConnectionError):
        call_model("openrouter", "gpt-4", api_key="x", max_tokens=1)
    sentry_sdk.flush()
    assert len(sentry_transport.events) == 1


def test_no_client_is_a_no_op() -> None:
    """SentrySink without an active client does nothing and does not fail."""
    sink = SentrySink()

    @auto_capture_errors(sink=sink, reraise=False)
    def f() -> None:
        raise RuntimeError("nowhere")

    assert f() is None


def test_sentry_integrations_do_not_report_a_captured_error_twice(
    sentry_transport: RecordingTransport,
) -> None:
    """A captured error seen again by sentry_sdk.capture_exception makes no second event."""
    configure(sink=SentrySink())
    try:
        call_model("openrouter", "gpt-4", api_key="x", max_tokens=1)
    except ConnectionError as exc:
        try:
            raise RuntimeError("wrapped") from exc
        except RuntimeError as wrapped:
            sentry_sdk.capture_exception(wrapped)
    sentry_sdk.flush()
    assert len(sentry_transport.events) == 1


def test_an_error_sentry_saw_first_is_not_reported_again(
    sentry_transport: RecordingTransport,
) -> None:
    """An error Sentry reported first (e.g. from a log record) is not re-emitted by us."""
    configure(sink=SentrySink())
    error = ValueError("seen by sentry first")
    sentry_id = sentry_sdk.capture_exception(error)
    from autocapture import capture_error

    assert capture_error(error) == sentry_id
    sentry_sdk.flush()
    assert len(sentry_transport.events) == 1


def test_autocapture_frames_are_left_out_and_user_frames_are_in_app(
    sentry_transport: RecordingTransport,
) -> None:
    """The decorator's own wrapper frame is not in the stack trace; the user's frame is in-app."""
    configure(sink=SentrySink())
    with pytest.raises(ConnectionError):
        call_model("openrouter", "gpt-4", api_key="x", max_tokens=1)
    sentry_sdk.flush()
    frames = sentry_transport.events[0]["exception"]["values"][0]["stacktrace"]["frames"]
    assert not [f for f in frames if str(f["module"]).startswith("autocapture.")]
    assert not [f for f in frames if f["filename"].startswith("<autocapture ")]
    [failing] = [f for f in frames if f["function"] == "call_model"]
    assert failing["in_app"] is True
    assert failing is frames[-1]


def test_positional_secrets_do_not_leak_through_the_wrappers_frame(
    sentry_transport: RecordingTransport,
) -> None:
    """Our wrapper frame's locals (the raw ``args``) are not sent; the user's frame's are."""
    password = "hunter" + "2-" + "plainQz8"  # nothing in its shape says "secret"

    @auto_capture_errors
    def login(user: str, password: str) -> None:
        raise RuntimeError("login failed")

    configure(sink=SentrySink())
    with pytest.raises(RuntimeError):
        login("bob", password)
    sentry_sdk.flush()
    assert password not in json.dumps(sentry_transport.events)
    frames = sentry_transport.events[0]["exception"]["values"][0]["stacktrace"]["frames"]
    # The wrapper has the function's parameter names: its frame is left out whole.
    assert not [f for f in frames if f["filename"].startswith("<autocapture ")]
    [user_frame] = [f for f in frames if f["function"] == "login"]
    assert user_frame["vars"]["user"] == "bob"
    assert sentry_transport.events[0]["extra"]["arguments"] == {
        "user": "bob",
        "password": "[REDACTED]",
    }
