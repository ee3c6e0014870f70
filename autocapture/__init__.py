"""autocapture: make sure a backend's errors reach the error tracker, with context, once.

The public surface is small on purpose: the decorator, the explicit ``capture_*`` helpers,
request-scoped context, configuration and the event type. Sinks live in
``autocapture.sinks``; web, background and sampling helpers in ``autocapture.asgi``,
``autocapture.tasks`` and ``autocapture.sampling``; the static audit in
``autocapture.audit``. Those import their optional dependencies only when used.
"""

from autocapture._api import (
    capture_auth_error,
    capture_cache_error,
    capture_database_error,
    capture_error,
    capture_payment_error,
    capture_provider_error,
    scrub,
)
from autocapture._config import configure, use_sink
from autocapture._context import bind_context
from autocapture._decorator import auto_capture_errors
from autocapture._delivery import flush
from autocapture._event import CapturedError
from autocapture._infer import Rules
from autocapture._modules import instrument_modules
from autocapture._ratelimit import RateLimit
from autocapture._scrub import REDACTED, ScrubMatch, ScrubOptions

__all__ = [
    "CapturedError",
    "REDACTED",
    "RateLimit",
    "Rules",
    "ScrubMatch",
    "ScrubOptions",
    "auto_capture_errors",
    "bind_context",
    "capture_auth_error",
    "capture_cache_error",
    "capture_database_error",
    "capture_error",
    "capture_payment_error",
    "capture_provider_error",
    "configure",
    "flush",
    "instrument_modules",
    "scrub",
    "use_sink",
]
