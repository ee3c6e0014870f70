"""What the code base says about its error tracker: the audit's assumptions.

How Sentry is initialised (``sentry_sdk.init`` calls, their integrations and levels) and
which capture middleware is installed decide whether logged errors and 5xx
``HTTPException``s reach the tracker; a flag overrides what is detected.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from autocapture._audit._model import (
    Assumption,
    AssumptionSource,
    CaptureMiddleware,
    SentryInit,
)
from autocapture._audit._visitor import DEFAULT_FAILED_STATUS_CODES

if TYPE_CHECKING:
    from collections.abc import Iterable

    from autocapture._audit._options import AuditOptions

__all__ = ["format_statuses", "http_assumption", "logging_assumption", "status_ranges"]


def status_ranges(codes: Iterable[int]) -> list[tuple[int, int]]:
    """Compress status codes into inclusive ranges.

    Args:
        codes: Any status codes.

    Returns:
        Sorted ``(low, high)`` pairs, e.g. ``[(500, 599)]``.
    """
    ranges: list[tuple[int, int]] = []
    for code in sorted(set(codes)):
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    return ranges


def format_statuses(codes: Iterable[int]) -> str:
    """Spell status codes compactly, e.g. ``500-599`` or ``500, 502-504``.

    Args:
        codes: Any status codes.

    Returns:
        The spelling (``none`` for no code).
    """
    parts = [str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in status_ranges(codes)]
    return ", ".join(parts) or "none"


def _where(items: Iterable[SentryInit | CaptureMiddleware]) -> str:
    """Spell where some calls are.

    Args:
        items: Located calls.

    Returns:
        ``main.py:12`` or ``main.py:12, worker.py:8``.
    """
    return ", ".join(f"{item.path}:{item.line}" for item in items)


def logging_assumption(inits: list[SentryInit], options: AuditOptions) -> tuple[Assumption, int]:
    """Decide whether logged-with-traceback errors become events, and from which level.

    Args:
        inits: Every ``sentry_sdk.init`` found.
        options: The audit options (a flag overrides).

    Returns:
        The assumption and the event level.
    """
    levels = [i.logging_event_level for i in inits if i.logging_event_level is not None]
    level = max(levels) if levels else logging.ERROR
    silent = [i for i in inits if i.logging_event_level is None]
    if options.assume_logging_captured is not None:
        value = options.assume_logging_captured
        source: AssumptionSource = "flag"
        reason = "set by --assume-logging-captured"
    elif not inits:
        value, source = True, "default"
        reason = (
            "no sentry_sdk.init under PATH: assuming the SDK defaults, whose "
            "LoggingIntegration sends ERROR records and above as events"
        )
    elif silent:
        value, source = False, "detected"
        why = (
            "default_integrations=False"
            if any(not i.default_integrations for i in silent)
            else "LoggingIntegration sends no events"
        )
        reason = f"sentry_sdk.init at {_where(silent)}: {why}"
    else:
        value, source = True, "detected"
        reason = (
            f"sentry_sdk.init at {_where(inits)}: log records at "
            f"{logging.getLevelName(level)} and above become events (LoggingIntegration)"
        )
    return Assumption(value=value, source=source, reason=reason), level


def http_assumption(
    inits: list[SentryInit], middleware: list[CaptureMiddleware], options: AuditOptions
) -> tuple[Assumption, frozenset[int]]:
    """Decide whether 5xx ``HTTPException``s raised in the app are reported, and which.

    Args:
        inits: Every ``sentry_sdk.init`` found.
        middleware: Every capture middleware found.
        options: The audit options (a flag overrides).

    Returns:
        The assumption and the reported status codes.
    """
    capturing = [m for m in middleware if m.captures_http_5xx]
    off = [i for i in inits if i.failed_request_status_codes is None]
    codes = DEFAULT_FAILED_STATUS_CODES
    source: AssumptionSource = "detected"
    if options.assume_http_5xx_captured is not None:
        value, source = options.assume_http_5xx_captured, "flag"
        reason = "set by --assume-http-5xx-captured"
    elif capturing:
        value = True
        names = ", ".join(sorted({m.name for m in capturing}))
        reason = f"{names} at {_where(capturing)} reports 5xx HTTP errors with their cause"
    elif not inits:
        value, source = True, "default"
        reason = (
            "no sentry_sdk.init under PATH: assuming the SDK defaults, whose "
            "Starlette/FastAPI integrations report HTTPException 500-599"
        )
    elif off:
        value, codes = False, frozenset()
        reason = (
            f"sentry_sdk.init at {_where(off)}: no Starlette/FastAPI integration "
            "and no AutoCaptureMiddleware"
        )
    else:
        for init in inits:
            codes &= init.failed_request_status_codes or frozenset()
        value = bool(codes)
        reason = (
            f"sentry_sdk.init at {_where(inits)}: the Starlette/FastAPI integration reports "
            f"HTTPException {format_statuses(codes)}"
            if codes
            else f"sentry_sdk.init at {_where(inits)}: failed_request_status_codes has no 5xx"
        )
    return Assumption(value=value, source=source, reason=reason), codes
