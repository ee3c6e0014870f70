"""An error Sentry reports first (e.g. logged inside a decorated function) leaves no secret."""

from __future__ import annotations

import json
import logging

import pytest
import sentry_sdk

from autocapture import auto_capture_errors

from .conftest import RecordingTransport

# Built from parts, so that no source line Sentry sends around a frame holds it whole.
PASSWORD = "hunter" + "2-" + "Qz8pLm4X"
DB_URL = "postgresql://app:" + PASSWORD + "@db.internal:5432/app"

log = logging.getLogger("once_scrub_app")


@auto_capture_errors(context_type="database", operation="select")
def load_user(user_id: int) -> None:
    dsn = DB_URL  # a frame local with no telling name
    try:
        raise LookupError(f"no user {user_id} at {dsn}")
    except LookupError:
        log.exception("lookup failed")  # Sentry's logging integration reports it first
        raise


def test_error_logged_first_is_reported_once_and_scrubbed(
    sentry_transport: RecordingTransport,
) -> None:
    """The logging integration's event, the error's only report, carries no password."""
    with pytest.raises(LookupError):
        load_user(7)
    sentry_sdk.flush()
    [event] = sentry_transport.events
    assert PASSWORD not in json.dumps(event)
    [exception] = event["exception"]["values"]
    assert exception["value"] == "no user 7 at postgresql://app:[REDACTED]@db.internal:5432/app"


def test_plain_capture_exception_is_scrubbed(sentry_transport: RecordingTransport) -> None:
    """A hand-written sentry_sdk.capture_exception of an uncaptured error is scrubbed too."""
    try:
        raise ConnectionError("refused with Authorization: Bearer " + "tok" + "X9fQ2mLp7Rz4Vw8K")
    except ConnectionError as exc:
        sentry_sdk.capture_exception(exc)
    sentry_sdk.flush()
    [event] = sentry_transport.events
    assert event["exception"]["values"][0]["value"] == (
        "refused with Authorization: Bearer [REDACTED]"
    )
