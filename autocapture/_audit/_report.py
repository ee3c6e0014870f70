"""Text and JSON renderings of an :class:`~autocapture._audit._model.AuditReport`.

The JSON document is versioned by ``schema_version`` (see ``docs/audit.md``): keys are
only ever added within a version; renaming or removing one bumps the version.
"""

from __future__ import annotations

import json
import logging
import textwrap
from typing import TYPE_CHECKING, Any

from autocapture._audit._assumptions import format_statuses, status_ranges
from autocapture._audit._model import GAP_KINDS, HANDLER_CLASSES, SEVERITIES

if TYPE_CHECKING:
    from autocapture._audit._model import Assumption, AuditReport, Gap, LayerSummary

SCHEMA_VERSION = 2
"""The version of the JSON document ``render_json`` prints."""

_WIDTH = 80
_COLUMNS = (
    ("files", 5),
    ("w/capt", 6),
    ("reraise", 7),
    ("captured", 8),
    ("4xx", 4),
    ("5xx", 4),
    ("logged", 6),
    ("swallowed", 9),
    ("reaches", 7),
)


def _assumption_dict(assumption: Assumption) -> dict[str, Any]:
    """Turn an assumption into JSON.

    Args:
        assumption: The assumption.

    Returns:
        ``{"value": ..., "source": ..., "reason": ...}``.
    """
    return {"value": assumption.value, "source": assumption.source, "reason": assumption.reason}


def _layer_dict(layer: LayerSummary) -> dict[str, Any]:
    """Turn a layer summary into JSON.

    Args:
        layer: The summary.

    Returns:
        The layer's JSON object.
    """
    return {
        "files": layer.files,
        "files_with_capture": layer.files_with_capture,
        "unreadable": layer.unreadable,
        "handlers": {name: layer.handlers[name] for name in HANDLER_CLASSES},
        "counted": layer.counted,
        "reached": layer.reached,
        "coverage": round(layer.coverage, 4),
    }


def gap_to_dict(gap: Gap) -> dict[str, Any]:
    """Turn a gap into JSON.

    Args:
        gap: The gap.

    Returns:
        The gap's JSON object.
    """
    return {
        "path": gap.path,
        "line": gap.line,
        "kind": gap.kind,
        "severity": gap.severity,
        "detail": gap.detail,
        "fix": gap.fix,
        "function": gap.function,
        "fingerprint": gap.fingerprint,
        "accepted": gap.accepted,
    }


def report_to_dict(report: AuditReport) -> dict[str, Any]:
    """Turn a report into the JSON document of schema version 2.

    Args:
        report: The report.

    Returns:
        A JSON-compatible dict.
    """
    a = report.assumptions
    return {
        "schema_version": SCHEMA_VERSION,
        "root": report.root,
        "files": report.files,
        "coverage": round(report.coverage, 4),
        "counted": report.counted,
        "reached": report.reached,
        "assumptions": {
            "reraise_reaches": _assumption_dict(a.reraise_reaches),
            "logging_captured": {
                **_assumption_dict(a.logging_captured),
                "event_level": logging.getLevelName(a.logging_event_level),
            },
            "http_5xx_captured": {
                **_assumption_dict(a.http_5xx_captured),
                "status_codes": [list(r) for r in status_ranges(a.http_5xx_status_codes)],
            },
            "sentry_init": [
                {
                    "path": i.path,
                    "line": i.line,
                    "default_integrations": i.default_integrations,
                    "logging_event_level": None
                    if i.logging_event_level is None
                    else logging.getLevelName(i.logging_event_level),
                    "failed_request_status_codes": None
                    if i.failed_request_status_codes is None
                    else [list(r) for r in status_ranges(i.failed_request_status_codes)],
                }
                for i in a.sentry_inits
            ],
            "capture_middleware": [
                {
                    "path": m.path,
                    "line": m.line,
                    "name": m.name,
                    "captures_http_5xx": m.captures_http_5xx,
                }
                for m in a.middleware
            ],
        },
        "layers": {layer.name: _layer_dict(layer) for layer in report.layers},
        "handlers": [
            {
                "path": h.path,
                "line": h.line,
                "layer": h.layer,
                "class": h.handler_class,
                "caught": h.caught,
                "function": h.function,
                "status": h.status,
                "counted": h.counted,
                "reaches": h.reaches,
                "reached_by": h.reached_by,
                "reaches_as": h.reaches_as,
                "accepted": h.accepted,
            }
            for h in report.handlers
        ],
        "background": [
            {
                "path": b.path,
                "line": b.line,
                "layer": b.layer,
                "call": b.call,
                "target": b.target,
                "captured": b.captured,
                "reason": b.reason,
            }
            for b in report.background
        ],
        "unreadable": [
            {"path": u.path, "line": u.line, "error": u.error} for u in report.unreadable
        ],
        "gaps": [gap_to_dict(g) for g in report.gaps],
        "accepted": [gap_to_dict(g) for g in report.accepted],
        "migrations": list(report.migrations),
    }


