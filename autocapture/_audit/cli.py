"""The ``autocapture audit`` command line.

``main(argv)`` takes the arguments after the word ``audit``, prints the report on
standard output and returns the exit status: 0, 1 when the coverage is under
``--fail-under``, 2 on bad usage (one line on standard error). It never raises
``SystemExit``.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, NoReturn, Optional

from autocapture._audit._options import (
    DEFAULT_CAPTURE_HELPERS,
    DEFAULT_DECORATORS,
    AuditOptions,
    override_layers,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

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
        "--format", choices=("text", "json", "sarif"), default="text", help="report format"
    )
    parser.add_argument(
        "--fail-under",
        metavar="PCT",
        type=_percentage,
        default=None,
        help="exit 1 when the share of counted handlers that reach the tracker is under PCT",
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
    from autocapture._audit._engine import run_audit

    try:
        args = build_parser().parse_args(list(argv))
        layers = override_layers(dict(args.layer))
    except _ParserExitError as exc:
        return exc.status
    except (UsageError, ValueError) as exc:
        sys.stderr.write(f"{PROG}: error: {exc}\n")
        return 2
    options = AuditOptions(
        layers=layers,
        excludes=tuple(args.exclude),
        default_excludes=not args.no_default_excludes,
        capture_helpers=(*DEFAULT_CAPTURE_HELPERS, *args.capture_helper),
        decorators=(*DEFAULT_DECORATORS, *args.decorator),
        assume_logging_captured=args.assume_logging_captured,
        assume_http_5xx_captured=args.assume_http_5xx_captured,
    )
    try:
        report = run_audit(args.path, options)
    except FileNotFoundError:
        sys.stderr.write(f"{PROG}: error: no such file or directory: {args.path!r}\n")
        return 2
    if args.format == "json":
        from autocapture._audit._report import render_json

        _write(render_json(report))
    elif args.format == "sarif":
        from autocapture._audit._sarif import render_sarif

        _write(render_sarif(report))
    else:
        from autocapture._audit._report import render_text

        _write(render_text(report))
    if args.fail_under is not None and _MAX_PERCENT * report.coverage < args.fail_under:
        return 1
    return 0
