"""Send a ``CapturedError`` to Sentry: the event autocapture builds, once.

``send`` builds what ``sentry_sdk.capture_exception`` would (``_frames``), with our event
id, level, tags, a context named after the context type, the arguments in ``extra`` and
the ``autocapture`` mechanism, and hands it to the client: its scopes, integrations and
``before_send`` apply as to any event, and the exit scrubber (``_exit``) runs last.

Events Sentry's own integrations build for an error (logging, Starlette, asyncio...) get
their exception part rebuilt the same way, from the live exception, before anything
could ``repr`` a frame variable: their frames are then scrubbed with their structure.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

import sentry_sdk
from sentry_sdk.client import SDK_INFO
from sentry_sdk.scope import add_global_event_processor
from sentry_sdk.utils import event_from_exception

from autocapture._config import get_config
from autocapture._event import CapturedError, at_capture
from autocapture._log import report_failure
from autocapture._once import mark_sent_to_sentry, sentry_event_id
from autocapture._scrub import EventSecrets, active_secrets, track_frame_secrets, tracking_secrets
from autocapture._sentry._exit import BUILT, ensure_exit_scrub
from autocapture._sentry._frames import Built, exception_values
from autocapture._sentry._once import _once_processor, can_send, delivering
from autocapture._sentry_skip import skip_integration_duplicates

__all__ = ["install", "send"]

# The processors are registered at ``import autocapture`` (``_sentry_hooks``, which loads
# this module at the first event): install() only adds the exit scrubber.
_installed = True
_finish_registered = False
_install_lock = threading.Lock()
_BUILT_EXTRA = ("arguments", "function")


def send(event: CapturedError) -> None:
    """Capture ``event`` with the active Sentry client, unless Sentry has the error already.

    Args:
        event: The scrubbed event; its exception's frames are read (variables scrubbed,
            source lines scrubbed) while the event is built.
    """
    client = sentry_sdk.get_client()
    if not can_send(client):
        return
    # A Sentry integration sent this error (or its cause) first: that is its one Sentry
    # event, and the capture core gave ours the same id. Decided when the error was
    # claimed: once queued for background delivery, the error is marked as sent already.
    delivery = delivering.get()
    if delivery is not None and delivery.exception is event.exception:
        if delivery.sentry_first:
            return
    elif sentry_event_id(event.exception) is not None:
        return
    install()
    ensure_exit_scrub(client)
    _register_finish()
    # Separate from the once-only processor: integrations skip building the events it
    # would drop (autocapture._sentry_skip).
    skip_integration_duplicates(client)
    exc = at_capture(event)  # the frames as they were, also when delivered later
    mechanism = {"type": "autocapture", "handled": event.handled}
    built_exception = True
    try:
        exception: Any = Built(
            values=exception_values(
                exc,
                scrubber=get_config().scrubber,
                options=client.options,
                mechanism=mechanism,
                message=event.message,
                callers=event.callers,
            )
        )
    except Exception as err:
        # Still report the error: Sentry builds it, and the exit scrubber scrubs it all.
        report_failure("building a Sentry event's exception", err)
        exception = event_from_exception(exc, client_options=client.options, mechanism=mechanism)[
            0
        ]["exception"]
        built_exception = False
    sentry_event: dict[str, Any] = {
        "event_id": event.event_id,
        "level": event.level,
        "exception": exception,
        "sdk": _sdk_info(client),
    }
    request = event.context.get("request")
    if isinstance(request, dict):
        # A copy: Sentry's ASGI/WSGI event processors update the event's request in
        # place (raw query string, headers), which would rewrite the frozen event that
        # other sinks (MultiSink, the test tap) hold.
        sentry_event["request"] = copy.deepcopy(request)
    context = Built((k, v) for k, v in event.context.items() if k not in ("request", "user"))
    hint = {
        "exc_info": (type(exc), exc, exc.__traceback__),
        BUILT: {
            "exception": built_exception,
            "extra": _BUILT_EXTRA,
            "contexts": (event.context_type,),
        },
    }
    mark_sent_to_sentry(exc, event.event_id)
    # Scope data given as keyword arguments goes onto the one merged scope Sentry makes
    # for this event, on top of the global, isolation and current scopes (ours win),
    # which are left as they were.
    sentry_sdk.get_current_scope().capture_event(
        sentry_event,  # type: ignore[arg-type]  # an Event dict
        hint=hint,
        tags=dict(event.tags),
        contexts={event.context_type: context},
        extras={"arguments": Built(event.arguments), "function": event.function},
        user=dict(event.user) if event.user else None,
    )


_sdk_infos: dict[int, tuple[Any, Built]] = {}


def _sdk_info(client: Any) -> Built:
    """What the client would put in ``sdk`` (its name, version, integrations), once."""
    found = _sdk_infos.get(id(client))
    if found is None or found[0] is not client:
        info = dict(SDK_INFO)
        info["integrations"] = sorted(getattr(client, "integrations", {}).keys())
        found = (client, Built(info))
        if len(_sdk_infos) > 8:  # noqa: PLR2004 - a handful of clients per process
            _sdk_infos.clear()
        _sdk_infos[id(client)] = found
    return found[1]


def _rebuild_processor(event: Any, hint: Any) -> Any:
    """Rebuild the exception part of an event Sentry built, from the live exception."""
    if not isinstance(event, dict) or BUILT in (hint or {}) or event.get("type") == "transaction":
        return event
    exc_info = (hint or {}).get("exc_info")
    exception = event.get("exception")
    if (
        not exc_info
        or not isinstance(exception, dict)
        or not isinstance(exc_info[1], BaseException)
    ):
        return event
    try:
        values = exception.get("values") or [{}]
        mechanism = values[-1].get("mechanism") if isinstance(values[-1], dict) else None
        scrubber = get_config().scrubber
        # Event-wide, as in an event autocapture builds: what the failing frames hold
        # under secret names is redacted from the messages too.
        secrets = EventSecrets()
        secrets.add_all(active_secrets().values)
        try:
            track_frame_secrets(scrubber, exc_info[1], secrets)
        except Exception as err:  # at the recursion limit, say: the event is still rebuilt
            report_failure("reading the failing frames' secret locals", err)
        with tracking_secrets(secrets):
            event["exception"] = Built(
                values=exception_values(
                    exc_info[1],
                    scrubber=scrubber,
                    options=sentry_sdk.get_client().options,
                    mechanism=(
                        dict(mechanism) if isinstance(mechanism, dict) else {"type": "generic"}
                    ),
                )
            )
        hint[BUILT] = {"exception": True}
    except Exception as err:
        report_failure("rebuilding a Sentry event's exception", err)
    return event


def _finish_processor(event: Any, _hint: Any) -> Any:
    """Hand Sentry's serializer the installed-modules table as it is (plain strings)."""
    modules = event.get("modules") if isinstance(event, dict) else None
    if type(modules) is dict:
        # The ModulesIntegration's table, the same for every event: walking its ~100
        # entries node by node is most of what the serializer does for an error event.
        event["modules"] = Built(modules)
    return event


def _register_finish() -> None:
    # Registered once a client is active, so after the processors its integrations
    # registered at init (the ModulesIntegration's among them).
    global _finish_registered  # noqa: PLW0603 - one registration per process
    if not _finish_registered:
        with _install_lock:
            if not _finish_registered:
                add_global_event_processor(_finish_processor)
                _finish_registered = True


def install() -> None:
    """Register the global event processors with ``sentry-sdk`` (idempotent).

    The once-only processor, then the one rebuilding the exception part of the events
    Sentry's integrations build; the exit scrubber goes onto the client active now, and
    onto any later one at its first event.
    """
    global _installed  # noqa: PLW0603 - one registration per process
    if not _installed:
        with _install_lock:
            if not _installed:
                add_global_event_processor(_once_processor)
                add_global_event_processor(_rebuild_processor)
                _installed = True
    ensure_exit_scrub(sentry_sdk.get_client())
