"""Sinks: where events go. Memory (tests), logging, Sentry, and a fan-out.

A sink is any object with ``emit(event)``; ``flush(timeout)`` and ``close()`` are optional.
The capture core guards every call, so a sink may raise without hurting the caller.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from autocapture import _sentry
from autocapture._checks import check_sink
from autocapture._config import get_config
from autocapture._event import Sink, at_capture
from autocapture._log import report_failure
from autocapture._queue import flush as drain_queue
from autocapture._stack import format_stack
from autocapture._stand_in import stand_in_exc_info

if TYPE_CHECKING:
    from autocapture._event import CapturedError

__all__ = ["LoggingSink", "MemorySink", "MultiSink", "SentrySink", "Sink"]


class MemorySink:
    """Keep events in a list; the sink for tests (thread-safe)."""

    def __init__(self) -> None:
        """Start with no events."""
        self._lock = threading.Lock()
        self._events: list[CapturedError] = []

    def emit(self, event: CapturedError) -> None:
        """Append ``event`` to ``events``."""
        # acquire/release, not ``with``: on the error path, half the cost of the lock.
        lock = self._lock
        lock.acquire()
        try:
            self._events.append(event)
        finally:
            lock.release()

    @property
    def events(self) -> list[CapturedError]:
        """The events received so far, oldest first (a snapshot)."""
        with self._lock:
            return list(self._events)

    def clear(self) -> None:
        """Forget every event received so far."""
        with self._lock:
            self._events.clear()

    def __len__(self) -> int:
        """Return how many events were received."""
        with self._lock:
            return len(self._events)

    def __repr__(self) -> str:
        """Say how many events it holds, never what they say."""
        return f"<MemorySink events={len(self)}>"


_LEVELS = {"fatal": logging.CRITICAL, "warning": logging.WARNING, "info": logging.INFO}


class LoggingSink:
    """Write one log record per event, with ``exc_info`` and the event's fields in ``extra``.

    The record's traceback text (``exc_text``) is pre-rendered and scrubbed, source lines
    included, with the callers of a decorated function on top (the whole stack). Nothing
    raw is reachable from the record: ``exc_info`` holds the exception's type, a stand-in
    for the exception and a traceback of stand-in frames (``_stand_in``). The stand-in
    prints as the exception's qualified type name with the scrubbed message, and so do
    its causes and contexts; its frames have the original files, lines and functions, the
    same callers on top, and scrubbed locals. So a formatter that formats ``exc_info``
    itself (JSON formatters, structlog's ``dict_tracebacks`` with locals) prints nothing
    secret either; formatted that way, the source lines come from the files, unscrubbed.
    """

    def __init__(
        self, logger: logging.Logger | str = "autocapture", level: int = logging.ERROR
    ) -> None:
        """Log to ``logger`` (a ``Logger`` or a logger name).

        Args:
            logger: Where the records go.
            level: The record level for ``"error"`` events; ``"fatal"``, ``"warning"`` and
                ``"info"`` events use CRITICAL, WARNING and INFO.

        Raises:
            TypeError: ``logger`` is neither a ``Logger`` nor a str, or ``level`` no int.
        """
        if isinstance(logger, str):
            logger = logging.getLogger(logger)
        if not isinstance(logger, logging.Logger):
            raise TypeError(
                f"LoggingSink(logger=...) takes a logging.Logger or a logger name, got "
                f"{type(logger).__name__} {logger!r}"
            )
        if isinstance(level, bool) or not isinstance(level, int):
            raise TypeError(
                f"LoggingSink(level=...) takes a logging level such as logging.ERROR, got "
                f"{type(level).__name__} {level!r}"
            )
        self.logger = logger
        self.level = level

    def emit(self, event: CapturedError) -> None:
        """Log ``event`` as one record."""
        level = _LEVELS.get(event.level, self.level)
        if not self.logger.isEnabledFor(level):
            return
        exc = at_capture(event)  # the frames as they were, also when delivered later
        scrubber = get_config().scrubber
        record = self.logger.makeRecord(
            self.logger.name,
            level,
            "(autocapture)",
            0,
            "%s failed (%s%s): %s: %s [event %s]",
            (
                event.function,
                event.context_type,
                f", {event.operation}" if event.operation else "",
                type(exc).__name__,
                event.message,
                event.event_id,
            ),
            stand_in_exc_info(exc, scrubber, event.callers),
            func=event.function,
            extra={
                "autocapture_event_id": event.event_id,
                "autocapture_context_type": event.context_type,
                "autocapture_operation": event.operation,
                "autocapture_function": event.function,
                "autocapture_module": event.module,
                "autocapture_arguments": dict(event.arguments),
                "autocapture_context": dict(event.context),
                "autocapture_tags": dict(event.tags),
                "autocapture_level": event.level,
                "autocapture_user": dict(event.user),
            },
        )
        record.exc_text = scrubber.scrub_text(format_stack(exc, event.callers))
        self.logger.handle(record)

    def __repr__(self) -> str:
        """Name the logger."""
        return f"<LoggingSink logger={self.logger.name!r}>"


class MultiSink:
    """Send every event to several sinks; one failing sink does not stop the others."""

    def __init__(self, *sinks: Sink) -> None:
        """Fan out to ``sinks``, in order.

        Raises:
            TypeError: One of ``sinks`` has no ``emit`` method.
        """
        self.sinks: tuple[Sink, ...] = tuple(
            check_sink(f"MultiSink argument {i}", s, allow_none=False) for i, s in enumerate(sinks)
        )

    def emit(self, event: CapturedError) -> None:
        """Emit ``event`` to each sink, reporting (not raising) each failure.

        Only ``KeyboardInterrupt`` goes through; a ``SystemExit`` or other
        ``BaseException`` from a sink is reported like any failure of it.
        """
        for sink in self.sinks:
            try:
                sink.emit(event)
            except KeyboardInterrupt:
                raise
            except BaseException as exc:  # a sink must not replace the user's error
                report_failure(f"sink {type(sink).__name__}.emit", exc)

    def flush(self, timeout: float | None = None) -> None:
        """Flush every sink that can be flushed, once background delivery has reached them."""
        drain_queue(timeout)
        for sink in self.sinks:
            flush = getattr(sink, "flush", None)
            if callable(flush):
                try:
                    flush(timeout)
                except KeyboardInterrupt:
                    raise
                except BaseException as exc:  # as in emit
                    report_failure(f"sink {type(sink).__name__}.flush", exc)

    def close(self) -> None:
        """Close every sink that can be closed."""
        for sink in self.sinks:
            close = getattr(sink, "close", None)
            if callable(close):
                try:
                    close()
                except KeyboardInterrupt:
                    raise
                except BaseException as exc:  # as in emit
                    report_failure(f"sink {type(sink).__name__}.close", exc)

    def __repr__(self) -> str:
        """List the sinks."""
        return f"MultiSink({', '.join(map(repr, self.sinks))})"


class SentrySink:
    """Report through the real ``sentry-sdk``, using the client active at emit time.

    Each event is captured with a scope of its own, merged on top of the current scopes
    for that one event: the global, isolation and current scopes are never changed. The
    Sentry event id is ``CapturedError.event_id``. Without an active client it does nothing.
    """

    def emit(self, event: CapturedError) -> None:
        """Send ``event`` to Sentry, unless Sentry already has this error.

        An error a Sentry integration reported first (``logger.exception``, the
        Starlette integration) is in Sentry already: the event still reaches every
        other sink, and this one sends nothing.
        """
        _sentry.send(event)

    def flush(self, timeout: float | None = None) -> None:
        """Wait until what is queued is sent: autocapture's background queue, then Sentry's.

        ``sentry_sdk.flush()`` alone waits only for Sentry's transport: an event still
        in autocapture's queue (background delivery) is not in Sentry's yet.
        """
        import sentry_sdk

        start = time.monotonic()
        drain_queue(timeout)
        if timeout is not None:
            timeout = max(0.0, timeout - (time.monotonic() - start))
        sentry_sdk.flush(timeout=timeout)

    def __repr__(self) -> str:
        """Say what it is."""
        return "SentrySink()"


def default_sink() -> Any:
    """Return the sink used when none is configured: Sentry when it can send, else logging.

    A client without a DSN (``sentry_sdk.init()`` with no arguments) sends nothing, so
    its events would be lost: they go to the log instead.
    """
    return _SENTRY if _sentry.can_send() else _LOGGING


_SENTRY = SentrySink()
_LOGGING = LoggingSink()
