"""Sentry contexts keep their names: only what each context holds is scrubbed."""

from __future__ import annotations

import sentry_sdk

from autocapture import capture_auth_error

from .conftest import RecordingTransport


def test_auth_context_survives_scrubbing(sentry_transport: RecordingTransport) -> None:
    """The context named "auth" is kept; its secret fields alone are redacted."""
    capture_auth_error(
        PermissionError("denied"), operation="login", user_id="u-1", password="pw-" + "x1y2z3"
    )
    sentry_sdk.flush()
    [event] = sentry_transport.events
    assert event["contexts"]["auth"] == {
        "operation": "login",
        "user_id": "u-1",
        "password": "[REDACTED]",
    }
