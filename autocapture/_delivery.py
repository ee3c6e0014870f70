"""Delivery: handing a built event to its sink, on the caller or from a background thread.

A sink can be slow (a network call, a handler writing to a full pipe) and ``SentrySink``
alone costs milliseconds of serialising; on an asyncio event loop's thread that time is
taken from every other request. So the configured delivery decides:

* ``"sync"``: the sink emits on the caller, before the error propagates on;
* ``"background"``: the event (built and scrubbed on the caller, its exception's frames
  copied there too: a snapshot) goes into a bounded queue (``_queue``) that one daemon
  worker thread drains; when the queue is full the event is dropped and counted. The
  queue is drained at interpreter exit, by ``autocapture.flush(timeout)``, and by
  ``SentrySink.flush`` and ``MultiSink.flush`` before they flush their own sinks;
* ``"auto"`` (the default): background on the thread of a running asyncio event loop,
  sync elsewhere (a blocked thread blocks only its own request, and a worker process that
  ends with ``os._exit`` or a kill, such as a Celery prefork child, has nothing pending).

What the sink reads from the caller travels with the event: the caller's contextvars (a
copy), and for Sentry a fork of its isolation and current scopes taken at capture time,
so tags, user and request data are the capturing call's. The exception is marked as sent
to Sentry on the caller, so an integration that sees it propagate meanwhile stays quiet.
A ``MemorySink`` never blocks: it always receives events on the caller.
"""

from __future__ import annotations

import contextvars
import sys
from typing import TYPE_CHECKING, Any

import sentry_sdk
from sentry_sdk.scope import use_isolation_scope, use_scope

from autocapture._config import get_config
from autocapture._log import report_failure
from autocapture._once import mark_sent_to_sentry
from autocapture._queue import (
    QUEUE_SIZE,
    DeliveryQueueFullError,
    closed,
    dropped,
    flush,
    put,
    reset,
)
from autocapture._sinks import MemorySink, MultiSink
from autocapture._stand_in import STAND_IN_MARK, stand_in_exc_info

if TYPE_CHECKING:
    from autocapture._event import CapturedError
    from autocapture._sinks import Sink

__all__ = ["QUEUE_SIZE", "DeliveryQueueFullError", "deliver", "dropped", "flush"]


def deliver(target: Sink, event: CapturedError, *, mode: str, to_sentry: bool) -> None:
    """Hand ``event`` to ``target`` as ``mode`` says; never raises.

    Args:
        target: The sink the event is meant for.
        event: The built event.
        mode: ``"auto"``, ``"sync"`` or ``"background"``.
        to_sentry: Whether ``target`` sends to Sentry.
    """
    if mode == "sync" or (mode == "auto" and not _on_event_loop()) or closed():
        emit_guarded(target, event)  # closed: the exit drain has run, nothing would drain
        return
    later: tuple[Sink, ...] = (target,)
    if type(target) is MultiSink:  # a user's subclass may emit otherwise: keep it whole
        now = tuple(s for s in target.sinks if isinstance(s, MemorySink))
        later = tuple(s for s in target.sinks if not isinstance(s, MemorySink))
        for sink in now:
            emit_guarded(sink, event)
    elif isinstance(target, MemorySink):
        later = ()
        emit_guarded(target, event)
    if not later:
        return
    scopes = _sentry_scopes() if to_sentry else None
    queued = _snapshot(event)
    if put(contextvars.copy_context(), _emit_later, later, queued, scopes) and scopes is not None:
        mark_sent_to_sentry(event.exception, event.event_id)


def _snapshot(event: CapturedError) -> CapturedError:
    """The event as the worker must see it: what it derives from the exception, copied now.

    By the time the worker emits, the failing frames are dead, their locals may have been
    cleared (``traceback.clear_frames``) or the objects they hold changed, and the
    exception may have lost its traceback. So the queued event carries a stand-in
    (``_stand_in``) of its exception, which the built-in sinks read (``at_capture``):
    named like the original, with its scrubbed message, notes and chain, and frames whose
    locals are scrubbed copies taken here, on the caller. ``exception`` stays the original
    object, so a custom sink's ``isinstance`` checks hold.
    """
    exc = event.exception
    try:
        stand_in = stand_in_exc_info(exc, get_config().scrubber)[1]
    except Exception as err:  # the worker reads the live exception, as on the caller
        report_failure("copying an error's frames for background delivery", err)
        return event
    # It is this event's own exception, not a log record's look-alike (see _sentry._once).
    stand_in.__dict__.pop(STAND_IN_MARK, None)
    queued: CapturedError = object.__new__(type(event))
    queued.__dict__.update(event.__dict__)
    queued.__dict__["_at_capture"] = stand_in
    return queued


def emit_guarded(sink: Sink, event: CapturedError) -> None:
    """Emit ``event`` to ``sink``, reporting (not raising) what fails."""
    try:
        sink.emit(event)
    except KeyboardInterrupt:
        raise
    except BaseException as err:  # a sink must not replace the user's error (SystemExit...)
        report_failure(f"sink {type(sink).__name__}.emit", err)


def _on_event_loop() -> bool:
    asyncio = sys.modules.get("asyncio")  # never imported: no loop can be running
    return asyncio is not None and asyncio._get_running_loop() is not None  # noqa: SLF001 - the cheap, non-raising probe


def _sentry_scopes() -> tuple[Any, Any] | None:
    try:
        if not sentry_sdk.get_client().is_active():
            return None
        return sentry_sdk.get_isolation_scope().fork(), sentry_sdk.get_current_scope().fork()
    except Exception as err:
        report_failure("copying the Sentry scopes", err)
        return None


def _emit_later(sinks: tuple[Sink, ...], event: CapturedError, scopes: Any) -> None:
    if scopes is None:
        for sink in sinks:
            emit_guarded(sink, event)
        return
    isolation, current = scopes
    with use_isolation_scope(isolation), use_scope(current):
        for sink in sinks:
            emit_guarded(sink, event)


def _reset() -> None:
    """Forget the dropped count (for tests); the queue must be drained first."""
    reset()
