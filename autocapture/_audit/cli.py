"""The ``autocapture audit`` command line.

``main(argv)`` takes the arguments after the word ``audit``, prints the report on
standard output and returns the exit status: 0, 1 when the coverage is under
``--fail-under``, 2 on bad usage (one line on standard error). It never raises
``SystemExit``. The arguments and their parsing are in ``_arguments``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from autocapture._audit._arguments import (
    MAX_PERCENT,
    PROG,
    ParserExitError,
    UsageError,
    build_parser,
)
from autocapture._audit._baseline import baseline_text, load_baseline, new_gaps
from autocapture._audit._options import (
    DEFAULT_CAPTURE_HELPERS,
    DEFAULT_DECORATORS,
    AuditOptions,
    override_layers,
)

if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence

    from autocapture._audit._model import AuditReport


def _check_output(report_format: str, output: Optional[str]) -> None:
    """Check that ``--output`` is given with ``--format html``, and only then.

    Args:
        report_format: The ``--format`` value.
        output: The ``--output`` value.

    Raises:
        UsageError: When one is given without the other.
    """
    if report_format == "html" and output is None:
        raise UsageError("--format html needs --output DIR")
    if report_format != "html" and output is not None:
        raise UsageError("--output is only for --format html (other formats print to stdout)")


def _write(text: str) -> None:
    """Print text on standard output, whatever its encoding can represent.

    Args:
        text: The text (a newline is added).
    """
    try:
        sys.stdout.write(text + "\n")
    except UnicodeEncodeError:
        encoding = getattr(sys.stdout, "encoding", None) or "ascii"
        sys.stdout.write((text + "\n").encode(encoding, "backslashreplace").decode(encoding))
    sys.stdout.flush()


def main(argv: Sequence[str]) -> int:
    """Run ``autocapture audit`` with the arguments that follow the word ``audit``.

    Args:
        argv: The arguments, e.g. ``["src", "--format", "json"]``.

    Returns:
        The exit status: 0, 1 when under ``--fail-under``, 2 on bad usage.
    """
    try:
        args = build_parser().parse_args(list(argv))
        layers = override_layers(dict(args.layer))
        _check_output(args.format, args.output)
    except ParserExitError as exc:
        return exc.status
    except (UsageError, ValueError) as exc:
        return _usage(str(exc))
    options = AuditOptions(
        layers=layers,
        excludes=tuple(args.exclude),
        default_excludes=not args.no_default_excludes,
        capture_helpers=(*DEFAULT_CAPTURE_HELPERS, *args.capture_helper),
        decorators=(*DEFAULT_DECORATORS, *args.decorator),
        assume_logging_captured=args.assume_logging_captured,
        assume_http_5xx_captured=args.assume_http_5xx_captured,
        include_migrations=args.include_migrations,
    )
    try:
        return _run(args, options)
    except UsageError as exc:
        return _usage(str(exc))


def _run(args: argparse.Namespace, options: AuditOptions) -> int:
    """Audit, print the report, write the baseline, and decide the exit status.

    Args:
        args: The parsed arguments.
        options: The audit options.

    Returns:
        0 or 1 (see :func:`_verdict`).

    Raises:
        UsageError: On a bad layer name, baseline, path or ``--sarif-root``.
    """
    from autocapture._audit._engine import run_audit

    unknown = [name for name, _ in args.fail_under if name and name not in options.layer_names]
    if unknown:
        raise UsageError(
            f"--fail-under: unknown layer {unknown[0]!r} "
            f"(layers: {', '.join(options.layer_names)})"
        )
    try:
        known = None if args.baseline is None else load_baseline(args.baseline)
        report = run_audit(args.path, options)
        text = _render(report, args)
    except FileNotFoundError:
        raise UsageError(f"no such file or directory: {args.path!r}") from None
    except ValueError as exc:  # a BaselineError, or PATH outside --sarif-root
        raise UsageError(str(exc)) from None
    _write(text)
    if args.write_baseline is not None:
        try:
            Path(args.write_baseline).write_text(baseline_text(report), encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write baseline {args.write_baseline!r}: {exc}") from None
    return _verdict(report, args.fail_under, known)


def _usage(message: str) -> int:
    """Print a usage error.

    Args:
        message: The one line.

    Returns:
        Exit status 2.
    """
    sys.stderr.write(f"{PROG}: error: {message}\n")
    return 2


def _render(report: AuditReport, args: argparse.Namespace) -> str:
    """Render the report in the asked format.

    Args:
        report: The report.
        args: The parsed arguments.

    Returns:
        The text to print.

    Raises:
        ValueError: When the audited path is not inside ``--sarif-root``.
        UsageError: When the HTML report cannot be written.
    """
    if args.format == "html":
        from autocapture._audit._html import render_html

        try:
            index = render_html(report, args.output)
        except OSError as exc:
            why = exc.strerror or str(exc)
            raise UsageError(f"cannot write the report to {args.output!r}: {why}") from None
        return f"HTML report written: {index}"
    if args.format == "json":
        from autocapture._audit._report import render_json

        return render_json(report)
    if args.format == "sarif":
        from autocapture._audit._sarif import git_root, render_sarif, uri_prefix

        root = args.sarif_root if args.sarif_root is not None else git_root(args.path)
        return render_sarif(report, uri_prefix(args.path, root))
    from autocapture._audit._report import render_text

    return render_text(report)


def _verdict(
    report: AuditReport,
    thresholds: list[tuple[Optional[str], float]],
    known: Optional[frozenset[str]],
) -> int:
    """Decide the exit status, saying on standard error why it is 1.

    Args:
        report: The report.
        thresholds: ``(layer or None, percent)`` pairs from ``--fail-under``.
        known: The baseline's fingerprints, if one was given.

    Returns:
        0, or 1 when a threshold is missed, a file was not audited under a threshold,
        or a gap is not in the baseline.
    """
    failures: list[str] = []
    if thresholds and report.unreadable:
        failures.append(
            f"{len(report.unreadable)} file(s) not audited (could not be parsed), "
            f"e.g. {report.unreadable[0].path}: {report.unreadable[0].error}"
        )
    layers = {layer.name: layer for layer in report.layers}
    for name, percent in thresholds:
        coverage = report.coverage if name is None else layers[name].coverage
        if MAX_PERCENT * coverage < percent:
            where = "coverage" if name is None else f"{name} coverage"
            failures.append(f"{where} {MAX_PERCENT * coverage:.1f}% is under {percent:g}%")
    if known is not None:
        fresh = new_gaps(report, known)
        if fresh:
            noun = "gap" if len(fresh) == 1 else "gaps"
            failures.append(f"{len(fresh)} new {noun} not in the baseline:")
            failures += [f"  {g.path}:{g.line}: {g.kind}: {g.detail}" for g in fresh]
    for line in failures:
        sys.stderr.write(f"{PROG}: {line}\n")
    return 1 if failures else 0
