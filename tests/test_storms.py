"""Storms: events are rate-limited per fingerprint, and the suppressed ones are counted."""

from __future__ import annotations

import re
import threading
import time
from typing import Any

import pytest

import autocapture
from autocapture import (
    RateLimit,
    ScrubMatch,
    ScrubOptions,
    auto_capture_errors,
    capture_error,
    configure,
)
from autocapture._config import get_config
from autocapture._ratelimit import Limiter
from autocapture.sinks import MemorySink, SentrySink
from tests.conftest import RecordingTransport

API_KEY = "sk-or-v1-" + "5f0c8a2e9b7d4c1a" * 4


def fail_many(function: Any, times: int) -> None:
    for _ in range(times):
        try:
            function()
        except RuntimeError:
            pass


def test_default_lets_ten_events_of_one_fingerprint_pass_per_minute() -> None:
    """100 failures of one line make 10 events by default."""
    sink = MemorySink()
    configure(sink=sink)

    @auto_capture_errors
    def call_model() -> None:
        raise RuntimeError("provider down")

    fail_many(call_model, 100)
    assert len(sink) == 10
    assert get_config().rate_limit == RateLimit(burst=10, per_seconds=60.0)


def test_capture_returns_none_for_a_suppressed_error() -> None:
    """capture_error returns an id while the limit lets events pass, then None."""
    configure(sink=MemorySink(), rate_limit=RateLimit(burst=2))
    ids = []
    for _ in range(4):
        try:
            raise RuntimeError("down")
        except RuntimeError as exc:
            ids.append(capture_error(exc))
    assert [i is not None for i in ids] == [True, True, False, False]


def test_next_event_that_passes_carries_the_count() -> None:
    """After the window, the next event says how many were suppressed before it."""
    sink = MemorySink()
    configure(sink=sink, rate_limit=RateLimit(burst=2, per_seconds=0.5))

    @auto_capture_errors
    def call_model() -> None:
        raise RuntimeError("provider down")

    fail_many(call_model, 7)
    time.sleep(0.55)
    fail_many(call_model, 1)
    events = sink.events
    assert [e.context.get("suppressed") for e in events] == [None, None, 5]
    assert [e.tags.get("autocapture.suppressed") for e in events] == [None, None, "5"]


def test_suppressed_count_reaches_sentry(sentry_transport: RecordingTransport) -> None:
    """Sentry gets only the events that pass, and the count as a tag and in the context."""
    configure(sink=SentrySink(), rate_limit=RateLimit(burst=1, per_seconds=1.0))

    @auto_capture_errors(context_type="provider")
    def call_model() -> None:
        raise RuntimeError("provider down")

    fail_many(call_model, 50)
    time.sleep(1.05)
    fail_many(call_model, 1)
    events = sentry_transport.events
    assert len(events) == 2
    assert events[1]["tags"]["autocapture.suppressed"] == "49"
    assert events[1]["contexts"]["provider"]["suppressed"] == 49


def test_a_suppressed_capture_is_not_built() -> None:
    """A rate-limited failure is not scrubbed: the scrubber's callback sees 10 events."""
    matches: list[ScrubMatch] = []

    def seen(match: ScrubMatch) -> None:
        matches.append(match)

    configure(sink=MemorySink(), scrub=ScrubOptions(callback=seen))

    @auto_capture_errors
    def call_model(api_key: str) -> None:
        raise RuntimeError("provider down")

    fail_many(lambda: call_model(API_KEY), 1)
    per_event = len(matches)
    assert per_event > 0
    fail_many(lambda: call_model(API_KEY), 99)
    assert len(matches) == 10 * per_event


def test_fingerprint_is_type_function_and_raising_line() -> None:
    """Another line, another exception type or another function is another fingerprint."""
    sink = MemorySink()
    configure(sink=sink, rate_limit=RateLimit(burst=1))

    @auto_capture_errors
    def one(kind: int) -> None:
        if kind == 0:
            raise RuntimeError("a")
        if kind == 1:
            raise RuntimeError("b")
        raise ValueError("c")

    @auto_capture_errors
    def other() -> None:
        raise RuntimeError("a")

    for _ in range(3):
        for kind in (0, 1, 2):
            try:
                one(kind)
            except (RuntimeError, ValueError):
                pass
        fail_many(other, 1)
    assert sorted((e.function.rsplit(".", 1)[-1], e.message) for e in sink.events) == [
        ("one", "a"),
        ("one", "b"),
        ("one", "c"),
        ("other", "a"),
    ]


