"""Keep Sentry's own integrations from building events for errors autocapture already sent.

The once-only event processor (``_sentry``) drops such an event, but only after the
integration built it: ``event_from_exception`` walks the traceback, reads source lines
and serialises every frame's locals, which is most of a failing request's cost. Here the
integrations' capture points ask first, by the same rule as the processor
(``sentry_event_id``: autocapture sent this error, or its cause, to Sentry), and skip
the build. What they would have built would be dropped anyway, so what reaches Sentry is
unchanged; only the wasted work goes.

The capture points are data: (module, attribute, how to find the exception). Each is
wrapped once, if its integration is imported and the installed sentry-sdk has it; a
missing one is left alone (the processor still drops its event).
"""

from __future__ import annotations

import functools
import logging
import sys
from typing import Any, Callable

from autocapture._log import report_failure
from autocapture._once import sentry_event_id

__all__ = ["already_sent", "skip_integration_duplicates"]

_WRAPPED = "__autocapture_skips_duplicates__"


def already_sent(exc: object) -> bool:
    """Tell whether autocapture sent ``exc`` (or its cause) to Sentry already. Never raises."""
    if not isinstance(exc, BaseException):
        return False
    try:
        return sentry_event_id(exc) is not None
    except Exception:
        return False


def _first_argument(*args: Any, **_kwargs: Any) -> object:
    return args[0] if args else None


def _second_argument(*args: Any, **kwargs: Any) -> object:
    return args[1] if len(args) > 1 else kwargs.get("exception")


def _exc_info_argument(*args: Any, **_kwargs: Any) -> object:
    exc_info = args[0] if args else None
    return exc_info[1] if isinstance(exc_info, tuple) and len(exc_info) > 1 else None


def _current_exception(*_args: Any, **_kwargs: Any) -> object:
    return sys.exc_info()[1]


def _returns_none(*_args: Any, **_kwargs: Any) -> None:
    return None


def _returns_exc_info(*_args: Any, **_kwargs: Any) -> object:
    return sys.exc_info()  # the WSGI integration re-raises what its capture returns


Finder = Callable[..., object]

# (module, attribute path, where the exception is, what a skipped call returns)
_CAPTURE_POINTS: tuple[tuple[str, str, Finder, Finder], ...] = (
    # Not Sentry's ASGI middleware (SentryAsgiMiddleware._capture_request_exception):
    # right after it captures it re-raises the error ``from None``, which clears the
    # cause chain that autocapture's event may still be reading (background delivery);
    # its build takes long enough to hide that race, so it is left as it is.
    # Starlette's patched ExceptionMiddleware: an HTTPException(5xx) that instrument()'s
    # handlers reported first.
    ("sentry_sdk.integrations.starlette", "_capture_exception", _first_argument, _returns_none),
    # The WSGI middleware (Flask, Django, any WSGI app): an unhandled error.
    ("sentry_sdk.integrations.wsgi", "_capture_exception", _current_exception, _returns_exc_info),
    # Django's got_request_exception receiver, called by name.
    (
        "sentry_sdk.integrations.django",
        "_capture_exception",
        _exc_info_argument,
        _returns_none,
    ),
)


def _resolve(module_name: str, path: str) -> tuple[object, str, object] | None:
    # Only integrations already imported (sentry_sdk.init imports those it enables):
    # importing one here would import its framework.
    module = sys.modules.get(module_name)
    if module is None:
        return None
    owner: object = module
    *parents, name = path.split(".")
    for parent in parents:
        owner = getattr(owner, parent, None)
        if owner is None:
            return None
    target = getattr(owner, name, None)
    return (owner, name, target) if callable(target) else None


def _skipping(original: Callable[..., Any], find: Finder, skipped: Finder) -> Callable[..., Any]:
    @functools.wraps(original)
    def capture_unless_already_sent(*args: Any, **kwargs: Any) -> Any:
        if already_sent(find(*args, **kwargs)):
            return skipped(*args, **kwargs)
        return original(*args, **kwargs)

    setattr(capture_unless_already_sent, _WRAPPED, True)
    return capture_unless_already_sent


def _skip_logged_duplicates() -> None:
    # The logging integration's EventHandler: uvicorn's "Exception in ASGI application",
    # gunicorn's and Django's error logs carry the exception autocapture just sent. A
    # handler's filter runs before the record is formatted and the event built.
    from sentry_sdk.integrations.logging import EventHandler

    original = EventHandler.filter
    if getattr(original, _WRAPPED, False):
        return

    @functools.wraps(original)
    def filter(self: Any, record: logging.LogRecord) -> Any:  # noqa: A001 - logging's name
        exc_info = record.exc_info
        if exc_info and already_sent(exc_info[1]):
            return False
        return original(self, record)

    setattr(filter, _WRAPPED, True)
    EventHandler.filter = filter  # type: ignore[method-assign]


_done_for: list[int] = [0]  # id() of the client the capture points were last wrapped for


def skip_integration_duplicates(client: object) -> None:
    """Wrap the capture points of the integrations imported so far (idempotent, never raises).

    Called when autocapture sends to Sentry, so after ``sentry_sdk.init`` imported the
    integrations it enables; a new client (a new init) looks again.
    """
    if _done_for[0] == id(client):
        return
    _done_for[0] = id(client)
    for module_name, path, find, skipped in _CAPTURE_POINTS:
        try:
            found = _resolve(module_name, path)
            if found is None:
                continue
            owner, name, target = found
            if getattr(target, _WRAPPED, False):
                continue
            setattr(owner, name, _skipping(target, find, skipped))  # type: ignore[arg-type]
        except Exception as exc:
            report_failure(f"skipping duplicate events of {module_name}", exc)
    try:
        _skip_logged_duplicates()
    except Exception as exc:
        report_failure("skipping duplicate events of the logging integration", exc)
