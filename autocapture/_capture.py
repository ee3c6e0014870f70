"""The capture core shared by the decorator, the ``capture_*`` helpers and the middleware.

One synchronous function, ``emit_error``, in three stages (STYLE.md's "claim, build,
deliver"), none of which goes back to an earlier one:

1. **Claim** (``_claim``): decide whether this error is ours to report, atomically: not
   ignored, not already reported (itself or its ``__cause__`` chain), and marked as
   reported in the same step under a lock, so threads capturing one exception object at
   once make one event; a storm's repeats are counted there too (``_ratelimit``), before
   anything is built.
2. **Build**: the scrubbed, frozen ``CapturedError``.
3. **Deliver**: resolve the sink and hand it the event (``_delivery``: on the caller or
   in the background), with the delivery marked in a context variable that is reset in
   a ``finally``.

It never raises into the caller: a failure inside is reported on the ``autocapture``
logger, and a ``SystemExit`` or other ``BaseException`` from a sink or a scrub callback
is treated as a failure too. Only ``KeyboardInterrupt`` goes through, so Ctrl-C works.
No state outlives a call: an error at the recursion limit degrades (the event is built
if it can be, else nothing) and the next capture works as usual.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from autocapture import _sentry
from autocapture._build import build_fields, message_text, redact_known
from autocapture._config import LEVELS, current_sink, get_config, is_ignored
from autocapture._context import bound_tags, scrubbed_bound_context
from autocapture._delivery import deliver, emit_guarded
from autocapture._event import CapturedError, Sink
from autocapture._log import report_failure
from autocapture._once import event_ids, mark_captured, unmark_captured
from autocapture._pending import Snapshot, defer, inert
from autocapture._ratelimit import fingerprint, limiter_for
from autocapture._scrub import EventSecrets, Scrubber, secret_locals, tracking_secrets
from autocapture._sinks import MemorySink, MultiSink, SentrySink, default_sink
from autocapture._uuid import new_event_id

if TYPE_CHECKING:
    from autocapture._stack import StackFrame

__all__ = ["LEVELS", "add_tap", "emit_error", "redact_known", "remove_tap"]

# Extra sinks that see every event, wherever it goes (the pytest fixture). A tuple swapped
# whole, so the error path reads it without a lock.
_taps: tuple[Sink, ...] = ()

# Makes "is it reported? then mark it" one step. Held for a few attribute reads, only on
# the error path; one lock for the process, since a lock per exception would need a
# registry of exceptions, which cannot be weakly referenced.
_claim_lock = threading.Lock()

# Install Sentry's once-only processor as soon as autocapture is used, so that an error an
# integration reports first is not reported a second time to Sentry by a decorator.
_sentry.install()


def _claim(
    exc: BaseException, rate_limit: Any, function: str
) -> tuple[str | None, bool, int, bool]:
    """Claim ``exc`` for one event: ``(event id, True, suppressed count, sentry first)``.

    Not claimed: ``(first id, False, 0, False)`` for an error already reported, ``(None, False,
    0, False)`` for one the storm limit suppresses (counted, left unmarked, nothing built). The id
    of a new claim is that of the Sentry event a Sentry integration already sent for this
    error, if any: one error, one id, in every destination.
    """
    # acquire/release, not ``with``: the context manager protocol costs twice the lock.
    _claim_lock.acquire()
    try:
        first, sentry_first = event_ids(exc)
        if first is not None:
            mark_captured(exc, first)  # the wrapper of a reported cause: found faster next time
            return first, False, 0, False
        suppressed = _admit(rate_limit, exc, function)
        if suppressed is None:
            return None, False, 0, False
        event_id = sentry_first or new_event_id()
        mark_captured(exc, event_id)
    finally:
        _claim_lock.release()
    return event_id, True, suppressed, sentry_first is not None


def emit_error(  # noqa: C901, PLR0912 - one guarded sequence; splitting it would hide the guards
    exc: BaseException,
    *,
    context_type: str,
    operation: str | None,
    function: str,
    module: str,
    arguments: Mapping[str, Any],
    context: Mapping[str, Any],
    tags: Mapping[str, str],
    level: str,
    sink: Sink | None,
    handled: bool,
    safe_context: Mapping[str, Any] | None = None,
    arguments_scrubbed: bool = False,
    callers: tuple[StackFrame, ...] = (),
    prepare: Callable[
        [EventSecrets], tuple[Mapping[str, Any], Mapping[str, Any], tuple[StackFrame, ...]]
    ]
    | None = None,
    secrets: EventSecrets | None = None,
    snapshot: Callable[[], Snapshot | None] | None = None,
    ignore_checked: bool = False,
) -> str | None:
    """Build and deliver one event for ``exc``, unless it was already reported.

    Everything given here is raw: this function scrubs it. It never raises, except
    ``KeyboardInterrupt``.

    Args:
        exc: The exception to report.
        context_type: The context type of the failing code.
        operation: The operation that failed, when known.
        function: Qualified name of the failing function.
        module: Its module.
        arguments: The call's arguments (raw, unless ``arguments_scrubbed``).
        context: Type fields and explicit context (raw; the bound context is added here).
        safe_context: Context fields already scrubbed (picked from scrubbed arguments).
        arguments_scrubbed: True when the caller already scrubbed ``arguments``.
        callers: The frames above the one that caught ``exc``, as data (the decorator's).
        prepare: Called once the error is claimed (not for a rate-limited one) with the
            event's secrets: returns the arguments scrubbed with them, the safe context
            and the callers, replacing ``arguments``, ``safe_context`` and ``callers``.
        secrets: What the caller found secret while scrubbing ``arguments`` (event-wide
            redaction); a new set when None.
        snapshot: With ``prepare``: returns the raw arguments copied, the callers and the
            context fields' picker, or None; for a plain ``MemorySink`` the event is then
            scrubbed at its first read (``_pending``) instead of here.
        ignore_checked: True when the caller already applied ``configure(ignore=...)``.
        tags: Tags beyond the standard ones (raw).
        level: The event level.
        sink: A sink that wins over every configured one, or ``None``.
        handled: False when the error goes on propagating.

    Returns:
        The event id, the first event's id when ``exc`` (or its cause chain) was already
        reported, or ``None`` when nothing was emitted.
    """
    # -- claim ---------------------------------------------------------------------------
    try:
        config = get_config()
        if not config.enabled or _sentry.delivering.get() is not None:
            # Disabled; or a sink calls code that fails: capturing that would recurse.
            return None
        if not ignore_checked and is_ignored(exc, config):
            return None
        event_id, claimed, suppressed, sentry_first = _claim(exc, config.rate_limit, function)
        if not claimed or event_id is None:
            return event_id
    except KeyboardInterrupt:
        raise
    except BaseException as err:  # an ignore predicate raising SystemExit, say
        report_failure("claiming an error", err)
        return None
    # -- build ---------------------------------------------------------------------------
    try:
        scrubber = config.scrubber
        # Our own tags are names from code; only the caller's tags can carry user data.
        standard_tags = {"context_type": context_type, "function": function, "module": module}
        if operation:
            standard_tags["operation"] = operation
        target = _target(sink, config.sink)
        pending = None
        known = None  # a deferred event makes its own at the first read
        if snapshot is not None and type(target) is MemorySink and not _taps and inert(scrubber):
            pending = defer(
                exc, snapshot, scrubber, function, context_type, standard_tags, tags, suppressed
            )
        if pending is not None:
            fields: dict[str, Any] = {"_pending": pending}  # and timestamp, at the read
        else:
            known = EventSecrets() if secrets is None else secrets
            if prepare is not None:
                arguments, safe_context, callers = prepare(known)
                arguments_scrubbed = True
            fields = build_fields(
                scrubber,
                known,
                arguments=arguments,
                arguments_scrubbed=arguments_scrubbed,
                context=context,
                safe_context=safe_context,
                bound_context=lambda known: scrubbed_bound_context(scrubber, known, exc),
                suppressed=suppressed,
                standard_tags=standard_tags,
                tag_sources=(bound_tags(exc, context_type), tags),
                frame_locals=_secret_locals(scrubber, exc),
                message=message_text(exc),
            )
            fields["callers"] = callers
            fields["timestamp"] = datetime.now(timezone.utc)
        event = _new_event(
            {
                "event_id": event_id,
                "exception": exc,
                "context_type": context_type,
                "operation": operation,
                "function": function,
                "module": module,
                "level": level,
                "handled": handled,
            },
            fields,
        )
    except KeyboardInterrupt:
        unmark_captured(exc, event_id)
        raise
    except BaseException as err:  # a scrub callback raising SystemExit, say
        # Nothing was reported: give the claim back, so a later capture (higher up the
        # stack, at the recursion limit) can still report the error.
        unmark_captured(exc, event_id)
        report_failure("building an event", err)
        return None
    # -- deliver -------------------------------------------------------------------------
    try:
        _deliver(event, target, config.delivery, known, sentry_first=sentry_first)
    except KeyboardInterrupt:
        raise
    except BaseException as err:  # at the recursion limit, say
        report_failure("delivering an event", err)
    return event_id


def _secret_locals(scrubber: Scrubber, exc: BaseException) -> list[tuple[str, str]]:
    try:
        return secret_locals(scrubber, exc)
    except Exception as err:  # at the recursion limit, say: the event still goes
        report_failure("reading the failing frames' secret locals", err)
        return []


def _target(sink: Sink | None, configured: Sink | None) -> Sink | None:
    # ``is None`` chains, not ``or``: a sink may define __len__ (MemorySink) and be falsy.
    target = sink
    if target is None:
        target = current_sink()
    if target is None:
        target = configured
    if target is None and not _taps:
        target = default_sink()
    return target


def _deliver(
    event: CapturedError,
    target: Sink | None,
    mode: str,
    known: EventSecrets | None,
    *,
    sentry_first: bool,
) -> None:
    taps = _taps
    if type(target) is MemorySink and not taps:
        # It only appends the event: no code runs that could fail into a capture or
        # derive text from the live exception, so there is nothing to guard or track.
        emit_guarded(target, event)
        return
    sends = _sends_to_sentry(target)
    delivery = _sentry.Delivery(event.exception, sends, sentry_first)
    token = _sentry.delivering.set(delivery)
    try:
        # The exits redact the event's known secrets too (a deferred event goes only to a
        # MemorySink, above: it always has them here).
        with tracking_secrets(known if known is not None else EventSecrets()):
            if target is not None:
                deliver(target, event, mode=mode, to_sentry=sends)
            for each in taps:  # the test fixture's sink sees the event before the test goes on
                emit_guarded(each, event)
    finally:
        _sentry.delivering.reset(token)


def _admit(settings: Any, exc: BaseException, function: str) -> int | None:
    # Storms: a rate-limited error is counted here, before anything is built.
    if settings is None:
        return 0
    try:
        return limiter_for(settings).admit(fingerprint(exc, function))
    except Exception as err:
        report_failure("rate limiting", err)
        return 0


def _sends_to_sentry(sink: object, depth: int = 0) -> bool:
    if isinstance(sink, SentrySink):
        return True
    if isinstance(sink, MultiSink) and depth < 8:  # noqa: PLR2004 - nesting bound
        return any(_sends_to_sentry(each, depth + 1) for each in sink.sinks)
    return False


def add_tap(sink: Sink) -> None:
    """Let ``sink`` see every event from now on, besides the sink it is meant for."""
    global _taps  # noqa: PLW0603 - swapped whole, read without a lock
    _taps = (*_taps, sink)


def remove_tap(sink: Sink) -> None:
    """Stop sending every event to ``sink``."""
    global _taps  # noqa: PLW0603
    _taps = tuple(t for t in _taps if t is not sink)


def _new_event(fields: dict[str, Any], more: dict[str, Any]) -> CapturedError:
    # The frozen dataclass's __init__ sets each field through object.__setattr__, which
    # is most of an event's construction cost; every field is given here, so the dict
    # becomes the instance's own (tests check the result equals a normally built event).
    fields.update(more)
    event = object.__new__(CapturedError)
    object.__setattr__(event, "__dict__", fields)
    return event
