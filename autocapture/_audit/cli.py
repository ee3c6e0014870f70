"""The ``autocapture audit`` command line.

``main(argv)`` takes the arguments after the word ``audit``, prints the report on
standard output and returns the exit status: 0, 1 when the coverage is under
``--fail-under``, 2 on bad usage (one line on standard error). It never raises
``SystemExit``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, Optional

from autocapture._audit._baseline import baseline_text, load_baseline, new_gaps
from autocapture._audit._options import (
    DEFAULT_CAPTURE_HELPERS,
    DEFAULT_DECORATORS,
    AuditOptions,
    override_layers,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from autocapture._audit._model import AuditReport

PROG = "autocapture audit"

_MAX_PERCENT = 100.0

_DESCRIPTION = (
    "Answer 'are we tracking all errors?' for a Python code base, without importing or "
    "running it: every except handler classified, background work started without "
    "capture, and the gaps at file:line."
)
_EPILOG = (
    "exit status: 0; 1 when coverage is under --fail-under; 2 on bad usage. "
    "Report format and classes: docs/audit.md."
)


class UsageError(Exception):
    """Bad command-line usage; its message is the one line printed on standard error."""


class _ParserExitError(Exception):
    """argparse asked to exit (``--help``); carries the status."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class _Parser(argparse.ArgumentParser):
    """An argument parser that raises instead of exiting the interpreter."""

    def error(self, message: str) -> NoReturn:
        """Raise the usage error instead of printing usage and exiting.

        Args:
            message: argparse's message.

        Raises:
            UsageError: Always.
        """
        raise UsageError(message)

    def exit(self, status: int = 0, message: Optional[str] = None) -> NoReturn:
        """Raise instead of exiting (``--help`` has already printed).

        Args:
            status: The exit status.
            message: A message for standard error.

        Raises:
            _ParserExitError: Always.
        """
        if message:
            sys.stderr.write(message)
        raise _ParserExitError(status)


def _threshold(text: str) -> tuple[Optional[str], float]:
    """Parse ``--fail-under``: ``PCT`` (the total) or ``LAYER=PCT``.

    Args:
        text: The flag's value.

    Returns:
        The layer (``None`` for the total) and the percentage.

    Raises:
        argparse.ArgumentTypeError: When it is not of that form.
    """
    layer, sep, value = text.rpartition("=")
    if sep and not layer.strip():
        raise argparse.ArgumentTypeError(f"expected PCT or LAYER=PCT, got {text!r}")
    return (layer.strip() or None), _percentage(value)


