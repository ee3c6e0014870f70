"""Sentry's global event processors, registered at import; what they run loads later.

Every event the process sends to Sentry passes autocapture's once-only processor (an error
is one event, whoever reports it first; the exit scrubber goes onto the client) and then
the processor that rebuilds, scrubbed, the exception part of events Sentry's integrations
build. Both must be in place from ``import autocapture`` on, also for an event an
integration sends before autocapture captured anything; but most processes import
autocapture long before their first error, so what is registered here are two small
functions that load the Sentry side (``_sentry``, with the capture core and the
scrubber) at the first event, in the order the real processors need.

A client already active at import gets its exit scrubber now, as before: its breadcrumbs
are scrubbed when recorded.
"""

from __future__ import annotations

import threading
from typing import Any

import sentry_sdk
from sentry_sdk.scope import add_global_event_processor

__all__ = ["register"]

_registered = False
_lock = threading.Lock()


def _once_processor(event: Any, hint: Any) -> Any:
    from autocapture._sentry._once import _once_processor as once

    return once(event, hint)


def _rebuild_processor(event: Any, hint: Any) -> Any:
    from autocapture._sentry._event import _rebuild_processor as rebuild

    return rebuild(event, hint)


def register() -> None:
    """Register the processors with ``sentry-sdk`` once per process (idempotent)."""
    global _registered  # noqa: PLW0603 - one registration per process
    with _lock:
        if _registered:
            return
        add_global_event_processor(_once_processor)
        add_global_event_processor(_rebuild_processor)
        _registered = True
    if sentry_sdk.get_client().is_active():
        from autocapture import _sentry

        _sentry.install()
