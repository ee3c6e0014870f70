"""Once-only with Sentry's own integrations: an error is reported once, whoever sees it first.

A global event processor drops the events Sentry's own integrations (logging, Starlette,
FastAPI, asyncio...) would send for an error autocapture already reported, and remembers
the errors they report first, so that autocapture's later capture of the same error
emits nothing. Such an event, the error's one report, is scrubbed on its way out like
every other (``_exit``).
"""

from __future__ import annotations

import contextvars
from typing import Any

import sentry_sdk

from autocapture._log import report_failure
from autocapture._once import (
    captured_event_id,
    mark_captured,
    mark_sent_to_sentry,
    sentry_event_id,
)
from autocapture._sentry._exit import ensure_exit_scrub
from autocapture._stand_in import STAND_IN_MARK

__all__ = ["STAND_IN_MARK", "sending_to_sentry"]

# Set while autocapture hands an event to sinks among which a SentrySink sends it. A
# LoggingSink record of the same error (a scrubbed stand-in for the exception, so Sentry's
# dedupe cannot recognise it) that Sentry's logging integration turns into an event is
# then a second report of that error.
sending_to_sentry: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "autocapture_sending_to_sentry", default=False
)


def _once_processor(event: Any, hint: Any) -> Any:
    # Every event passes here before the client reads its before_send: the first event
    # of a client (also one an integration reports first) installs the exit scrubber.
    ensure_exit_scrub(sentry_sdk.get_client())
    exc_info = (hint or {}).get("exc_info")
    if not exc_info or event.get("type") == "transaction":
        return event
    exc = exc_info[1]
    if not isinstance(exc, BaseException):
        return event
    try:
        if sending_to_sentry.get() and getattr(exc, STAND_IN_MARK, False):
            return None
        sent = sentry_event_id(exc)
        if sent is not None:
            # autocapture already sent this error (or its cause) to Sentry: this is the
            # same error seen again by an integration (logging, Starlette, asyncio...).
            return event if sent == event.get("event_id") else None
        if captured_event_id(exc) is None:
            # Sentry saw it first (an integration or a plain capture_exception): remember
            # it, so that autocapture's later capture of the same error emits nothing.
            event_id = event.get("event_id")
            if isinstance(event_id, str):
                mark_captured(exc, event_id)
                mark_sent_to_sentry(exc, event_id)
    except Exception as err:
        report_failure("the Sentry once-only processor", err)
    # This event is now the error's one report (autocapture will not send another): it is
    # scrubbed at the very end of Sentry's pipeline, after every integration added its
    # request data and the user's before_send ran.
    return event
