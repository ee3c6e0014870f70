"""The audit pipeline: files -> facts -> assumptions -> classified handlers and gaps.

Each file is read once as bytes and parsed once (``ast.parse`` applies PEP 263 coding
cookies and the UTF-8 BOM itself, exactly as the interpreter would); the facts of every
module are gathered first, because the assumptions (how Sentry is initialised, which
middleware is installed) and background targets (decorated in another module?) are
only known once the whole code base has been read.
"""

from __future__ import annotations

import gc
import logging
import warnings
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from autocapture._audit._files import discover
from autocapture._audit._marks import fingerprint, ignore_comment, normalized
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
    Handler,
    HandlerClass,
    LayerSummary,
    SentryInit,
    UnreadableFile,
)
from autocapture._audit._options import AuditOptions
from autocapture._audit._runtime import Runtime, background_verdict, build_runtime
from autocapture._audit._syntax import is_migration, read_source
from autocapture._audit._verdict import Context, GapDraft, judge
from autocapture._audit._visitor import DEFAULT_FAILED_STATUS_CODES, visit_module

if TYPE_CHECKING:
    from collections.abc import Iterable

    from autocapture._audit._facts import ModuleFacts
    from autocapture._audit._files import SourceFile


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


def _locate(
    source: SourceFile,
    data: bytes,
    drafts: list[tuple[Optional[str], GapDraft]],
) -> list[Gap]:
    """Turn gap drafts into gaps: fingerprint each, and honour ``ignore`` comments.

    Args:
        source: The file.
        data: Its bytes.
        drafts: ``(enclosing function, draft)`` pairs.

    Returns:
        The gaps (accepted ones carry the comment's reason in ``accepted``).
    """
    if not drafts:
        return []
    lines = data.decode("utf-8", "replace").splitlines()
    seen: dict[tuple[Optional[str], str, str], int] = {}
    gaps: list[Gap] = []
    for function, draft in drafts:
        text = normalized(lines, draft.start, draft.end)
        key = (function, draft.kind, text)
        nth = seen.get(key, 0)
        seen[key] = nth + 1
        gaps.append(
            Gap(
                path=source.rel,
                line=draft.line,
                kind=draft.kind,
                severity=draft.severity,
                detail=draft.detail,
                fix=draft.fix,
                function=function,
                fingerprint=fingerprint(source.rel, function, draft.kind, text, nth),
                accepted=ignore_comment(lines, draft.line, draft.kind),
            )
        )
    return gaps


def _module_gaps(
    source: SourceFile, facts: ModuleFacts, data: bytes, context: Context, runtime: Runtime
) -> tuple[list[Handler], list[BackgroundStart], list[Gap]]:
    """Judge one module's handlers and background starts.

    Args:
        source: The file.
        facts: Its facts.
        data: Its bytes.
        context: What the code base tells its handlers.
        runtime: What is captured at run time.

    Returns:
        The handlers, the background starts and the gaps.
    """
    handlers: list[Handler] = []
    drafts: list[tuple[Optional[str], GapDraft]] = []
    for raw in facts.handlers:
        handler, more = judge(raw, source.rel, source.layer, context)
        handlers.append(handler)
        drafts.extend((raw.function, d) for d in more)
    starts: list[BackgroundStart] = []
    for raw_start in facts.background:
        captured, reason = background_verdict(raw_start, facts, runtime)
        starts.append(
            BackgroundStart(
                source.rel, raw_start.line, source.layer, raw_start.call, raw_start.target,
                captured, reason,
            )
        )  # fmt: skip
        if not captured:
            # Request background tasks and threads may still reach an integration.
            call = raw_start.call
            soft = call.endswith("add_task") or call.startswith("threading.")
            target = raw_start.target or "the target"
            drafts.append(
                (
                    None,
                    GapDraft(
                        raw_start.line,
                        "background",
                        "medium" if soft else "high",
                        f"{call}({raw_start.target or '...'}) without capture: {reason}",
                        f"decorate {target} with @auto_capture_errors, or start it through "
                        "autocapture.tasks",
                        raw_start.line,
                        raw_start.line,
                    ),
                )
            )
    gaps = _locate(source, data, drafts)
    accepted: dict[tuple[int, str], str] = {
        (g.line, g.kind): g.accepted for g in gaps if g.accepted
    }
    if accepted:
        # An accepted gap's handler is not counted: the team has said why it is fine.
        handlers = [
            replace(h, counted=False, accepted=accepted[h.line, k])
            if h.counted and (k := _kind_at(gaps, h.line)) and (h.line, k) in accepted
            else h
            for h in handlers
        ]
    return handlers, starts, gaps