def render_json(report: AuditReport) -> str:
    """Render a report as the JSON document of schema version 2.

    Args:
        report: The report.

    Returns:
        Indented JSON text, without a trailing newline.
    """
    return json.dumps(report_to_dict(report), indent=2, ensure_ascii=False)


def _count(number: int, noun: str) -> str:
    """Spell a count with its noun, singular or plural.

    Args:
        number: The count.
        noun: The singular noun.

    Returns:
        ``1 file`` or ``3 files``.
    """
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _percent(reached: int, counted: int) -> str:
    """Spell a share as a percentage.

    Args:
        reached: The numerator.
        counted: The denominator.

    Returns:
        ``87.5%``, or ``-`` when nothing counts.
    """
    return f"{100.0 * reached / counted:.1f}%" if counted else "-"


def _wrap(text: str, indent: str = "", hanging: str = "    ") -> list[str]:
    """Wrap one line to the terminal width.

    Args:
        text: The text.
        indent: The first line's indent.
        hanging: The following lines' indent.

    Returns:
        The wrapped lines.
    """
    return textwrap.wrap(
        text,
        width=_WIDTH,
        initial_indent=indent,
        subsequent_indent=indent + hanging,
        break_long_words=False,
        break_on_hyphens=False,
    )


def _table(report: AuditReport) -> list[str]:
    """Lay out the per-layer summary table.

    Args:
        report: The report.

    Returns:
        The table's lines.
    """
    first = max(9, *(len(layer.name) for layer in report.layers))
    lines = [f"{'layer':<{first}} " + " ".join(f"{h:>{w}}" for h, w in _COLUMNS)]

    def row(name: str, values: list[str]) -> str:
        return f"{name:<{first}} " + " ".join(f"{v:>{w}}" for v, (_, w) in zip(values, _COLUMNS))

    for layer in report.layers:
        values = [str(layer.files), str(layer.files_with_capture)]
        values += [str(layer.handlers[c]) for c in HANDLER_CLASSES]
        values.append(_percent(layer.reached, layer.counted))
        lines.append(row(layer.name, values))
    totals = [str(report.files), str(sum(layer.files_with_capture for layer in report.layers))]
    totals += [str(sum(layer.handlers[c] for layer in report.layers)) for c in HANDLER_CLASSES]
    totals.append(_percent(report.reached, report.counted))
    lines.append("-" * len(lines[0]))
    lines.append(row("total", totals))
    return lines


