"""The audit pipeline: files -> facts -> assumptions -> classified handlers and gaps.

Each file is read once as bytes and parsed once (``ast.parse`` applies PEP 263 coding
cookies and the UTF-8 BOM itself, exactly as the interpreter would); the facts of every
module are gathered first, because the assumptions (``_assumptions``: how Sentry is
initialised, which middleware is installed) and background targets (decorated in another
module?) are only known once the whole code base has been read. Each module is then
judged (``_gaps``) and the layers summed.
"""

from __future__ import annotations

import gc
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from autocapture._audit._assumptions import http_assumption, logging_assumption
from autocapture._audit._files import discover
from autocapture._audit._gaps import module_gaps
from autocapture._audit._marks import fingerprint
from autocapture._audit._model import (
    GAP_KINDS,
    HANDLER_CLASSES,
    SEVERITIES,
    Assumption,
    Assumptions,
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
from autocapture._audit._runtime import build_runtime
from autocapture._audit._syntax import is_migration, read_source
from autocapture._audit._verdict import Context
from autocapture._audit._visitor import visit_module

if TYPE_CHECKING:
    from autocapture._audit._facts import ModuleFacts
    from autocapture._audit._files import SourceFile

__all__ = ["run_audit"]


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
    logging_captured, level = logging_assumption(inits, options)
    http_captured, codes = http_assumption(inits, middleware, options)
    assumptions = Assumptions(
        reraise_reaches=Assumption(
            value=True,
            source="default",
            reason="a re-raised error propagates to its callers, whose handlers are audited too, "
            "and an unhandled error reaches the SDK or a middleware",
        ),
        logging_captured=logging_captured,
        logging_event_level=level,
        http_5xx_captured=http_captured,
        http_5xx_status_codes=codes,
        sentry_inits=tuple(inits),
        middleware=tuple(middleware),
    )
    runtime = build_runtime([f for _, f, _ in parsed], logging_captured.value)
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
        more_handlers, more_starts, more_gaps = module_gaps(source, facts, data, context, runtime)
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
