"""Decorator events carry the whole call stack: the callers above the decorated function too."""

from __future__ import annotations

import asyncio
import io
import logging
import sys
import traceback

import pytest
import sentry_sdk
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from autocapture import auto_capture_errors, configure
from autocapture.sinks import LoggingSink, MemorySink, OpenTelemetrySink, SentrySink

from .conftest import RecordingTransport


@auto_capture_errors(context_type="database", operation="select")
def fetch_user(user_id: int) -> None:
    raise LookupError(f"no user {user_id}")


def load_profile(user_id: int) -> None:
    fetch_user(user_id)


def profile_route(user_id: int) -> None:
    load_profile(user_id)


def _fail_through_the_route() -> None:
    with pytest.raises(LookupError):
        profile_route(7)


def test_the_event_holds_the_callers_outermost_first_as_data() -> None:
    """``CapturedError.callers`` names the route and the service above the failing function."""
    sink = MemorySink()
    configure(sink=sink)
    _fail_through_the_route()
    [event] = sink.events
    names = [frame.function for frame in event.callers]
    assert names[-3:] == ["_fail_through_the_route", "profile_route", "load_profile"]
    assert [f.module for f in event.callers[-3:]] == [__name__] * 3
    assert event.callers[-1].filename == __file__
    assert all(isinstance(frame, tuple) for frame in event.callers)  # data, no live frame
    assert not any("autocapture" in str(f.module) for f in event.callers)


def test_sentry_frames_go_from_the_callers_down_to_the_raise_in_app_marked(
    sentry_transport: RecordingTransport,
) -> None:
    """Sentry's stack trace shows the route and service above the failing function."""
    configure(sink=SentrySink())
    _fail_through_the_route()
    sentry_sdk.flush()
    [event] = sentry_transport.events
    frames = event["exception"]["values"][-1]["stacktrace"]["frames"]
    names = [f["function"] for f in frames]
    assert names[-4:] == ["_fail_through_the_route", "profile_route", "load_profile", "fetch_user"]
    ours = [f for f in frames if f["module"] == __name__]
    assert all(f["in_app"] is True for f in ours)
    route = frames[names.index("profile_route")]
    assert route["context_line"].strip() == "load_profile(user_id)"
    assert route["abs_path"] == __file__
    assert "vars" not in route  # a caller's locals are not kept
    assert frames[-1]["vars"] == {"user_id": 7}


def test_the_logged_traceback_shows_the_callers_above_the_failure() -> None:
    """LoggingSink's traceback text reads like traceback.print_exc had nobody caught it."""
    stream = io.StringIO()
    logger = logging.getLogger("tests.callers")
    logger.handlers[:] = [logging.StreamHandler(stream)]
    logger.propagate = False
    configure(sink=LoggingSink(logger))
    _fail_through_the_route()
    text = stream.getvalue()
    order = [
        text.index(f"in {name}\n") for name in ("profile_route", "load_profile", "fetch_user")
    ]
    assert order == sorted(order)
    assert "    load_profile(user_id)\n" in text
    assert "_decorator.py" not in text  # our wrapper is not part of anyone's stack
    assert text.rstrip().endswith("LookupError: no user 7")


def test_exc_info_formatted_by_hand_shows_the_same_stack() -> None:
    """The record's exc_info (for formatters that format it themselves) has the callers too."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("tests.callers_exc_info")
    logger.handlers[:] = [Keep()]
    logger.propagate = False
    configure(sink=LoggingSink(logger))
    _fail_through_the_route()
    [record] = records
    assert record.exc_info is not None
    names = [frame.f_code.co_name for frame, _ in traceback.walk_tb(record.exc_info[2])]
    assert names[-4:] == ["_fail_through_the_route", "profile_route", "load_profile", "fetch_user"]


def test_the_span_stacktrace_shows_the_callers() -> None:
    """OpenTelemetrySink's exception.stacktrace has the route and service above the failure."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    configure(sink=OpenTelemetrySink(tracer_provider=provider))
    _fail_through_the_route()
    [span] = exporter.get_finished_spans()
    [exception] = [e for e in span.events if e.name == "exception"]
    text = str(exception.attributes["exception.stacktrace"])  # type: ignore[index]
    order = [
        text.index(f"in {name}\n") for name in ("profile_route", "load_profile", "fetch_user")
    ]
    assert order == sorted(order)


def test_async_callers_are_the_awaiting_coroutines() -> None:
    """A decorated coroutine's callers are the coroutines that awaited it."""
    sink = MemorySink()
    configure(sink=sink)

    @auto_capture_errors
    async def query() -> None:
        raise ConnectionError("db down")

    async def service() -> None:
        await query()

    async def handler() -> None:
        with pytest.raises(ConnectionError):
            await service()

    asyncio.run(handler())
    [event] = sink.events
    assert [f.function for f in event.callers][-2:] == ["handler", "service"]


def test_callers_are_bounded() -> None:
    """A deep recursion keeps the innermost callers only, so the event stays bounded."""
    sink = MemorySink()
    configure(sink=sink)

    @auto_capture_errors
    def leaf() -> None:
        raise ValueError("deep")

    def down(n: int) -> None:
        if n:
            down(n - 1)
        else:
            leaf()

    limit = sys.getrecursionlimit()
    with pytest.raises(ValueError, match="deep"):
        down(min(400, limit - 100))
    [event] = sink.events
    assert len(event.callers) == 128
    assert event.callers[-1].function == "down"


def test_explicit_captures_have_no_callers() -> None:
    """capture_error is given an exception, not a place in a stack: no callers are invented."""
    from autocapture import capture_error

    sink = MemorySink()
    configure(sink=sink)
    capture_error(RuntimeError("by hand"))
    assert sink.events[0].callers == ()
