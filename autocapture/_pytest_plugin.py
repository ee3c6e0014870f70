"""The pytest plugin registered by installing autocapture: the ``captured_errors`` fixture."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from autocapture._capture import add_tap, remove_tap
from autocapture._config import configure, get_config
from autocapture._sinks import MemorySink

__all__ = ["captured_errors"]


@pytest.fixture
def captured_errors() -> Iterator[MemorySink]:
    """Yield a ``MemorySink`` that receives every event captured during the test.

    Every event, in any thread or task, whatever sink it is meant for: that sink still
    gets it too, except the default one (Sentry or logging), which is left quiet. Rate
    limiting is off for the test (a test that fails the same code many times sees every
    event); a test may turn it on again with ``configure(rate_limit=...)``.
    """
    sink = MemorySink()
    rate_limit = get_config().rate_limit
    configure(rate_limit=None)
    add_tap(sink)
    try:
        yield sink
    finally:
        remove_tap(sink)
        configure(rate_limit=rate_limit)
