"""The decorator on coroutine functions (twin of test_sync.py)."""

from __future__ import annotations

import asyncio
import functools
import inspect
import traceback
from typing import Any

import pytest
from starlette.exceptions import HTTPException

from autocapture import auto_capture_errors, configure, use_sink
from autocapture.sinks import MemorySink


class HTTPError(HTTPException):
    """A route's own Starlette/FastAPI HTTPException: an answer below 500, a bug from 500."""

    def __init__(self, status_code: int) -> None:
        super().__init__(status_code, detail=f"HTTP {status_code}")


@auto_capture_errors
async def get_user(user_id: int, password: str = "") -> dict[str, int]:
    """Fetch a user."""
    await asyncio.sleep(0)
    if user_id < 0:
        raise ValueError(f"no user {user_id}")
    return {"id": user_id}


async def test_success_returns_the_value_and_captures_nothing(
    captured_errors: MemorySink,
) -> None:
    """A call that succeeds returns its value untouched and emits no event."""
    assert await get_user(7) == {"id": 7}
    assert captured_errors.events == []


async def test_failure_is_reraised_as_the_same_object_with_its_traceback(
    captured_errors: MemorySink,
) -> None:
    """The re-raised exception is the very object raised, traceback intact."""
    with pytest.raises(ValueError, match="no user -1") as info:
        await get_user(-1)
    [event] = captured_errors.events
    assert event.exception is info.value
    frames = [f.name for f in traceback.extract_tb(info.value.__traceback__)]
    assert frames[-1] == "get_user"


async def test_event_fields(captured_errors: MemorySink) -> None:
    """The event carries function, module, scrubbed arguments and the standard tags."""
    with pytest.raises(ValueError):
        await get_user(-1, password="hunter2-secret")
    [event] = captured_errors.events
    assert event.function == f"{__name__}.get_user"
    assert event.arguments == {"user_id": -1, "password": "[REDACTED]"}
    assert event.tags["function"] == event.function
    assert event.handled is False


def test_introspection_is_preserved() -> None:
    """Name, doc, signature and inspect answers are those of a coroutine function."""
    assert get_user.__name__ == "get_user"
    assert get_user.__doc__ == "Fetch a user."
    assert inspect.signature(get_user) == inspect.signature(get_user.__wrapped__)  # type: ignore[attr-defined]
    assert inspect.iscoroutinefunction(get_user)
    assert asyncio.iscoroutinefunction(get_user)
    assert not inspect.isasyncgenfunction(get_user)


async def test_reraise_false_returns_the_default(captured_errors: MemorySink) -> None:
    """With reraise=False the error is captured and the coroutine returns ``default``."""

    @auto_capture_errors(reraise=False, default=[])
    async def load() -> list[int]:
        raise RuntimeError("down")

    assert await load() == []
    assert len(captured_errors.events) == 1


async def test_ignored_types_propagate_uncaptured(captured_errors: MemorySink) -> None:
    """Exceptions matched by ``ignore`` are re-raised without capture."""

    @auto_capture_errors(ignore=KeyError, reraise=False)
    async def lookup() -> None:
        raise KeyError("k")

    with pytest.raises(KeyError):
        await lookup()
    assert captured_errors.events == []


async def test_http_4xx_is_not_captured_but_5xx_is(captured_errors: MemorySink) -> None:
    """A framework HTTPException below 500 is an answer, not captured; from 500 it is a bug."""

    @auto_capture_errors
    async def route(status: int) -> None:
        raise HTTPError(status)

    for status in (401, 404, 500):
        with pytest.raises(HTTPError):
            await route(status)
    assert [e.message for e in captured_errors.events] == ["500: HTTP 500"]


async def test_cancellation_is_never_captured(captured_errors: MemorySink) -> None:
    """asyncio.CancelledError propagates untouched."""

    @auto_capture_errors(reraise=False)
    async def slow() -> None:
        await asyncio.sleep(10)

    task = asyncio.ensure_future(slow())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert captured_errors.events == []


async def test_sink_resolution_order() -> None:
    """use_sink beats the configured sink; the configured sink beats the default."""
    local, configured = MemorySink(), MemorySink()
    configure(sink=configured)

    @auto_capture_errors
    async def f() -> None:
        raise RuntimeError("x")

    with use_sink(local), pytest.raises(RuntimeError):
        await f()
    with pytest.raises(RuntimeError):
        await f()
    assert (len(local), len(configured)) == (1, 1)