def _kind_at(gaps: list[Gap], line: int) -> Optional[str]:
    """Find the handler gap (not a chain_lost or log_reraise note) on a line.

    Args:
        gaps: The module's gaps.
        line: A handler's line.

    Returns:
        The kind, or ``None``.
    """
    return next(
        (g.kind for g in gaps if g.line == line and g.kind not in {"chain_lost", "log_reraise"}),
        None,
    )


def _parse_all(
    found: list[SourceFile], options: AuditOptions
) -> tuple[
    list[SourceFile], list[str], list[tuple[SourceFile, ModuleFacts, bytes]], list[UnreadableFile]
]:
    """Read, parse and walk every file once.

    Args:
        found: The files discovered.
        options: The audit options.

    Returns:
        The audited files, the migration scripts left out, the parsed files with their
        facts and bytes, and the files that could not be parsed.
    """
    sources: list[SourceFile] = []
    migrations: list[str] = []
    parsed: list[tuple[SourceFile, ModuleFacts, bytes]] = []
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
            for source in found:
                tree, data, failure = read_source(source)
                if not options.include_migrations and is_migration(data):
                    migrations.append(source.rel)
                    continue
                sources.append(source)
                if tree is None:
                    unreadable.append(failure or UnreadableFile(source.rel, 0, "unreadable"))
                    continue
                try:
                    facts = visit_module(tree, data, source.rel, options)
                except RecursionError:
                    unreadable.append(UnreadableFile(source.rel, 0, "RecursionError: too deep"))
                    continue
                parsed.append((source, facts, data))
                del tree
    finally:
        if gc_was_enabled:
            gc.enable()
    return sources, migrations, parsed, unreadable


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
    sources, migrations, parsed, unreadable = _parse_all(discover(path, options), options)
    inits = [
        SentryInit(
            s.rel, i.line, i.default_integrations, i.logging_event_level,
            i.failed_request_status_codes,
        )
        for s, f, _ in parsed
        for i in f.inits
    ]  # fmt: skip
    middleware = [
        CaptureMiddleware(s.rel, m.line, m.name, m.captures_http_5xx)
        for s, f, _ in parsed
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
    runtime = build_runtime([f for _, f, _ in parsed], logging_assumption.value)
    handlers: list[Handler] = []
    background: list[BackgroundStart] = []
    gaps: list[Gap] = [
        Gap(
            u.path, u.line, "unreadable", "medium", f"not audited: {u.error}",
            fix="run the audit on the Python the code needs"
            if "needs Python" in u.error
            else "fix the file so that it parses",
            fingerprint=fingerprint(u.path, None, "unreadable", "", 0),
        )
        for u in unreadable
    ]  # fmt: skip
    for source, facts, data in parsed:
        context = Context(
            assumptions, runtime.mapped, facts.module in runtime.instrumented_modules
        )
        if context.instrumented:
            facts.has_capture = True
        more_handlers, more_starts, more_gaps = _module_gaps(source, facts, data, context, runtime)
        handlers.extend(more_handlers)
        background.extend(more_starts)
        gaps.extend(more_gaps)
    severity_rank = {s: i for i, s in enumerate(SEVERITIES)}
    kind_rank = {k: i for i, k in enumerate(GAP_KINDS)}
    gaps.sort(key=lambda g: (severity_rank[g.severity], kind_rank[g.kind], g.path, g.line))
    return AuditReport(
        root=path,
        layers=_layers(options, sources, parsed, unreadable, handlers),
        handlers=tuple(sorted(handlers, key=lambda h: (h.path, h.line))),
        background=tuple(background),
        unreadable=tuple(unreadable),
        gaps=tuple(g for g in gaps if g.accepted is None),
        assumptions=assumptions,
        accepted=tuple(g for g in gaps if g.accepted is not None),
        migrations=tuple(migrations),
    )


def _layers(
    options: AuditOptions,
    sources: list[SourceFile],
    parsed: list[tuple[SourceFile, ModuleFacts, bytes]],
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
    for source, facts, _ in parsed:
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
