"""The ``autocapture`` command: ``demo`` and ``audit``.

Each subcommand's module is imported only when that subcommand runs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

__all__ = ["main"]

_USAGE = """\
usage: autocapture <command> [options]

commands:
  demo     run a small example service whose failures autocapture reports
  audit    answer "are we tracking all errors?" for a code base (autocapture audit -h)

options:
  -h, --help     show this message
  --version      show the version
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``autocapture`` command; a closed output pipe (``| head``) ends it quietly.

    Args:
        argv: The arguments after the program name (default: ``sys.argv[1:]``).

    Returns:
        The exit status: 0 on success, 1 for a failed check, 2 on bad usage.
    """
    try:
        return _main(argv)
    except BrokenPipeError:
        # Python would print a traceback when flushing at exit: point stdout at nothing.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


def _main(argv: Sequence[str] | None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(_USAGE, end="", file=sys.stdout if args else sys.stderr)
        return 0 if args else 2
    command, rest = args[0], args[1:]
    if command == "--version":
        from importlib.metadata import version

        print(f"autocapture {version('autocapture')}")
        return 0
    if command == "demo":
        from autocapture._demo.run import main as demo_main

        return demo_main(rest)
    if command == "audit":
        from autocapture._audit.cli import main as audit_main

        return audit_main(rest)
    print(
        f"autocapture: unknown command {command!r}; choose 'demo' or 'audit' (autocapture --help)",
        file=sys.stderr,
    )
    return 2