def render_text(report: AuditReport) -> str:
    """Render a report for a terminal: table, coverage, assumptions, then gaps, worst first.

    Args:
        report: The report.

    Returns:
        Text whose lines fit 80 columns (a path longer than that stays whole).
    """
    handlers = len(report.handlers)
    title = (
        f"autocapture audit of {report.root}: {_count(report.files, 'file')}, "
        f"{_count(handlers, 'handler')}"
    )
    # The root is shown as given, and a CI checkout can make it long: wrap it like
    # every other line so the counts are not pushed past the terminal's edge.
    lines = [*_wrap(title, hanging="  "), ""]
    lines += _table(report)
    lines.append("")
    not_counted = handlers - report.counted
    coverage = (
        f"Coverage: {_percent(report.reached, report.counted)} of {report.counted} counted "
        "handlers reach the tracker"
    )
    if not_counted:
        coverage += (
            f" ({not_counted} not counted: intentional 4xx conversions of specific errors and "
            "control-flow exceptions)"
        )
    lines += _wrap(coverage + ".", hanging="  ")
    captured = sum(b.captured for b in report.background)
    starts = len(report.background)
    lines += _wrap(
        f"Background work: {_count(starts, 'start')}, {starts - captured} without capture.",
        hanging="  ",
    )
    if report.unreadable:
        lines += _wrap(
            f"Unreadable files: {len(report.unreadable)} (listed in the gaps; they fail "
            "--fail-under).",
            hanging="  ",
        )
    if report.migrations:
        lines += _wrap(
            f"Migration scripts left out: {len(report.migrations)} (--include-migrations "
            "reads them).",
            hanging="  ",
        )
    if report.accepted:
        lines += _wrap(
            "Accepted by '# autocapture: ignore' comments: "
            f"{_count(len(report.accepted), 'gap')}.",
            hanging="  ",
        )
    a = report.assumptions
    level = logging.getLevelName(a.logging_event_level)
    statuses = format_statuses(a.http_5xx_status_codes)
    lines += ["", "Assumptions:"]
    for label, assumption in (
        ("re-raised errors reach the tracker", a.reraise_reaches),
        (f"errors logged with traceback at {level}+ reach the tracker", a.logging_captured),
        (
            f"HTTP {statuses} errors raised in the app reach the tracker"
            if a.http_5xx_status_codes
            else "5xx HTTP errors raised in the app reach the tracker",
            a.http_5xx_captured,
        ),
    ):
        answer = "yes" if assumption.value else "no"
        lines += _wrap(f"- {label}: {answer} ({assumption.source}): {assumption.reason}.", "  ")
    for init in a.sentry_inits:
        logs = (
            "no log events"
            if init.logging_event_level is None
            else f"log events from {logging.getLevelName(init.logging_event_level)}"
        )
        web = (
            "no HTTP integration"
            if init.failed_request_status_codes is None
            else f"HTTP {format_statuses(init.failed_request_status_codes)}"
        )
        defaults = "on" if init.default_integrations else "off"
        lines += _wrap(
            f"- sentry_sdk.init at {init.path}:{init.line}: default integrations {defaults}, "
            f"{logs}, {web}.",
            "  ",
        )
    for middleware in a.middleware:
        what = "unhandled and 5xx errors" if middleware.captures_http_5xx else "unhandled errors"
        lines += _wrap(
            f"- {middleware.name} at {middleware.path}:{middleware.line} captures {what}.", "  "
        )
    lines += ["", *_gap_lines(report)]
    return "\n".join(lines)


def _gap_lines(report: AuditReport) -> list[str]:
    """Lay out the gaps: a summary per kind, then by file (worst first), each with a fix.

    Args:
        report: The report.

    Returns:
        The lines.
    """
    gaps = report.gaps
    lines = [f"Gaps ({len(gaps)}, worst first):"]
    if not gaps:
        lines.append("  none")
        return lines
    for kind in GAP_KINDS:
        of_kind = [g for g in gaps if g.kind == kind]
        if of_kind:
            split = ", ".join(
                f"{n} {s}" for s in SEVERITIES if (n := sum(g.severity == s for g in of_kind))
            )
            lines.append(f"  {kind:<12} {len(of_kind):>5}  ({split})")
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    by_file: dict[str, list[Gap]] = {}
    for gap in gaps:  # already worst first
        by_file.setdefault(gap.path, []).append(gap)
    order = sorted(by_file, key=lambda p: (rank[by_file[p][0].severity], -len(by_file[p]), p))
    for path in order:
        found = by_file[path]
        kinds = ", ".join(f"{n} {k}" for k in GAP_KINDS if (n := sum(g.kind == k for g in found)))
        lines.append("")
        lines += _wrap(f"{path}: {_count(len(found), 'gap')} ({kinds})", hanging="  ")
        for gap in found:
            lines += _wrap(f"{gap.path}:{gap.line}: {gap.kind}: {gap.detail}", "  ")
            lines += _wrap(f"fix: {gap.fix}", "      ", "  ")
    return lines
