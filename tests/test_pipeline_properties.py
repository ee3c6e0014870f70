"""Hypothesis properties of the whole pipeline: no planted secret reaches any output.

Random nested structures with secrets planted under sensitive keys, as bare values and
inside sentences (the strategies of ``test_scrub_properties``) are passed to a decorated
function that fails with one of them in its message. Whatever the event carries, its
``repr``, what ``LoggingSink`` writes (message and traceback) and the Sentry envelope that
the real ``sentry-sdk`` client builds (frame variables included) hold none of them.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import sentry_sdk
from hypothesis import HealthCheck, given, settings

from autocapture import auto_capture_errors, configure
from autocapture.sinks import LoggingSink, MemorySink, MultiSink, SentrySink

from .conftest import RecordingTransport
from .test_scrub_properties import KEY_SECRETS, SHAPED_SECRETS, planted

LOGGER = logging.getLogger("tests.pipeline")
STREAM = io.StringIO()


@pytest.fixture(scope="module")
def sentry_client() -> Iterator[RecordingTransport]:
    """One real sentry-sdk client for all examples (init is too slow to do per example)."""
    handler = logging.StreamHandler(STREAM)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    LOGGER.handlers[:] = [handler]
    LOGGER.propagate = False
    transport = RecordingTransport()
    sentry_sdk.init(dsn="https://public@sentry.example.invalid/1", transport=transport)
    yield transport
    sentry_sdk.get_global_scope().set_client(None)


def fail_with(payload: object, api_key: str, note: str) -> None:
    """The code under test: it fails, mentioning a secret, with secrets in its frame."""
    config = {"retries": 3, "credentials": api_key}
    raise RuntimeError(f"upstream rejected the call: {note} (config had {len(config)} keys)")


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(planted(), SHAPED_SECRETS, KEY_SECRETS)
def test_no_planted_secret_reaches_any_output(
    sentry_client: RecordingTransport,
    case: tuple[object, list[str]],
    in_message: str,
    api_key: str,
) -> None:
    """repr(event), the LoggingSink output and the Sentry envelope carry no planted secret."""
    payload, secrets = case
    planted_all = [*secrets, in_message, api_key]
    memory = MemorySink()
    STREAM.seek(0)
    STREAM.truncate()
    sentry_client.envelopes.clear()
    # Every example fails the same line: rate limiting would leave later ones no event.
    configure(sink=MultiSink(memory, LoggingSink(LOGGER), SentrySink()), rate_limit=None)
    decorated = auto_capture_errors(fail_with)
    try:
        decorated(payload, api_key=api_key, note=f"token was {in_message}")
    except RuntimeError:
        pass
    sentry_sdk.flush()
    [event] = memory.events
    outputs: dict[str, Any] = {
        "repr(event)": repr(event),
        "logging": STREAM.getvalue(),
        "sentry": json.dumps(sentry_client.events),
    }
    assert "RuntimeError" in outputs["logging"]
    assert len(sentry_client.events) == 1
    for name, text in outputs.items():
        for secret in planted_all:
            assert secret not in text, f"a planted secret reached {name}"