async def test_use_sink_is_isolated_between_tasks() -> None:
    """Concurrent tasks each send to their own context-local sink."""
    configure(rate_limit=None)  # 50 failures of one line: about isolation, not storms

    @auto_capture_errors
    async def fail(n: int) -> None:
        await asyncio.sleep(0)
        raise RuntimeError(str(n))

    async def run(n: int, sink: MemorySink) -> None:
        with use_sink(sink):
            for _ in range(5):
                await asyncio.sleep(0)
                with pytest.raises(RuntimeError):
                    await fail(n)

    sinks = [MemorySink() for _ in range(10)]
    await asyncio.gather(*(run(n, s) for n, s in enumerate(sinks)))
    for n, sink in enumerate(sinks):
        assert [e.message for e in sink.events] == [str(n)] * 5


async def call_model(provider: str, model: str) -> str:
    await asyncio.sleep(0)
    raise RuntimeError(f"{provider} is down for {model}")


def stream_rows(table: str, limit: int) -> Any:
    yield from range(limit)
    raise LookupError(f"{table} went away")


def sync_decorator(func: Any) -> Any:
    """A decorator made with functools.wraps that returns what the function returns."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return wrapper


async def test_a_partial_of_a_coroutine_function_is_awaited_under_capture(
    captured_errors: MemorySink,
) -> None:
    """functools.partial keeps the kind of the function it calls, and its name."""
    decorated = auto_capture_errors(functools.partial(call_model, "openrouter"))
    assert inspect.iscoroutinefunction(decorated)
    with pytest.raises(RuntimeError, match="openrouter is down for gpt-4"):
        await decorated("gpt-4")
    [event] = captured_errors.events
    assert event.function == f"{__name__}.call_model"
    assert event.arguments == {"model": "gpt-4"}


def test_a_partial_of_a_generator_function_is_iterated_under_capture(
    captured_errors: MemorySink,
) -> None:
    """A generator behind a partial is captured when it fails between yields."""
    decorated = auto_capture_errors(functools.partial(stream_rows, "orders"))
    assert inspect.isgeneratorfunction(decorated)
    rows = decorated(2)
    assert [next(rows), next(rows)] == [0, 1]
    with pytest.raises(LookupError):
        next(rows)
    [event] = captured_errors.events
    assert (event.function, event.arguments) == (f"{__name__}.stream_rows", {"limit": 2})


async def test_a_sync_wrapper_over_a_coroutine_function_is_captured_when_awaited(
    captured_errors: MemorySink,
) -> None:
    """Under a functools.wraps sync decorator, the error is captured when it happens."""
    decorated = auto_capture_errors(sync_decorator(call_model))
    assert not inspect.iscoroutinefunction(decorated)  # as the function it decorates
    pending = decorated("openrouter", "gpt-4")
    assert captured_errors.events == []
    with pytest.raises(RuntimeError) as info:
        await pending
    [event] = captured_errors.events
    assert event.exception is info.value
    assert event.arguments == {"provider": "openrouter", "model": "gpt-4"}
    rows = auto_capture_errors(sync_decorator(stream_rows))("orders", 1)
    assert next(rows) == 0
    with pytest.raises(LookupError):
        next(rows)
    assert len(captured_errors.events) == 2


def test_a_sync_wrapper_over_a_sync_function_stays_a_plain_call(
    captured_errors: MemorySink,
) -> None:
    """Only wrappers over coroutine or generator functions check what they return."""

    def total(a: int, b: int) -> int:
        return a + b

    decorated = auto_capture_errors(sync_decorator(total))
    assert decorated(1, 2) == 3
    assert inspect.unwrap(decorated) is total
    assert captured_errors.events == []


async def test_a_sync_wrapper_over_an_async_generator_function_is_captured(
    captured_errors: MemorySink,
) -> None:
    """Under a functools.wraps sync decorator, an async generator's failure is captured."""

    async def rows(limit: int) -> Any:
        for n in range(limit):
            yield n
        raise LookupError("rows went away")

    decorated = auto_capture_errors(sync_decorator(rows))
    seen = []
    with pytest.raises(LookupError):
        async for n in decorated(2):
            seen.append(n)
    assert seen == [0, 1]
    [event] = captured_errors.events
    assert event.arguments == {"limit": 2}
    failing = auto_capture_errors(reraise=False, default=-1)(sync_decorator(call_model))
    assert await failing("openrouter", "gpt-4") == -1
