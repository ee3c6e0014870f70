"""The audit pipeline: files -> facts -> assumptions -> classified handlers and gaps.

Each file is read once as bytes and parsed once (``ast.parse`` applies PEP 263 coding
cookies and the UTF-8 BOM itself, exactly as the interpreter would); the facts of every
module are gathered first, because the assumptions (how Sentry is initialised, which
middleware is installed) and background targets (decorated in another module?) are
only known once the whole code base has been read.
"""

from __future__ import annotations

import ast
import gc
import logging
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from autocapture._audit._files import discover
from autocapture._audit._model import (
    GAP_KINDS,
    HANDLER_CLASSES,
    SEVERITIES,
    Assumption,
    Assumptions,
    AssumptionSource,
    AuditReport,
    BackgroundStart,
    CaptureMiddleware,
    Gap,
    GapKind,
    Handler,
    HandlerClass,
    LayerSummary,
    SentryInit,
    Severity,
    UnreadableFile,
)
from autocapture._audit._options import AuditOptions
from autocapture._audit._visitor import DEFAULT_FAILED_STATUS_CODES, visit_module

if TYPE_CHECKING:
    from collections.abc import Iterable

    from autocapture._audit._files import SourceFile
    from autocapture._audit._visitor import HttpOutcome, ModuleFacts, RawBackground, RawHandler

_REPARSE_ERRORS = (SyntaxError, ValueError, UnicodeError, LookupError, RecursionError, MemoryError)


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


def _logging_assumption(inits: list[SentryInit], options: AuditOptions) -> tuple[Assumption, int]:
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


