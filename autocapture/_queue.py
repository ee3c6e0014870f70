"""The background queue: bounded, drained by one daemon worker, flushed at exit.

``_delivery`` puts events here when they are delivered in the background; the sinks
that flush (``SentrySink``, ``MultiSink``) wait for it first, so that what is queued
reaches them before they flush their own transport. Each item is a function to run in
a copied context with its arguments; when the queue is full an item is dropped and
counted. The worker is started at the first item; the queue is drained at interpreter
exit (before sentry-sdk's own exit hook flushes its transport) and by ``flush``.
"""

from __future__ import annotations

import atexit
import collections
import os
import threading
from typing import Any

from autocapture._log import report_failure

__all__ = ["QUEUE_SIZE", "DeliveryQueueFullError", "closed", "dropped", "flush", "put", "reset"]

QUEUE_SIZE = 1000
"""Events waiting for the worker at most; each holds its exception and traceback."""
_EXIT_TIMEOUT = 2.0  # seconds given to the queue at exit, like sentry-sdk's shutdown_timeout


class DeliveryQueueFullError(Exception):
    """The background queue was full: an event was dropped (reported, never raised)."""


def put(context: Any, function: Any, *args: Any) -> bool:
    """Queue ``function(*args)`` to run in ``context`` on the worker.

    Returns:
        False when the queue was full and the item was dropped (and reported).
    """
    return _queue.put((context, function, args))


def flush(timeout: float | None = None) -> bool:
    """Wait until every event queued for background delivery was handed to its sink.

    Args:
        timeout: Seconds to wait at most; ``None`` waits as long as it takes.

    Returns:
        True when the queue is empty, False when the timeout passed first.

    Raises:
        TypeError: ``timeout`` is not a number.
        ValueError: ``timeout`` is negative.
    """
    if timeout is not None:
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
            raise TypeError(
                f"flush(timeout=...) takes seconds or None, got {type(timeout).__name__} "
                f"{timeout!r}"
            )
        if timeout < 0:
            raise ValueError(f"flush(timeout=...) must not be negative, got {timeout!r}")
    return _queue.wait(timeout)


def closed() -> bool:
    """Whether the process is exiting, so that an item queued now would never be delivered.

    threading's exit hooks (the exit drain among them) run before atexit's handlers, and
    from then on the main thread counts as finished: a capture in an atexit handler, or
    in a thread still running after the main one ended, must be delivered on the caller.
    """
    return not threading.main_thread().is_alive()


def dropped() -> int:
    """Return how many events were dropped because the background queue was full."""
    return _queue.dropped


class _Queue:
    """A bounded queue with one daemon worker, started at the first event."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.dropped = 0
        self._items: collections.deque[tuple[Any, ...]] = collections.deque()
        self._lock = threading.Lock()
        self._ready = threading.Condition(self._lock)
        self._idle = threading.Condition(self._lock)
        self._unfinished = 0
        self._worker: threading.Thread | None = None

    def put(self, item: tuple[Any, ...]) -> bool:
        with self._lock:
            if self._unfinished >= self.size:
                self.dropped += 1
                full = True
            else:
                full = False
                self._items.append(item)
                self._unfinished += 1
                self._ready.notify()
            start = self._worker is None and not full
            if start:
                self._worker = threading.Thread(
                    target=self._run, name="autocapture-delivery", daemon=True
                )
        if full:
            report_failure(
                "background delivery",
                DeliveryQueueFullError(f"{self.size} events are waiting; this one was dropped"),
            )
            return False
        if start and self._worker is not None:
            _register_exit_flush()
            self._worker.start()
        return True

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._items:
                    self._ready.wait()
                context, function, args = self._items.popleft()
            try:
                context.run(function, *args)
            except Exception as err:  # a scope that would not enter: nothing else can fail
                report_failure("background delivery", err)
            finally:
                # Drop the references now: an event holds its exception and its frames.
                context = function = args = None
                with self._lock:
                    self._unfinished -= 1
                    if not self._unfinished:
                        self._idle.notify_all()

    def wait(self, timeout: float | None) -> bool:
        if threading.current_thread() is self._worker:
            return not self._unfinished  # a sink flushing from the worker cannot wait for itself
        with self._lock:
            return self._idle.wait_for(lambda: not self._unfinished, timeout)


_queue = _Queue(QUEUE_SIZE)
_exit_registered = False


def _register_exit_flush() -> None:
    global _exit_registered  # noqa: PLW0603 - one registration per process
    if _exit_registered:
        return
    _exit_registered = True
    # threading's exit hooks run before atexit's, so the queue is drained into the sinks
    # while sentry-sdk (whose own atexit hook flushes its transport) is still running.
    register = getattr(threading, "_register_atexit", None)
    try:
        if register is not None:
            register(_flush_at_exit)
            return
    except RuntimeError:  # already shutting down
        pass
    atexit.register(_flush_at_exit)


def _flush_at_exit() -> None:
    try:
        if not _queue.wait(_EXIT_TIMEOUT):
            report_failure(
                "background delivery at exit",
                DeliveryQueueFullError(f"events still queued after {_EXIT_TIMEOUT} s"),
            )
    except Exception as err:
        report_failure("background delivery at exit", err)


def _after_fork() -> None:
    # The worker thread does not exist in a child process, and the queued events are the
    # parent's to deliver.
    global _queue  # noqa: PLW0603
    _queue = _Queue(QUEUE_SIZE)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


def reset() -> None:
    """Forget the dropped count (for tests); the queue must be drained first."""
    _queue.wait(_EXIT_TIMEOUT)
    _queue.dropped = 0
