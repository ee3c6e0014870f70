"""The ``autocapture audit`` arguments: the parser and the parsing of each flag's value.

The parser raises instead of exiting the interpreter (``UsageError`` for bad usage,
``ParserExitError`` after ``--help``), so that ``cli.main`` can return a status.
"""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn, Optional

from autocapture._audit._options import DEFAULT_CAPTURE_HELPERS, DEFAULT_DECORATORS

__all__ = ["MAX_PERCENT", "PROG", "ParserExitError", "UsageError", "build_parser"]

PROG = "autocapture audit"

MAX_PERCENT = 100.0

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


class ParserExitError(Exception):
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
            ParserExitError: Always.
        """
        if message:
            sys.stderr.write(message)
        raise ParserExitError(status)


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
    if not 0.0 <= value <= MAX_PERCENT:
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