def _percentage(text: str) -> float:
    """Parse ``--fail-under``: a number from 0 to 100.

    Args:
        text: The flag's value.

    Returns:
        The percentage.

    Raises:
        argparse.ArgumentTypeError: When it is not a number from 0 to 100.
    """
    try:
        value = float(text.rstrip("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a percentage: {text!r}") from None
    if not 0.0 <= value <= _MAX_PERCENT:
        raise argparse.ArgumentTypeError(f"must be between 0 and 100: {text!r}")
    return value


def _layer(text: str) -> tuple[str, tuple[str, ...]]:
    """Parse ``--layer NAME=FOLDER,FOLDER``.

    Args:
        text: The flag's value.

    Returns:
        The layer name and its folder names.

    Raises:
        argparse.ArgumentTypeError: When it is not of that form.
    """
    name, sep, folders = text.partition("=")
    names = tuple(f.strip() for f in folders.split(",") if f.strip())
    if not sep or not name.strip() or not names:
        raise argparse.ArgumentTypeError(f"expected NAME=FOLDER[,FOLDER...], got {text!r}")
    return name.strip(), names


def _tristate(text: str) -> Optional[bool]:
    """Parse ``yes``/``no``/``auto``.

    Args:
        text: The flag's value.

    Returns:
        True, False, or ``None`` for ``auto`` (detect from the code).

    Raises:
        argparse.ArgumentTypeError: On anything else.
    """
    value = text.strip().lower()
    if value in {"yes", "true", "1"}:
        return True
    if value in {"no", "false", "0"}:
        return False
    if value == "auto":
        return None
    raise argparse.ArgumentTypeError(f"expected yes, no or auto, got {text!r}")


def build_parser() -> argparse.ArgumentParser:
    """Build the ``autocapture audit`` argument parser.

    Returns:
        The parser (it raises :class:`UsageError` instead of exiting).
    """
    parser = _Parser(prog=PROG, description=_DESCRIPTION, epilog=_EPILOG)
    parser.add_argument("path", metavar="PATH", help="the code base (a folder or one file)")
    parser.add_argument(
        "--format",
        choices=("text", "json", "sarif", "html"),
        default="text",
        help="report format (html writes a folder: give --output)",
    )
    parser.add_argument(
        "--output",
        metavar="DIR",
        default=None,
        help="with --format html: the folder to write index.html and the file pages into",
    )
    parser.add_argument(
        "--fail-under",
        metavar="[LAYER=]PCT",
        type=_threshold,
        action="append",
        default=[],
        help=(
            "exit 1 when the share of counted handlers that reach the tracker is under PCT "
            "(of LAYER, e.g. routes=90), or when a file could not be parsed; repeatable"
        ),
    )
    parser.add_argument(
        "--baseline",
        metavar="FILE",
        default=None,
        help="exit 1 when there are gaps not in FILE (written by --write-baseline)",
    )
    parser.add_argument(
        "--write-baseline",
        metavar="FILE",
        default=None,
        help="write today's gaps to FILE, to pass to --baseline later",
    )
    parser.add_argument(
        "--sarif-root",
        metavar="DIR",
        default=None,
        help="folder SARIF paths are relative to (default: the enclosing git repository)",
    )
    parser.add_argument(
        "--include-migrations",
        action="store_true",
        help="also read database migration scripts (alembic revisions, Django migrations)",
    )
    parser.add_argument(
        "--exclude",
        metavar="GLOB",
        action="append",
        default=[],
        help="skip files or folders matching GLOB (relative path or name); repeatable",
    )
    parser.add_argument(
        "--no-default-excludes",
        action="store_true",
        help="also read tests, virtual environments and build folders",
    )
    parser.add_argument(
        "--layer",
        metavar="NAME=FOLDER,...",
        type=_layer,
        action="append",
        default=[],
        help="folder names of a layer (replaces a known layer's, or adds a layer); repeatable",
    )
    parser.add_argument(
        "--capture-helper",
        metavar="NAME",
        action="append",
        default=[],
        help=(
            "another function name (glob) whose call is an explicit capture; default: "
            + ", ".join(DEFAULT_CAPTURE_HELPERS)
        ),
    )
    parser.add_argument(
        "--decorator",
        metavar="NAME",
        action="append",
        default=[],
        help="another capture decorator name; default: " + ", ".join(DEFAULT_DECORATORS),
    )
    parser.add_argument(
        "--assume-logging-captured",
        metavar="yes|no|auto",
        type=_tristate,
        default=None,
        help="whether errors logged with a traceback reach the tracker (default: auto)",
    )
    parser.add_argument(
        "--assume-http-5xx-captured",
        metavar="yes|no|auto",
        type=_tristate,
        default=None,
        help="whether 5xx HTTPExceptions raised in the app reach the tracker (default: auto)",
    )
    return parser


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
    except _ParserExitError as exc:
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
        if _MAX_PERCENT * coverage < percent:
            where = "coverage" if name is None else f"{name} coverage"
            failures.append(f"{where} {_MAX_PERCENT * coverage:.1f}% is under {percent:g}%")
    if known is not None:
        fresh = new_gaps(report, known)
        if fresh:
            noun = "gap" if len(fresh) == 1 else "gaps"
            failures.append(f"{len(fresh)} new {noun} not in the baseline:")
            failures += [f"  {g.path}:{g.line}: {g.kind}: {g.detail}" for g in fresh]
    for line in failures:
        sys.stderr.write(f"{PROG}: {line}\n")
    return 1 if failures else 0
