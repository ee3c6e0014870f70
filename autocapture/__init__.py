"""autocapture: make sure a backend's errors reach the error tracker, with context, once.

The public surface is small on purpose: the decorator, the explicit ``capture_*`` helpers,
request-scoped context, configuration and the event type. Sinks live in
``autocapture.sinks``; web, background and sampling helpers in ``autocapture.asgi``,
``autocapture.tasks`` and ``autocapture.sampling``; the static audit in
``autocapture.audit``. Those import their optional dependencies only when used.

Start-up is cheap (``benchmarks/bench_import.py``): importing autocapture loads the
decorator and the configuration, and registers Sentry's event processors; every other
public name loads at its first use (PEP 562), and the capture core, the scrubber and
inference at the first failure.
"""

import typing as _typing

from autocapture import _sentry_hooks
from autocapture._config import configure, use_sink
from autocapture._decorator import auto_capture_errors

if _typing.TYPE_CHECKING:
    from autocapture._api import (
        capture_auth_error,
        capture_cache_error,
        capture_database_error,
        capture_error,
        capture_payment_error,
        capture_provider_error,
        scrub,
    )
    from autocapture._context import bind_context
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

# Public name -> the module that defines it, loaded at the name's first use.
_LAZY = {
    "CapturedError": "autocapture._event",
    "REDACTED": "autocapture._scrub",
    "RateLimit": "autocapture._ratelimit",
    "Rules": "autocapture._rules",
    "ScrubMatch": "autocapture._scrub",
    "ScrubOptions": "autocapture._scrub",
    "bind_context": "autocapture._context",
    "capture_auth_error": "autocapture._api",
    "capture_cache_error": "autocapture._api",
    "capture_database_error": "autocapture._api",
    "capture_error": "autocapture._api",
    "capture_payment_error": "autocapture._api",
    "capture_provider_error": "autocapture._api",
    "flush": "autocapture._delivery",
    "instrument_modules": "autocapture._modules",
    "scrub": "autocapture._api",
}

# Public subpackages, loaded at their first access as attributes, so that
# ``import autocapture`` then ``autocapture.logs.scrub_logs()`` works as README writes it.
_DOORS = frozenset({"asgi", "audit", "django", "logs", "sampling", "sinks", "tasks", "wsgi"})

_sentry_hooks.register()


if not _typing.TYPE_CHECKING:  # type checkers see the imports above: a typo stays an error

    def __getattr__(name: str) -> _typing.Any:
        import importlib

        if name in _DOORS:
            return importlib.import_module(f"{__name__}.{name}")  # binds itself here
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value  # the next access is a plain attribute
        return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
