"""Reported once per destination with Sentry's own integrations, and their events' context.

A global event processor drops the events Sentry's own integrations (logging, Starlette,
FastAPI, asyncio...) would send for an error that Sentry already has, and remembers the
errors they send first *as sent to Sentry only*: the capture core still delivers those
to every other sink (with the Sentry event's id), and ``SentrySink`` sends no second
event. A client that cannot send (no DSN) remembers nothing. The same processor gives
every other event made inside a ``bind_context`` block or an instrumented request the
bound tags, user and context. Every event is scrubbed on its way out (``_exit``).
"""

from __future__ import annotations

import contextvars
from typing import Any, NamedTuple

import sentry_sdk

from autocapture._config import get_config
from autocapture._context import bound_context, bound_tags, scrubbed_bound_context, user_of
from autocapture._log import report_failure
from autocapture._once import mark_sent_to_sentry, sentry_event_id
from autocapture._sentry._exit import ensure_exit_scrub
from autocapture._stand_in import STAND_IN_MARK

__all__ = ["STAND_IN_MARK", "Delivery", "can_send", "delivering"]


class Delivery(NamedTuple):
    """The event the capture core is handing to sinks in this thread or task."""

    exception: BaseException
    """The error being delivered."""
    to_sentry: bool
    """True when a ``SentrySink`` is among the sinks."""
    sentry_first: bool = False
    """True when a Sentry integration had sent this error before the capture claimed it."""


# Set while the capture core hands an event to sinks (reset in a ``finally``). A sink
# that calls code that fails must not start another capture; and a LoggingSink record of
# the error (a scrubbed stand-in for the exception, so Sentry's dedupe cannot recognise
# it) that Sentry's logging integration turns into an event is the error's Sentry report
# when no SentrySink sends one, and a second report when one does.
delivering: contextvars.ContextVar[Delivery | None] = contextvars.ContextVar(
    "autocapture_delivering", default=None
)


def can_send(client: Any = None) -> bool:
    """Tell whether ``client`` (default: the current one) can send events anywhere.

    ``sentry_sdk.init()`` without a DSN makes an active client with no transport: what
    it is given goes nowhere, so it reports nothing and must mark nothing as reported.
    """
    try:
        if client is None:
            client = sentry_sdk.get_client()
        return bool(client.is_active()) and getattr(client, "transport", None) is not None
    except Exception:
        return False


def _once_processor(event: Any, hint: Any) -> Any:
    # Every event passes here before the client reads its before_send: the first event
    # of a client (also one an integration reports first) installs the exit scrubber.
    ensure_exit_scrub(sentry_sdk.get_client())
    if event.get("type") == "transaction":
        return event
    exc_info = (hint or {}).get("exc_info")
    exc = exc_info[1] if exc_info else None
    if not isinstance(exc, BaseException):
        _add_bound_context(event, None)  # a message event (logger.error, capture_message)
        return event
    try:
        real = exc
        delivery = delivering.get()
        if delivery is not None and getattr(exc, STAND_IN_MARK, False):
            # Sentry's logging integration made this of our LoggingSink's record.
            if delivery.to_sentry:
                return None  # a SentrySink sends the error itself
            real = delivery.exception
        sent = sentry_event_id(exc)
        if sent is not None:
            # autocapture, or an integration, already sent this error (or its cause) to
            # Sentry: this is the same error seen again by an integration.
            return event if sent == event.get("event_id") else None
        event_id = event.get("event_id")
        if isinstance(event_id, str) and can_send():
            # Sentry has this error now, and only Sentry: the capture core still gives it
            # to every other sink, and SentrySink sends no second event.
            mark_sent_to_sentry(real, event_id)
        _add_bound_context(event, exc)
    except KeyboardInterrupt:
        raise
    except BaseException as err:  # never break the SDK's capture
        report_failure("the Sentry once-only processor", err)
    # This event is now the error's one Sentry report: it is scrubbed at the very end of
    # Sentry's pipeline, after every integration added its request data and the user's
    # before_send ran.
    return event


def _add_bound_context(event: dict[str, Any], exc: BaseException | None) -> None:
    """Give an event Sentry made itself the bound context's tags, user and context.

    Whichever layer reports first, the event of an error inside a ``bind_context`` block
    or an instrumented request says where it happened and for whom. What the event has
    already wins; the values are scrubbed (and the event is scrubbed again on its way out).
    """
    try:
        if not bound_context(exc):
            return
        context = scrubbed_bound_context(get_config().scrubber, exc=exc)
        if exc is not None:
            tags = event.get("tags")
            if not isinstance(tags, dict):
                tags = event["tags"] = {}
            for name, value in bound_tags(exc).items():
                tags.setdefault(str(name), value if isinstance(value, str) else repr(value))
        _merge_under(event, "user", user_of(context))
        request = context.pop("request", None)
        context.pop("user", None)
        if isinstance(request, dict) and not event.get("request"):
            event["request"] = request
        if context:
            contexts = event.get("contexts")
            if not isinstance(contexts, dict):
                contexts = event["contexts"] = {}
            _merge_under(contexts, "general", context)
    except KeyboardInterrupt:
        raise
    except BaseException as err:  # the event goes on without the context
        report_failure("adding the bound context to a Sentry event", err)


def _merge_under(holder: dict[str, Any], key: str, values: dict[str, Any]) -> None:
    # What the event already has wins over the bound context.
    if values:
        known = holder.get(key)
        holder[key] = {**values, **known} if isinstance(known, dict) else values