def _http_assumption(
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


def _reach(  # noqa: PLR0911 - one return per way of reaching the tracker
    raw: RawHandler,
    klass: HandlerClass,
    http: Optional[HttpOutcome],
    assumptions: Assumptions,
) -> Optional[str]:
    """Decide how the caught error reaches the tracker, if it does.

    Args:
        raw: The handler's facts.
        klass: Its class.
        http: The HTTP outcome behind an ``http_*`` class.
        assumptions: The audit's assumptions.

    Returns:
        How it reaches the tracker, or ``None``.
    """
    if klass == "captured":
        return "explicit capture"
    if klass == "reraise":
        if raw.in_decorated:
            return "re-raised into @auto_capture_errors"
        return "re-raised to the caller"
    if klass == "http_5xx" and http is not None and http.raised:
        if raw.in_decorated:
            return "5xx HTTP error raised through @auto_capture_errors"
        reported = http.status is None or http.status in assumptions.http_5xx_status_codes
        if assumptions.http_5xx_captured.value and reported:
            return "5xx HTTP error reported by the integration or middleware"
    if (
        raw.log_exc_level is not None
        and assumptions.logging_captured.value
        and raw.log_exc_level >= assumptions.logging_event_level
    ):
        return "logged with traceback (logging integration)"
    return None


def _caught(raw: RawHandler) -> str:
    """Spell the handler's except clause.

    Args:
        raw: The handler's facts.

    Returns:
        ``bare except`` or ``except Exception``.
    """
    return raw.caught if raw.caught == "bare except" else f"except {raw.caught}"


def _handler_gap(
    raw: RawHandler,
    klass: HandlerClass,
    http: Optional[HttpOutcome],
    assumptions: Assumptions,
) -> tuple[GapKind, Severity, str]:
    """Describe why a counted handler's error does not reach the tracker.

    Args:
        raw: The handler's facts.
        klass: Its class (never ``captured`` nor ``reraise``, which always reach).
        http: The HTTP outcome behind an ``http_*`` class.
        assumptions: The audit's assumptions.

    Returns:
        The gap's kind, severity and detail.
    """
    caught = _caught(raw)
    if klass == "http_5xx" and http is not None:
        status = http.status if http.status is not None else "5xx"
        if not http.raised:
            return (
                "http_5xx",
                "high",
                f"{caught} returns a {status} {http.text}: no exception reaches the tracker",
            )
        if not assumptions.http_5xx_captured.value:
            why = "5xx HTTP errors are not reported (see assumptions)"
        else:
            why = f"{status} is not in failed_request_status_codes"
        return "http_5xx", "high", f"{caught} converted to HTTP {status}: {why}"
    if klass == "http_4xx" and http is not None:
        detail = (
            f"{caught} converted to HTTP {http.status}: unexpected errors become client "
            "errors, which are never reported"
        )
        return "http_4xx", "medium", detail
    if klass == "logged":
        calls = ", ".join(sorted(set(raw.log_exc_calls)))
        if not assumptions.logging_captured.value:
            why = "log records do not become events (see assumptions)"
        else:
            level = logging.getLevelName(raw.log_exc_level or logging.NOTSET)
            event = logging.getLevelName(assumptions.logging_event_level)
            why = f"{level} is below the event level {event}"
        return "logged", "medium", f"{caught} only logged ({calls}): {why}"
    parts = list(dict.fromkeys(raw.actions))
    if raw.log_plain_calls:
        parts.append(", ".join(sorted(set(raw.log_plain_calls))) + " without traceback")
    if raw.log_exc_calls:
        parts.append(", ".join(sorted(set(raw.log_exc_calls))))
    doing = "; ".join(parts) or "execution goes on after the handler"
    return "swallowed", "high" if raw.broad else "medium", f"{caught} swallows the error ({doing})"


def _build_handlers(
    source: SourceFile, facts: ModuleFacts, assumptions: Assumptions
) -> tuple[list[Handler], list[Gap]]:
    """Classify one module's handlers and list their gaps.

    Args:
        source: The file.
        facts: Its facts.
        assumptions: The audit's assumptions.

    Returns:
        The handlers and their gaps.
    """
    handlers: list[Handler] = []
    gaps: list[Gap] = []
    for raw in facts.handlers:
        klass, http = raw.classify()
        reached_by = _reach(raw, klass, http, assumptions)
        # Intentional client errors and control-flow exceptions are never tracked by design.
        counted = not raw.control_flow and not (klass == "http_4xx" and not raw.broad)
        handlers.append(
            Handler(
                path=source.rel,
                line=raw.line,
                layer=source.layer,
                handler_class=klass,
                caught=raw.caught,
                function=raw.function,
                status=http.status if http is not None else None,
                counted=counted,
                reaches=reached_by is not None,
                reached_by=reached_by,
            )
        )
        if counted and reached_by is None:
            kind, severity, detail = _handler_gap(raw, klass, http, assumptions)
            gaps.append(Gap(source.rel, raw.line, kind, severity, detail))
        gaps.extend(
            Gap(source.rel, line, "chain_lost", "low", detail) for line, detail in raw.chain_lost
        )
    return handlers, gaps


def _function_index(parsed: list[tuple[SourceFile, ModuleFacts]]) -> dict[str, bool]:
    """Map every function of the code base (``module.qualname``) to whether it is decorated.

    Args:
        parsed: Every parsed module.

    Returns:
        The index.
    """
    index: dict[str, bool] = {}
    for _, facts in parsed:
        prefix = f"{facts.module}." if facts.module else ""
        for name in facts.functions:
            index[prefix + name] = name in facts.decorated
    return index


def _lookup(qualified: str, index: dict[str, bool]) -> Optional[tuple[str, bool]]:
    """Find an imported function in the index, allowing for a different import root.

    Args:
        qualified: The import's dotted name (``src.services.jobs.send``).
        index: The function index.

    Returns:
        The matching name and whether it is decorated, or ``None``.
    """
    parts = qualified.split(".")
    # Keep at least module + function: a bare function name is too ambiguous to match.
    for start in range(len(parts) - 1):
        candidate = ".".join(parts[start:])
        if candidate in index:
            return candidate, index[candidate]
    return None


def _build_background(
    source: SourceFile, facts: ModuleFacts, index: dict[str, bool]
) -> tuple[list[BackgroundStart], list[Gap]]:
    """Resolve one module's background starts and list those whose errors are not captured.

    Args:
        source: The file.
        facts: Its facts.
        index: The function index of the whole code base.

    Returns:
        The starts and their gaps.
    """
    starts: list[BackgroundStart] = []
    gaps: list[Gap] = []
    for raw in facts.background:
        captured, reason = _background_verdict(raw, facts, index)
        starts.append(
            BackgroundStart(
                source.rel, raw.line, source.layer, raw.call, raw.target, captured, reason
            )
        )
        if not captured:
            # Request background tasks and threads may still reach an integration.
            soft = raw.call.endswith("add_task") or raw.call.startswith("threading.")
            gaps.append(
                Gap(
                    source.rel,
                    raw.line,
                    "background",
                    "medium" if soft else "high",
                    f"{raw.call}({raw.target or '...'}) without capture: {reason}",
                )
            )
    return starts, gaps


def _background_verdict(  # noqa: PLR0911 - one return per verdict
    raw: RawBackground, facts: ModuleFacts, index: dict[str, bool]
) -> tuple[bool, str]:
    """Decide whether the failures of one background start are captured.

    Args:
        raw: The start.
        facts: Its module's facts.
        index: The function index of the whole code base.

    Returns:
        Whether they are, and why.
    """
    if raw.via is not None:
        return True, raw.via
    decorated = "decorated with @auto_capture_errors"
    if raw.local_key is not None:
        if raw.local_key in facts.functions:
            if raw.local_key in facts.decorated:
                return True, f"target {decorated}"
            return False, f"{raw.target} is not {decorated}"
        return False, f"{raw.target} is not a function of this module"
    if raw.qualified is not None:
        found = _lookup(raw.qualified, index)
        if found is None:
            return False, f"{raw.qualified} is outside the audited code"
        name, is_decorated = found
        if is_decorated:
            return True, f"target {name} {decorated}"
        return False, f"{name} is not {decorated}"
    return False, "the target could not be resolved"


def _read(source: SourceFile) -> tuple[Optional[ast.Module], bytes, Optional[UnreadableFile]]:
    """Read and parse one file; a failure is recorded, never raised.

    Args:
        source: The file.

    Returns:
        The tree (or ``None``), the bytes, and the failure (or ``None``).
    """
    try:
        data = Path(source.path).read_bytes()
    except OSError as exc:
        why = exc.strerror or str(exc)
        return None, b"", UnreadableFile(source.rel, 0, f"{type(exc).__name__}: {why}")
    try:
        # Bytes, not text: the parser honours coding cookies and the BOM by itself.
        return ast.parse(data, filename=source.rel), data, None
    except SyntaxError as exc:
        message = (exc.msg or "invalid syntax").splitlines()[0]
        return None, data, UnreadableFile(source.rel, exc.lineno or 0, f"SyntaxError: {message}")
    except _REPARSE_ERRORS as exc:
        message = (str(exc) or type(exc).__name__).splitlines()[0]
        # Before Python 3.12 the parser rejects NUL bytes with a ValueError; call it what
        # newer versions call it, so the report does not depend on the interpreter.
        kind = "SyntaxError" if isinstance(exc, ValueError) else type(exc).__name__
        return None, data, UnreadableFile(source.rel, 0, f"{kind}: {message}")


def run_audit(path: str, options: Optional[AuditOptions] = None) -> AuditReport:
    """Audit the Python code base at ``path`` without importing or running it.

    Args:
        path: A directory (or a single file).
        options: How to audit; the defaults reproduce ``autocapture audit PATH``.

    Returns:
        The report.

    Raises:
        FileNotFoundError: When ``path`` does not exist.
    """
    options = options or AuditOptions()
    if not Path(path).exists():
        raise FileNotFoundError(path)
    sources = discover(path, options)
    parsed: list[tuple[SourceFile, ModuleFacts]] = []
    unreadable: list[UnreadableFile] = []
    gc_was_enabled = gc.isenabled()
    # Syntax trees hold no reference cycles, and neither do the facts: reference counting
    # frees everything, and the cyclic collector would only re-traverse millions of nodes.
    gc.disable()
    try:
        with warnings.catch_warnings():
            # Invalid escape sequences and the like warn while parsing: not the audit's
            # business.
            warnings.simplefilter("ignore")
            for source in sources:
                tree, data, failure = _read(source)
                if tree is None:
                    unreadable.append(failure or UnreadableFile(source.rel, 0, "unreadable"))
                    continue
                try:
                    facts = visit_module(tree, data, source.rel, options)
                except RecursionError:
                    unreadable.append(UnreadableFile(source.rel, 0, "RecursionError: too deep"))
                    continue
                parsed.append((source, facts))
                del tree
    finally:
        if gc_was_enabled:
            gc.enable()
    inits = [
        SentryInit(
            s.rel, i.line, i.default_integrations, i.logging_event_level,
            i.failed_request_status_codes,
        )
        for s, f in parsed
        for i in f.inits
    ]  # fmt: skip
    middleware = [
        CaptureMiddleware(s.rel, m.line, m.name, m.captures_http_5xx)
        for s, f in parsed
        for m in f.middleware
    ]
    logging_assumption, level = _logging_assumption(inits, options)
    http_assumption, codes = _http_assumption(inits, middleware, options)
    assumptions = Assumptions(
        reraise_reaches=Assumption(
            value=True,
            source="default",
            reason="a re-raised error propagates to its callers, whose handlers are audited too, "
            "and an unhandled error reaches the SDK or a middleware",
        ),
        logging_captured=logging_assumption,
        logging_event_level=level,
        http_5xx_captured=http_assumption,
        http_5xx_status_codes=codes,
        sentry_inits=tuple(inits),
        middleware=tuple(middleware),
    )
    index = _function_index(parsed)
    handlers: list[Handler] = []
    background: list[BackgroundStart] = []
    gaps: list[Gap] = [
        Gap(u.path, u.line, "unreadable", "medium", f"not audited: {u.error}") for u in unreadable
    ]
    for source, facts in parsed:
        more_handlers, handler_gaps = _build_handlers(source, facts, assumptions)
        more_starts, start_gaps = _build_background(source, facts, index)
        handlers.extend(more_handlers)
        background.extend(more_starts)
        gaps.extend(handler_gaps)
        gaps.extend(start_gaps)
    severity_rank = {s: i for i, s in enumerate(SEVERITIES)}
    kind_rank = {k: i for i, k in enumerate(GAP_KINDS)}
    gaps.sort(key=lambda g: (severity_rank[g.severity], kind_rank[g.kind], g.path, g.line))
    return AuditReport(
        root=path,
        layers=_layers(options, sources, parsed, unreadable, handlers),
        handlers=tuple(sorted(handlers, key=lambda h: (h.path, h.line))),
        background=tuple(background),
        unreadable=tuple(unreadable),
        gaps=tuple(gaps),
        assumptions=assumptions,
    )


def _layers(
    options: AuditOptions,
    sources: list[SourceFile],
    parsed: list[tuple[SourceFile, ModuleFacts]],
    unreadable: list[UnreadableFile],
    handlers: list[Handler],
) -> tuple[LayerSummary, ...]:
    """Sum files and handlers per layer.

    Args:
        options: The audit options (the layer order).
        sources: Every audited file.
        parsed: The files that parsed, with their facts.
        unreadable: The files that did not.
        handlers: Every classified handler.

    Returns:
        One summary per layer, in report order.
    """
    names = list(options.layer_names)
    files = dict.fromkeys(names, 0)
    with_capture = dict.fromkeys(names, 0)
    broken = dict.fromkeys(names, 0)
    counts: dict[str, dict[HandlerClass, int]] = {
        n: dict.fromkeys(HANDLER_CLASSES, 0) for n in names
    }
    counted = dict.fromkeys(names, 0)
    reached = dict.fromkeys(names, 0)
    layer_of = {s.rel: s.layer for s in sources}
    for source in sources:
        files[source.layer] += 1
    for source, facts in parsed:
        with_capture[source.layer] += facts.has_capture
    for failure in unreadable:
        broken[layer_of[failure.path]] += 1
    for handler in handlers:
        counts[handler.layer][handler.handler_class] += 1
        counted[handler.layer] += handler.counted
        reached[handler.layer] += handler.counted and handler.reaches
    return tuple(
        LayerSummary(
            name=n,
            files=files[n],
            files_with_capture=with_capture[n],
            unreadable=broken[n],
            handlers=counts[n],
            counted=counted[n],
            reached=reached[n],
        )
        for n in names
    )