def test_process_wide_ceiling_across_fingerprints() -> None:
    """Many different errors at once: at most max_per_second events pass in a second."""
    sink = MemorySink()
    configure(sink=sink, rate_limit=RateLimit(max_per_second=5))
    for n in range(20):
        capture_error(type(f"Error{n}", (Exception,), {})("boom"))
    assert len(sink) == 5


def test_an_error_already_reported_is_not_counted() -> None:
    """Capturing one exception again returns its first id, rate limit or not."""
    configure(sink=MemorySink(), rate_limit=RateLimit(burst=1))
    exc = RuntimeError("once")
    first = capture_error(exc)
    assert [capture_error(exc) for _ in range(20)] == [first] * 20


def test_rate_limit_none_lets_every_event_pass() -> None:
    """configure(rate_limit=None) turns rate limiting off."""
    sink = MemorySink()
    configure(sink=sink, rate_limit=None)

    @auto_capture_errors
    def call_model() -> None:
        raise RuntimeError("provider down")

    fail_many(call_model, 100)
    assert len(sink) == 100


def test_captured_errors_fixture_turns_the_limit_off(captured_errors: MemorySink) -> None:
    """The pytest fixture sees every event of its test."""

    @auto_capture_errors
    def call_model() -> None:
        raise RuntimeError("provider down")

    fail_many(call_model, 30)
    assert (len(captured_errors), get_config().rate_limit) == (30, None)


def test_limit_holds_across_threads() -> None:
    """8 threads failing one line 500 times each make exactly burst events."""
    sink = MemorySink()
    configure(sink=sink, rate_limit=RateLimit(burst=50, max_per_second=10_000))

    @auto_capture_errors
    def call_model() -> None:
        raise RuntimeError("provider down")

    threads = [threading.Thread(target=fail_many, args=(call_model, 500)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(sink) == 50


def test_fingerprints_remembered_are_bounded() -> None:
    """The least recently seen fingerprint is forgotten past max_fingerprints."""
    limiter = Limiter(RateLimit(burst=1, max_fingerprints=3, max_per_second=1000))
    assert [limiter.admit(n) for n in range(10)] == [0] * 10
    assert len(limiter) == 3
    assert limiter.admit(9) is None  # still remembered: limited
    assert limiter.admit(0) == 0  # forgotten: starts afresh


def test_the_count_survives_windows_without_events() -> None:
    """Suppressed events are counted until one passes, however long that takes."""
    now = [0.0]
    limiter = Limiter(RateLimit(burst=1, per_seconds=10.0), clock=lambda: now[0])
    assert [limiter.admit("k") for _ in range(4)] == [0, None, None, None]
    now[0] = 100.0
    assert [limiter.admit("k"), limiter.admit("k")] == [3, None]


@pytest.mark.parametrize(
    ("kwargs", "error", "says"),
    [
        ({"burst": 0}, ValueError, "burst=...) must be at least 1"),
        ({"burst": 1.5}, TypeError, "burst=...) takes an int"),
        ({"burst": True}, TypeError, "burst=...) takes an int"),
        ({"per_seconds": 0}, ValueError, "per_seconds=...) must be more than 0"),
        ({"per_seconds": float("inf")}, ValueError, "must be more than 0"),
        ({"per_seconds": "60"}, TypeError, "takes a number of seconds"),
        ({"max_per_second": 0}, ValueError, "max_per_second=...) must be at least 1"),
        ({"max_fingerprints": None}, TypeError, "max_fingerprints=...) takes an int"),
    ],
)
def test_rate_limit_is_validated(
    kwargs: dict[str, Any], error: type[Exception], says: str
) -> None:
    """RateLimit refuses settings that cannot mean anything, naming the field."""
    with pytest.raises(error, match=re.escape(says)):
        RateLimit(**kwargs)


def test_configure_rate_limit_takes_a_rate_limit() -> None:
    """configure(rate_limit="x") is a TypeError naming what is allowed."""
    with pytest.raises(TypeError, match=r"takes an autocapture.RateLimit.*or None"):
        configure(rate_limit="x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="RateLimit"):
        configure(rate_limit={"burst": 5})  # type: ignore[arg-type]
    assert get_config().rate_limit == autocapture.RateLimit()
