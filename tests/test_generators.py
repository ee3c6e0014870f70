"""The decorator on generator and async generator functions."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Iterator

import pytest

from autocapture import auto_capture_errors
from autocapture.sinks import MemorySink


@auto_capture_errors
def countdown(n: int) -> Iterator[int]:
    """Count down, then fail below zero."""
    while True:
        if n < 0:
            raise ValueError("below zero")
        yield n
        n -= 1


@auto_capture_errors
def echo() -> Iterator[str]:
    """Yield back what is sent; recover from LookupError thrown in."""
    received = "start"
    while True:
        try:
            received = yield received
        except LookupError:
            received = "recovered"


def test_generator_introspection() -> None:
    """A decorated generator function is still a generator function."""
    assert inspect.isgeneratorfunction(countdown)
    assert countdown.__name__ == "countdown"
    assert "n" in inspect.signature(countdown).parameters


def test_error_between_yields_is_captured(captured_errors: MemorySink) -> None:
    """An error raised after some yields is captured and re-raised."""
    gen = countdown(1)
    assert [next(gen), next(gen)] == [1, 0]
    with pytest.raises(ValueError, match="below zero"):
        next(gen)
    [event] = captured_errors.events
    assert event.arguments == {"n": 1}


def test_send_and_throw_behave_as_without_the_decorator(captured_errors: MemorySink) -> None:
    """send() and a handled throw() reach the generator; nothing is captured."""
    gen = echo()
    assert next(gen) == "start"
    assert gen.send("hello") == "hello"
    assert gen.throw(LookupError("x")) == "recovered"
    gen.close()
    assert captured_errors.events == []


def test_closing_early_is_not_an_error(captured_errors: MemorySink) -> None:
    """close() before exhaustion runs the generator's cleanup and captures nothing."""
    cleaned = []

    @auto_capture_errors
    def numbers() -> Iterator[int]:
        try:
            yield 1
            yield 2
        finally:
            cleaned.append(True)

    gen = numbers()
    assert next(gen) == 1
    gen.close()
    assert cleaned == [True]
    assert captured_errors.events == []


def test_return_value_is_forwarded() -> None:
    """The generator's return value reaches ``yield from`` callers."""

    @auto_capture_errors
    def inner() -> Iterator[int]:
        yield 1
        return 42

    def outer() -> Iterator[int]:
        result = yield from inner()
        yield result

    assert list(outer()) == [1, 42]


@auto_capture_errors
async def acountdown(n: int) -> AsyncIterator[int]:
    """Count down asynchronously, then fail below zero."""
    while True:
        if n < 0:
            raise ValueError("below zero")
        yield n
        n -= 1


@auto_capture_errors
async def aecho() -> AsyncIterator[str]:
    """Yield back what is sent; recover from LookupError thrown in."""
    received = "start"
    while True:
        try:
            received = yield received
        except LookupError:
            received = "recovered"


def test_async_generator_introspection() -> None:
    """A decorated async generator function is still an async generator function."""
    assert inspect.isasyncgenfunction(acountdown)
    assert not inspect.iscoroutinefunction(acountdown)
    assert acountdown.__name__ == "acountdown"


async def test_async_error_between_yields_is_captured(captured_errors: MemorySink) -> None:
    """An error raised after some yields of an async generator is captured and re-raised."""
    got = []
    with pytest.raises(ValueError, match="below zero"):
        async for n in acountdown(2):
            got.append(n)
    assert got == [2, 1, 0]
    [event] = captured_errors.events
    assert event.arguments == {"n": 2}


async def test_asend_and_athrow_behave_as_without_the_decorator(
    captured_errors: MemorySink,
) -> None:
    """asend() and a handled athrow() reach the async generator; nothing is captured."""
    agen = aecho()
    assert await agen.__anext__() == "start"
    assert await agen.asend("hello") == "hello"
    assert await agen.athrow(LookupError("x")) == "recovered"
    await agen.aclose()
    assert captured_errors.events == []


async def test_async_closing_early_is_not_an_error(captured_errors: MemorySink) -> None:
    """aclose() before exhaustion runs the cleanup and captures nothing."""
    cleaned = []

    @auto_capture_errors
    async def numbers() -> AsyncIterator[int]:
        try:
            yield 1
            yield 2
        finally:
            cleaned.append(True)

    agen = numbers()
    assert await agen.__anext__() == 1
    await agen.aclose()
    assert cleaned == [True]
    assert captured_errors.events == []


async def test_async_generator_reraise_false_stops_iteration(captured_errors: MemorySink) -> None:
    """With reraise=False a failing async generator just stops, after capture."""

    @auto_capture_errors(reraise=False)
    async def flaky() -> AsyncIterator[int]:
        yield 1
        raise RuntimeError("gone")

    assert [n async for n in flaky()] == [1]
    assert len(captured_errors.events) == 1


def test_generator_reraise_false_stops_with_default(captured_errors: MemorySink) -> None:
    """With reraise=False a failing generator stops and returns ``default``."""

    @auto_capture_errors(reraise=False, default="fallback")
    def flaky() -> Iterator[int]:
        yield 1
        raise RuntimeError("gone")

    def outer() -> Iterator[object]:
        result = yield from flaky()
        yield result

    assert list(outer()) == [1, "fallback"]
    assert len(captured_errors.events) == 1
