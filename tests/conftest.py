"""Shared fixtures: every test starts from the default configuration and no Sentry client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sentry_sdk
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

import autocapture
from autocapture import _delivery, _log, _ratelimit
from autocapture._config import _reset_config
from tests._packages import Package, package_on_path


@pytest.fixture(autouse=True)
def _reset_autocapture() -> Iterator[None]:
    """Reset configuration, rate limiting and the Sentry client around every test."""
    _reset_config()
    _log._reset()
    _ratelimit._reset()
    yield
    _delivery._reset()
    _reset_config()
    _log._reset()
    _ratelimit._reset()
    sentry_sdk.get_global_scope().set_client(None)
    sentry_sdk.get_isolation_scope().clear()
    sentry_sdk.get_current_scope().clear()


class RecordingTransport(Transport):
    """An in-process Sentry transport that keeps every envelope it is given."""

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.envelopes: list[Envelope] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        self.envelopes.append(envelope)

    @property
    def events(self) -> list[dict[str, Any]]:
        """The error events (not transactions, sessions or logs) sent so far.

        What autocapture delivers in the background (errors on an event loop) is waited
        for first, as an application does with ``autocapture.flush()``.
        """
        assert autocapture.flush(10), "background delivery did not drain"
        found = []
        for envelope in self.envelopes:
            for item in envelope.items:
                if item.type == "event":
                    payload = item.payload.json
                    assert payload is not None
                    found.append(payload)
        return found

    def flush(self, timeout: float, callback: Any = None) -> None:
        pass

    def kill(self) -> None:
        pass


@pytest.fixture
def sentry_transport() -> Iterator[RecordingTransport]:
    """Initialise the real sentry-sdk client with an in-process recording transport."""
    transport = RecordingTransport()
    sentry_sdk.init(
        dsn="https://public@sentry.example.invalid/1",
        transport=transport,
        release="autocapture-tests@1.0.0",
        environment="test",
    )
    yield transport
    sentry_sdk.flush()
    sentry_sdk.get_global_scope().set_client(None)


@pytest.fixture
def package(tmp_path: Path) -> Iterator[Package]:
    """A fresh package on sys.path; its modules and every hook are gone afterwards."""
    yield from package_on_path(tmp_path)
