"""Reading one file: parse it, or say why not (and which Python its syntax needs).

A file the running Python cannot parse is often fine on a newer one (``type X = ...``,
``def f[T]()``, nested f-string quotes, ``except A, B:``). The parser's message does not
say so; a table of known constructs, tried on the file's text, does.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from autocapture._audit._model import UnreadableFile

if TYPE_CHECKING:
    from autocapture._audit._files import SourceFile

_REPARSE_ERRORS = (SyntaxError, ValueError, UnicodeError, LookupError, RecursionError, MemoryError)

# (Python version, what it added, a pattern of the construct in the file's text), newest
# first. A pattern is only believed when the running Python is older than the version.
NEWER_SYNTAX: tuple[tuple[tuple[int, int], str, re.Pattern[bytes]], ...] = (
    (
        (3, 14),
        "PEP 758 except without parentheses",
        re.compile(
            rb"^[ \t]*except\*?[ \t]+[\w.]+[ \t]*,[ \t]*[\w.]+(?:[ \t]*,[ \t]*[\w.]+)*[ \t]*:",
            re.MULTILINE,
        ),
    ),
    ((3, 14), "PEP 750 template strings", re.compile(rb"(?<![\w'\"])[tT][rR]?(?:'|\")")),
    (
        (3, 12),
        "PEP 695 type parameter syntax",
        re.compile(
            rb"^[ \t]*(?:type[ \t]+\w+[ \t]*(?:\[[^\]\n]*\])?[ \t]*="
            rb"|(?:async[ \t]+)?def[ \t]+\w+[ \t]*\[|class[ \t]+\w+[ \t]*\[)",
            re.MULTILINE,
        ),
    ),
    (
        (3, 12),
        "PEP 701 f-strings",
        re.compile(rb"""[fF][rR]?("|')[^\n]*?\{[^}\n]*\1"""),
    ),
    ((3, 11), "PEP 654 except*", re.compile(rb"^[ \t]*except[ \t]*\*", re.MULTILINE)),
    (
        (3, 10),
        "PEP 634 match statements",
        re.compile(rb"^[ \t]*match[ \t]+[^\n=]*:[ \t]*$", re.MULTILINE),
    ),
)
"""Syntax that needs a newer Python than some that run the audit, as data."""

_MIGRATION = (
    re.compile(rb"^down_revision\s*[:=]", re.MULTILINE),
    re.compile(rb"^class\s+Migration\s*\(\s*migrations\.Migration\s*\)", re.MULTILINE),
)
_ALEMBIC_REVISION = re.compile(rb"^revision\s*[:=]", re.MULTILINE)


def is_migration(data: bytes) -> bool:
    """Tell whether a file is a database migration script, by what it holds.

    Args:
        data: The file's bytes.

    Returns:
        True for an alembic revision (module-level ``revision`` and ``down_revision``) and
        a Django migration (``class Migration(migrations.Migration)``).
    """
    alembic, django = _MIGRATION
    if alembic.search(data) and _ALEMBIC_REVISION.search(data):
        return True
    return bool(django.search(data))


def needed_python(data: bytes, running: tuple[int, int] = sys.version_info[:2]) -> str:
    """Say which Python a file that does not parse may need, when a known construct shows.

    Args:
        data: The file's bytes.
        running: The running Python's version.

    Returns:
        ``"needs Python 3.12+ (PEP 695 type parameter syntax)"``, or ``""``.
    """
    for version, what, pattern in NEWER_SYNTAX:
        if running < version and pattern.search(data):
            return f"needs Python {version[0]}.{version[1]}+ ({what})"
    return ""


def read_source(
    source: SourceFile,
) -> tuple[Optional[ast.Module], bytes, Optional[UnreadableFile]]:
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
        needs = needed_python(data)
        running = f"the audit runs on Python {sys.version_info[0]}.{sys.version_info[1]}"
        if needs:
            message = f"{message} ({needs}; {running})"
        return None, data, UnreadableFile(source.rel, exc.lineno or 0, f"SyntaxError: {message}")
    except _REPARSE_ERRORS as exc:
        message = (str(exc) or type(exc).__name__).splitlines()[0]
        # Before Python 3.12 the parser rejects NUL bytes with a ValueError; call it what
        # newer versions call it, so the report does not depend on the interpreter.
        kind = "SyntaxError" if isinstance(exc, ValueError) else type(exc).__name__
        return None, data, UnreadableFile(source.rel, 0, f"{kind}: {message}")
