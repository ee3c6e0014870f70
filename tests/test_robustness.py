"""No failure inside autocapture outlives its call or replaces the user's exception."""

from __future__ import annotations

import concurrent.futures
import threading
from typing import Any

import pytest

from autocapture import ScrubOptions, auto_capture_errors, capture_error, configure
from autocapture._event import CapturedError
from autocapture.sinks import MemorySink, MultiSink


@auto_capture_errors
def runaway(depth: int) -> int:
    """Recurse until Python stops it."""
    return runaway(depth + 1) + 1


def test_a_runaway_recursion_leaves_capture_working_and_the_callers_error_intact() -> None:
    """After a RecursionError, the caller holds its own error and later failures are reported."""
    sink = MemorySink()
    configure(sink=sink)
    with pytest.raises(RecursionError) as raised:
        runaway(0)
    # The caller's error is the one Python raised in runaway, not one raised in autocapture.
    assert raised.value.__context__ is None
    assert {"wrapper", "runaway"} >= {entry.name for entry in raised.traceback[1:]}
    sink.clear()

    @auto_capture_errors
    def later(n: int) -> None:
        raise ValueError(f"later failure {n}")

    for n in range(3):
        with pytest.raises(ValueError, match=f"later failure {n}"):
            later(n)
    assert [e.message for e in sink.events] == [
        "later failure 0",
        "later failure 1",
        "later failure 2",
    ]


def test_a_runaway_recursion_in_another_thread_leaves_its_thread_working() -> None:
    """The same in a worker thread: capture is not switched off there either."""
    sink = MemorySink()
    configure(sink=sink)

    def work() -> list[str]:
        with pytest.raises(RecursionError):
            runaway(0)
        sink.clear()
        for n in range(3):
            capture_error(ValueError(f"after {n}"))
        return [e.message for e in sink.events]

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        assert pool.submit(work).result() == ["after 0", "after 1", "after 2"]


class Stop(BaseException):
    """A custom BaseException, as some frameworks use to unwind."""


class RaisingSink:
    """A sink that raises what it is given."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def emit(self, event: CapturedError) -> None:
        raise self.error


BASE_EXCEPTIONS = [SystemExit(2), GeneratorExit(), Stop()]


@pytest.mark.parametrize("error", BASE_EXCEPTIONS, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("multi", [False, True], ids=["sink", "MultiSink"])
def test_a_sink_raising_a_base_exception_does_not_replace_the_users_error(
    error: BaseException, multi: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """SystemExit, GeneratorExit or a custom BaseException from a sink is reported, not raised."""
    memory = MemorySink()
    raising: Any = RaisingSink(error)
    configure(sink=MultiSink(raising, memory) if multi else raising)

    @auto_capture_errors
    def work() -> None:
        raise ValueError("the user's error")

    with pytest.raises(ValueError, match="the user's error"):
        work()
    assert capture_error(KeyError("explicit")) is not None
    assert (2 if multi else 0) == len(memory)
    assert any("RaisingSink.emit" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("error", BASE_EXCEPTIONS, ids=lambda e: type(e).__name__)
def test_a_scrub_callback_raising_a_base_exception_does_not_replace_the_users_error(
    error: BaseException,
) -> None:
    """A scrub callback raising a BaseException costs the event at most, never the error."""
    sink = MemorySink()

    def callback(match: Any) -> Any:
        raise error

    configure(sink=sink, scrub=ScrubOptions(callback=callback))

    @auto_capture_errors
    def login(password: str) -> None:
        raise ValueError("login failed")

    with pytest.raises(ValueError, match="login failed"):
        login("hunter2-secret")
    configure(scrub=ScrubOptions())
    with pytest.raises(ValueError, match="login failed"):
        login("hunter2-secret")
    assert sink.events != []  # capture still works once the callback is gone


def test_keyboard_interrupt_from_a_sink_propagates() -> None:
    """Ctrl-C in a sink still stops the program."""
    configure(sink=RaisingSink(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        capture_error(ValueError("x"))


def test_threads_capturing_one_exception_at_once_make_one_event() -> None:
    """8 threads capturing one exception object at the same moment emit exactly one event."""
    sink = MemorySink()
    # Every trial fails on the same line: the storm limit would let ten through.
    configure(sink=sink, rate_limit=None)
    threads = 8
    for trial in range(60):
        error = ValueError(f"shared failure {trial}")
        barrier = threading.Barrier(threads)
        ids: list[str | None] = []

        def capture(
            shared: BaseException = error,
            start: threading.Barrier = barrier,
            ids: list[str | None] = ids,
        ) -> None:
            start.wait()
            ids.append(capture_error(shared, context={"payload": "x" * 2000}))

        workers = [threading.Thread(target=capture) for _ in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        assert len([e for e in sink.events if e.exception is error]) == 1, f"trial {trial}"
        assert len(set(ids)) == 1, f"trial {trial}"


def test_threads_waiting_on_one_failed_future_make_one_event() -> None:
    """Threads that each get the same error from Future.result() and capture it: one event."""
    sink = MemorySink()
    configure(sink=sink, rate_limit=None)  # thirty trials of one line: no storm limit
    for _ in range(30):
        future: concurrent.futures.Future[None] = concurrent.futures.Future()
        barrier = threading.Barrier(8)

        def wait(
            f: concurrent.futures.Future[None] = future, b: threading.Barrier = barrier
        ) -> None:
            b.wait()
            try:
                f.result()
            except OSError as exc:
                capture_error(exc, context={"payload": "y" * 2000})

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            done = [pool.submit(wait) for _ in range(8)]
            future.set_exception(OSError("upstream down"))
            for d in done:
                d.result()
    assert len(sink) == 30
