"""From one handler's facts to its verdict: class, how its error reaches the tracker, gaps.

The class comes from what the body does (``RawHandler.classify``); this module adds what
the rest of the code base tells: exceptions the app answers with a client error, task
retries, modules instrumented at run time, and the assumptions about the SDK.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from autocapture._audit._facts import HttpOutcome
from autocapture._audit._model import Handler

if TYPE_CHECKING:
    from collections.abc import Mapping

    from autocapture._audit._facts import RawHandler
    from autocapture._audit._model import (
        Assumptions,
        GapKind,
        HandlerClass,
        ReachesAs,
        Severity,
    )

_CAPTURE = "call autocapture.capture_error(e) (or sentry_sdk.capture_exception(e)) here"
_CLIENT_ERROR = 400
_SERVER_ERROR = 500


@dataclass(frozen=True)
class Context:
    """What the whole code base tells about one module's handlers."""

    assumptions: Assumptions
    """The audit's assumptions."""
    mapped: Mapping[str, Optional[int]]
    """Exception class name -> status, for those the app answers with a client error."""
    instrumented: bool
    """Whether the module is under an ``instrument_modules(...)`` prefix."""


@dataclass(frozen=True)
class GapDraft:
    """A gap before it is located in the source (fingerprint, ignore comment)."""

    line: int
    kind: GapKind
    severity: Severity
    detail: str
    fix: str
    start: int
    end: int


def _apply_context(raw: RawHandler, context: Context) -> list[tuple[int, str]]:
    """Turn raises of app-mapped exceptions into client errors.

    Args:
        raw: The handler's facts (its ``http`` list grows).
        context: What the code base tells.

    Returns:
        The handler's chain-lost entries that still apply (a 4xx answer is exempt).
    """
    exempt: set[int] = set()
    for name, index in raw.raised:
        if name in context.mapped:
            status = context.mapped[name]
            raw.http.append(HttpOutcome(status, raised=True, text=name, mapped=True))
            exempt.add(index)
    return [entry for i, entry in enumerate(raw.chain_lost) if i not in exempt]


def _reach(  # noqa: PLR0911 - one return per way of reaching the tracker
    raw: RawHandler,
    klass: HandlerClass,
    http: Optional[HttpOutcome],
    context: Context,
) -> tuple[Optional[str], Optional[ReachesAs]]:
    """Decide how the caught error reaches the tracker, if it does.

    Args:
        raw: The handler's facts.
        klass: Its class.
        http: The HTTP outcome behind an ``http_*`` class.
        context: What the code base tells.

    Returns:
        How it reaches the tracker and as what, or ``(None, None)``.
    """
    assumptions = context.assumptions
    decorated = raw.in_decorated or (context.instrumented and raw.function is not None)
    into = (
        "@auto_capture_errors" if raw.in_decorated or not context.instrumented
        else "instrument_modules()"
    )  # fmt: skip
    if klass == "captured":
        return "explicit capture", "exception"
    if klass == "reraise":
        if raw.retry:
            return "retried by the task framework", None
        if decorated:
            return f"re-raised into {into}", "exception"
        return "re-raised to the caller", "exception"
    if klass == "http_5xx" and http is not None and http.raised:
        if decorated:
            return f"5xx HTTP error raised through {into}", "exception"
        reported = http.status is None or http.status in assumptions.http_5xx_status_codes
        if assumptions.http_5xx_captured.value and reported:
            return "5xx HTTP error reported by the integration or middleware", "exception"
    logging_on = assumptions.logging_captured.value
    level = assumptions.logging_event_level
    if raw.log_exc_level is not None and logging_on and raw.log_exc_level >= level:
        return "logged with traceback (logging integration)", "exception"
    if raw.log_plain_level is not None and logging_on and raw.log_plain_level >= level:
        return "logged without traceback: a message event (logging integration)", "message"
    return None, None


def _caught(raw: RawHandler) -> str:
    """Spell the handler's except clause.

    Args:
        raw: The handler's facts.

    Returns:
        ``bare except``, ``except Exception`` or ``suppress(Exception)``.
    """
    if raw.caught == "bare except":
        return raw.caught
    if "contextlib.suppress" in raw.actions:
        return f"suppress({raw.caught})"
    return f"except {raw.caught}"


def _handler_gap(
    raw: RawHandler,
    klass: HandlerClass,
    http: Optional[HttpOutcome],
    reaches_as: Optional[ReachesAs],
    assumptions: Assumptions,
) -> tuple[GapKind, Severity, str, str]:
    """Describe why a counted handler's error does not reach the tracker as an exception.

    Args:
        raw: The handler's facts.
        klass: Its class (never ``captured`` nor ``reraise``, which always reach).
        http: The HTTP outcome behind an ``http_*`` class.
        reaches_as: ``"message"`` when it reaches as a message event, else ``None``.
        assumptions: The audit's assumptions.

    Returns:
        The gap's kind, severity, detail and suggested fix.
    """
    caught = _caught(raw)
    capture = _CAPTURE
    if klass in {"http_5xx", "http_4xx"} and http is not None:
        return _http_gap(klass, http, caught, assumptions)
    if klass == "logged":
        calls = ", ".join(sorted(set(raw.log_exc_calls)))
        if not assumptions.logging_captured.value:
            why = "log records do not become events (see assumptions)"
        else:
            level = logging.getLevelName(raw.log_exc_level or logging.NOTSET)
            event = logging.getLevelName(assumptions.logging_event_level)
            why = f"{level} is below the event level {event}"
        return (
            "logged",
            "medium",
            f"{caught} only logged ({calls}): {why}",
            f"log at ERROR, or {capture}",
        )
    if reaches_as == "message":
        calls = ", ".join(sorted(set(raw.log_plain_calls)))
        detail = (
            f"{caught} logged without traceback ({calls}): the tracker gets a message "
            "event, without the traceback nor the exception type"
        )
        return (
            "message",
            "medium",
            detail,
            f"add exc_info=True to {calls} (or use logger.exception)",
        )
    parts = list(dict.fromkeys(raw.actions))
    if raw.log_plain_calls:
        parts.append(", ".join(sorted(set(raw.log_plain_calls))) + " without traceback")
    if raw.log_exc_calls:
        parts.append(", ".join(sorted(set(raw.log_exc_calls))))
    doing = "; ".join(parts) or "execution goes on after the handler"
    severity: Severity = "high" if raw.broad else "medium"
    fix = f"re-raise, or {capture}"
    if "contextlib.suppress" in raw.actions:
        fix = "replace suppress(...) with try/except that captures the error"
    return "swallowed", severity, f"{caught} swallows the error ({doing})", fix


