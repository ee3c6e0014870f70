"""The Sentry side: build the Sentry event for a ``CapturedError`` and keep Sentry honest.

Two jobs:

* ``send`` turns a ``CapturedError`` into a Sentry event with our event id, tags, a
  context named after the context type, the arguments in ``extra``, the level and the
  ``autocapture`` mechanism, and scrubs everything the SDK adds (frame variables, the
  exception values, request data, breadcrumbs) in a last event processor.
* A global event processor drops the events Sentry's own integrations (logging, Starlette,
  FastAPI, asyncio...) would send for an error autocapture already reported, and remembers
  the errors they report first, so an error is reported once whoever sees it first; such
  an event, the error's one report, is scrubbed like ours.
"""

from __future__ import annotations

import contextvars
import copy
import threading
from typing import Any

import sentry_sdk
from sentry_sdk.scope import add_global_event_processor
from sentry_sdk.utils import event_from_exception

from autocapture._config import get_config
from autocapture._event import CapturedError
from autocapture._log import report_failure
from autocapture._once import (
    captured_event_id,
    mark_captured,
    mark_sent_to_sentry,
    sentry_event_id,
)
from autocapture._scrub import Scrubber

__all__ = ["install", "send"]

# Set while autocapture hands an event to sinks among which a SentrySink sends it. A
# LoggingSink record of the same error (a scrubbed stand-in for the exception, so Sentry's
# dedupe cannot recognise it) that Sentry's logging integration turns into an event is
# then a second report of that error.
sending_to_sentry: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "autocapture_sending_to_sentry", default=False
)
STAND_IN_MARK = "__autocapture_stand_in__"

_installed = False
_install_lock = threading.Lock()

# Keys of a Sentry event that carry user or request data; everything else is structure
# (ids, sdk info, timestamps) that a scrubber must not rewrite.
_DATA_KEYS = ("extra", "contexts", "request", "user", "tags", "breadcrumbs", "logentry")


def send(event: CapturedError) -> None:
    """Capture ``event`` with the active Sentry client, if there is one.

    Args:
        event: The scrubbed event; its exception's traceback is serialised by the SDK and
            scrubbed here before it leaves.
    """
    client = sentry_sdk.get_client()
    if not client.is_active():
        return
    install()
    sentry_event, hint = event_from_exception(
        event.exception,
        client_options=client.options,
        mechanism={"type": "autocapture", "handled": event.handled},
    )
    sentry_event["event_id"] = event.event_id
    sentry_event["level"] = event.level  # type: ignore[typeddict-item]  # validated at the boundary
    mark_sent_to_sentry(event.exception, event.event_id)
    # A fork of the current scope, current only inside this block: the global, isolation
    # and current scopes are left as they were. Its processors run after every other
    # scope's, so the scrubber sees what each integration added (request data, frame
    # variables, breadcrumbs); processors of a scope passed as ``scope=`` would not run.
    with sentry_sdk.new_scope() as scope:
        for name, value in event.tags.items():
            scope.set_tag(name, value)
        context = {k: v for k, v in event.context.items() if k not in ("request", "user")}
        scope.set_context(event.context_type, context)
        scope.set_extra("arguments", dict(event.arguments))
        scope.set_extra("function", event.function)
        if event.user:
            scope.set_user(dict(event.user))
        request = event.context.get("request")
        if isinstance(request, dict):
            # A copy: Sentry's ASGI/WSGI event processors update the event's request in
            # place (raw query string, headers), which would rewrite the frozen event
            # that other sinks (MultiSink, the test tap) hold.
            sentry_event["request"] = copy.deepcopy(request)
        scope.add_event_processor(_scrub_event_processor)
        scope.capture_event(sentry_event, hint=hint)


def _scrub_event_processor(event: Any, _hint: Any) -> Any:
    try:
        scrub_sentry_event(event)
    except Exception as exc:
        # Fail closed: an event we could not scrub must not leave the process.
        report_failure("scrubbing a Sentry event", exc)
        return None
    return event


def scrub_sentry_event(event: dict[str, Any]) -> None:  # noqa: C901 - one pass per event part
    """Scrub, in place, every part of a Sentry event that can carry user data.

    Args:
        event: A Sentry event dict, as event processors receive it.
    """
    scrubber = get_config().scrubber
    for value in (event.get("exception") or {}).get("values") or ():
        if isinstance(value.get("value"), str):
            value["value"] = scrubber.scrub_text(value["value"])
        _scrub_frames(scrubber, value)
    for thread in (event.get("threads") or {}).get("values") or ():
        _scrub_frames(scrubber, thread)
    if isinstance(event.get("message"), str):
        event["message"] = scrubber.scrub_text(event["message"])
    for key in _DATA_KEYS:
        if key not in event:
            continue
        if key == "breadcrumbs":
            crumbs = event[key]
            values = crumbs.get("values") if isinstance(crumbs, dict) else crumbs
            if isinstance(values, list):
                scrubbed = [scrubber.scrub_mapping(_as_mapping(c)) for c in values]
                if isinstance(crumbs, dict):
                    crumbs["values"] = scrubbed
                else:
                    event[key] = scrubbed
        elif key == "contexts" and isinstance(event[key], dict):
            # A context's name is structure (the context type: "auth", "payment"...), not a
            # data key: scrubbing by name would redact the whole "auth" context.
            event[key] = {
                name: scrubber.scrub_mapping(body)
                if isinstance(body, dict)
                else scrubber.scrub(body)
                for name, body in event[key].items()
            }
        elif isinstance(event[key], dict):
            event[key] = scrubber.scrub_mapping(event[key])


_OWN_MODULES = ("autocapture._decorator", "autocapture._tasks", "autocapture._asgi")


def _scrub_frames(scrubber: Scrubber, holder: dict[str, Any]) -> None:
    for frame in (holder.get("stacktrace") or {}).get("frames") or ():
        module = frame.get("module")
        if isinstance(module, str) and module.startswith(_OWN_MODULES):
            frame["in_app"] = False  # our thin wrapper is not where the user's bug is
            # Its locals are the call's raw ``args``/``kwargs`` (positional secrets have
            # no name there to be recognised by) and our internals: the event carries the
            # scrubbed, named arguments instead.
            frame.pop("vars", None)
        elif "vars" in frame:
            frame["vars"] = scrubber.scrub_mapping(_as_mapping(frame["vars"]))
        # Source lines around the failure can hold a literal secret too.
        if isinstance(frame.get("context_line"), str):
            frame["context_line"] = scrubber.scrub_text(frame["context_line"])
        for key in ("pre_context", "post_context"):
            lines = frame.get(key)
            if isinstance(lines, list):
                frame[key] = [scrubber.scrub_text(x) if isinstance(x, str) else x for x in lines]


def _as_mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {"value": value}


def _once_processor(event: Any, hint: Any) -> Any:
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
    # This event is now the error's one report (autocapture will not send another), so it
    # must not carry secrets either: an exception logged with logger.exception inside a
    # decorated function would otherwise reach Sentry with its raw message, frame
    # variables and source lines. Request data that integrations add in their own scope
    # processors comes later; Sentry's own EventScrubber filters its headers and cookies.
    return _scrub_event_processor(event, hint)


def install() -> None:
    """Register the global once-only event processor with ``sentry-sdk`` (idempotent)."""
    global _installed  # noqa: PLW0603 - one registration per process
    if _installed:
        return
    with _install_lock:
        if not _installed:
            add_global_event_processor(_once_processor)
            _installed = True
