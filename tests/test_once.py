"""An error is reported once: nested decorators, explicit captures and cause chains."""

from __future__ import annotations

import asyncio
import gc
import sys

import pytest

from autocapture import auto_capture_errors, capture_error, capture_provider_error
from autocapture.sinks import MemorySink


@auto_capture_errors
def inner() -> None:
    raise ConnectionError("provider down")


@auto_capture_errors
def middle() -> None:
    inner()


@auto_capture_errors
def outer() -> None:
    middle()


def test_nested_decorated_calls_make_one_event(captured_errors: MemorySink) -> None:
    """The innermost decorated function reports; the outer ones see it was reported."""
    with pytest.raises(ConnectionError):
        outer()
    [event] = captured_errors.events
    assert event.function.endswith(".inner")


def test_explicit_capture_of_a_captured_error_returns_the_first_id(
    captured_errors: MemorySink,
) -> None:
    """capture_* of an already captured error emits nothing and returns the first event's id."""
    try:
        inner()
    except ConnectionError as exc:
        again = capture_error(exc)
        typed = capture_provider_error(exc, provider="openrouter")
    [event] = captured_errors.events
    assert again == event.event_id
    assert typed == event.event_id


def test_error_raised_from_a_captured_one_is_the_same_report(
    captured_errors: MemorySink,
) -> None:
    """An exception raised ``from`` a captured one (its __cause__ chain) emits nothing."""

    @auto_capture_errors
    def route() -> None:
        try:
            inner()
        except ConnectionError as exc:
            raise RuntimeError("503 provider unavailable") from exc

    with pytest.raises(RuntimeError) as info:
        route()
    [event] = captured_errors.events
    assert isinstance(event.exception, ConnectionError)
    assert capture_error(info.value) == event.event_id
    assert len(captured_errors.events) == 1


def test_implicit_context_is_a_new_error(captured_errors: MemorySink) -> None:
    """An error raised while handling another, without ``from``, is a distinct report."""

    @auto_capture_errors
    def route() -> None:
        try:
            inner()
        except ConnectionError:
            raise RuntimeError("handler bug")  # noqa: B904 - the lost chain is the point

    with pytest.raises(RuntimeError):
        route()
    assert [type(e.exception) for e in captured_errors.events] == [ConnectionError, RuntimeError]


def test_explicit_first_then_decorator(captured_errors: MemorySink) -> None:
    """An error captured explicitly inside a decorated function is not reported again."""

    @auto_capture_errors
    def service() -> None:
        try:
            raise TimeoutError("slow")
        except TimeoutError as exc:
            capture_provider_error(exc, provider="openrouter", model="gpt-4")
            raise

    with pytest.raises(TimeoutError):
        service()
    [event] = captured_errors.events
    assert event.context_type == "provider"
    assert event.context["model"] == "gpt-4"


def test_bookkeeping_keeps_no_exception_alive() -> None:
    """Capturing 100 000 distinct errors does not grow memory once the events are dropped."""
    sink = MemorySink()

    @auto_capture_errors(sink=sink, capture_args=False)
    def fail(n: int) -> None:
        raise ValueError("x")

    def burst(count: int) -> None:
        for n in range(count):
            try:
                fail(n)
            except ValueError:
                pass
        sink.clear()

    burst(2_000)  # warm caches
    gc.collect()
    # Allocated blocks, not tracemalloc: as exact for a leak, and 20 times cheaper.
    before = sys.getallocatedblocks()
    burst(100_000)
    gc.collect()
    after = sys.getallocatedblocks()
    # A leak of one exception (with its traceback and frame) per capture would be several
    # hundred thousand blocks; a few hundred is interpreter noise.
    assert after - before < 2_000


def test_bound_context_cache_is_forgotten_when_the_block_exits(
    captured_errors: MemorySink,
) -> None:
    """Scrubbed bound contexts are cached only while their bind_context block is open."""
    from autocapture import _context, bind_context

    @auto_capture_errors(reraise=False)
    def fail() -> None:
        raise RuntimeError("x")

    before = len(_context._scrubbed)
    for n in range(100):
        with bind_context(request_id=f"r-{n}", api_key="secret-value"):
            fail()
            fail()
    assert len(_context._scrubbed) == before
    assert [e.context["request_id"] for e in captured_errors.events][:4] == [
        "r-0",
        "r-0",
        "r-1",
        "r-1",
    ]
    assert {e.context["api_key"] for e in captured_errors.events} == {"[REDACTED]"}


def test_a_mutable_bound_value_shows_its_state_at_each_error(
    captured_errors: MemorySink,
) -> None:
    """A dict bound once and updated as the work goes is read anew for every event."""
    from autocapture import bind_context, capture_error

    state = {"step": "parse", "token": "hunter2XYZ"}
    with bind_context(state=state, job="import"):
        capture_error(ValueError("a"))
        state["step"] = "charge"
        capture_error(ValueError("b"))
    first, second = captured_errors.events
    assert first.context["state"] == {"step": "parse", "token": "[REDACTED]"}
    assert second.context["state"] == {"step": "charge", "token": "[REDACTED]"}
    assert second.context["job"] == "import"


@pytest.mark.skipif(sys.version_info < (3, 11), reason="asyncio.TaskGroup needs Python 3.11+")
async def test_a_task_group_of_captured_errors_is_not_reported_again(
    captured_errors: MemorySink,
) -> None:
    """TaskGroup wraps what its decorated tasks reported in an ExceptionGroup: no new event."""

    @auto_capture_errors
    async def fetch(n: int) -> None:
        raise ConnectionError(f"fetch {n} failed")

    async def run_group() -> None:
        async with asyncio.TaskGroup() as group:  # type: ignore[attr-defined]
            group.create_task(fetch(1))
            group.create_task(fetch(2))

    with pytest.raises(BaseException) as info:  # an ExceptionGroup, named so from 3.11
        await run_group()
    assert len(captured_errors.events) == 2
    first_id = captured_errors.events[0].event_id
    assert capture_error(info.value) in {first_id, captured_errors.events[1].event_id}
    assert len(captured_errors.events) == 2
    # A group with an error nobody reported is a new error.
    fresh = ExceptionGroup("mixed", [info.value.exceptions[0], ValueError("new")])  # type: ignore[name-defined]  # noqa: F821
    capture_error(fresh)
    assert len(captured_errors.events) == 3