def _http_gap(
    klass: HandlerClass, http: HttpOutcome, caught: str, assumptions: Assumptions
) -> tuple[GapKind, Severity, str, str]:
    """Describe an HTTP conversion whose error does not reach the tracker.

    Args:
        klass: ``http_5xx`` or ``http_4xx``.
        http: The HTTP outcome.
        caught: The except clause, spelled.
        assumptions: The audit's assumptions.

    Returns:
        The gap's kind, severity, detail and suggested fix.
    """
    capture = _CAPTURE
    if klass == "http_5xx":
        status = http.status if http.status is not None else "5xx"
        if not http.raised:
            return (
                "http_5xx",
                "high",
                f"{caught} returns a {status} {http.text}: no exception reaches the tracker",
                f"raise HTTPException({status}) from e instead of returning, or {capture}",
            )
        if not assumptions.http_5xx_captured.value:
            why = "5xx HTTP errors are not reported (see assumptions)"
        else:
            why = f"{status} is not in failed_request_status_codes"
        fix = f"install autocapture.asgi.instrument(app), or {capture}"
        return "http_5xx", "high", f"{caught} converted to HTTP {status}: {why}", fix
    detail = (
        f"{caught} converted to HTTP {http.status or '4xx'}: unexpected errors become "
        "client errors, which are never reported"
    )
    return "http_4xx", "medium", detail, f"catch only the errors that are client errors; {capture}"


def _log_reraise(raw: RawHandler, assumptions: Assumptions) -> Optional[str]:
    """Tell whether a handler logs an event-level record and then re-raises.

    Args:
        raw: The handler's facts.
        assumptions: The audit's assumptions.

    Returns:
        The logging calls, or ``None`` when it does not.
    """
    if not assumptions.logging_captured.value:
        return None
    level = assumptions.logging_event_level
    levels = [x for x in (raw.log_exc_level, raw.log_plain_level) if x is not None]
    if not levels or max(levels) < level:
        return None
    return ", ".join(sorted({*raw.log_exc_calls, *raw.log_plain_calls}))


def judge(
    raw: RawHandler, path: str, layer: str, context: Context
) -> tuple[Handler, list[GapDraft]]:
    """Classify one handler and draft its gaps.

    Args:
        raw: The handler's facts.
        path: Its file, relative to the audited root.
        layer: Its file's layer.
        context: What the code base tells.

    Returns:
        The handler and its gap drafts.
    """
    chain_lost = _apply_context(raw, context)
    if raw.retry:
        # A retry hands the error back to the task framework: control flow, no chain.
        raw.reraise.append("retry")
        chain_lost = []
    klass, http = raw.classify()
    reached_by, reaches_as = _reach(raw, klass, http, context)
    # Intentional client errors, control flow and retries are never tracked by design.
    counted = (
        not raw.control_flow and not raw.retry and not (klass == "http_4xx" and not raw.broad)
    )
    status = http.status if http is not None else None
    handler = Handler(
        path=path,
        line=raw.line,
        layer=layer,
        handler_class=klass,
        caught=raw.caught,
        function=raw.function,
        status=status,
        counted=counted,
        reaches=reaches_as == "exception",
        reached_by=reached_by,
        reaches_as=reaches_as,
    )
    drafts: list[GapDraft] = []
    end = raw.end_line or raw.line
    if counted and reaches_as != "exception":
        kind, severity, detail, fix = _handler_gap(
            raw, klass, http, reaches_as, context.assumptions
        )
        drafts.append(GapDraft(raw.line, kind, severity, detail, fix, raw.line, end))
    elif counted and klass in {"reraise", "http_5xx"} and reaches_as == "exception":
        calls = _log_reraise(raw, context.assumptions)
        if calls:
            drafts.append(
                GapDraft(
                    raw.line,
                    "log_reraise",
                    "low",
                    f"{_caught(raw)} logs ({calls}) and re-raises: the error is reported twice, "
                    "or the logging event, without the request's context, comes first",
                    "drop the log call and let the re-raised error be reported once",
                    raw.line,
                    end,
                )
            )
    drafts.extend(
        GapDraft(
            line,
            "chain_lost",
            "low",
            detail,
            "raise ... from e (keep the caught error)",
            line,
            line,
        )
        for line, detail in chain_lost
    )
    return handler, drafts
