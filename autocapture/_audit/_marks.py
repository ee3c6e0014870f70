"""What a gap's source says about it: a stable fingerprint, and ``ignore`` comments.

A fingerprint must survive line moves (code added above a handler, a reformatted file)
so that a baseline keeps matching: it hashes the path, the enclosing function, the gap's
kind and the handler's (or call's) source with whitespace and comments removed, never the
line number. Identical handlers in one function are told apart by their order.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from collections.abc import Sequence

IGNORE_COMMENT = re.compile(r"#\s*autocapture:\s*ignore\[([^\]]*)\][ \t]*(.*)$")
"""``# autocapture: ignore[KIND,KIND] reason`` on the gap's line."""

_COMMENT = re.compile(r"[ \t]*#.*$")
_SPACE = re.compile(r"\s+")


def normalized(lines: Sequence[str], start: int, end: int) -> str:
    """Spell a line range without comments, blank lines or inner whitespace differences.

    Args:
        lines: The file's lines.
        start: The first line, 1-based.
        end: The last line, inclusive.

    Returns:
        The normalised source.
    """
    out = []
    for line in lines[max(start - 1, 0) : max(end, start)]:
        # A '#' inside a string is rare in a handler; dropping what follows keeps
        # fingerprints stable when an ignore comment is added or edited.
        text = _SPACE.sub(" ", _COMMENT.sub("", line)).strip()
        if text:
            out.append(text)
    return "\n".join(out)


def fingerprint(path: str, function: Optional[str], kind: str, source: str, nth: int) -> str:
    """Hash a gap's identity.

    Args:
        path: The file, relative to the audited root.
        function: The enclosing function's qualified name, if any.
        kind: The gap kind.
        source: The normalised source of the handler or call.
        nth: Which of identical gaps this is (0 for the first).

    Returns:
        32 hex digits.
    """
    text = "\0".join((path, function or "", kind, source, str(nth)))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def ignore_comment(lines: Sequence[str], line: int, kind: str) -> Optional[str]:
    """Find an ``# autocapture: ignore[KIND] reason`` comment that accepts a gap.

    Args:
        lines: The file's lines.
        line: The gap's line, 1-based.
        kind: The gap's kind.

    Returns:
        The reason, or ``None`` when no comment accepts this kind here. A comment
        without a reason accepts nothing: the reason is the point.
    """
    if not 0 < line <= len(lines):
        return None
    match = IGNORE_COMMENT.search(lines[line - 1])
    if match is None:
        return None
    kinds = {k.strip() for k in match.group(1).split(",")}
    reason = match.group(2).strip()
    if (kind in kinds or "*" in kinds) and reason:
        return reason
    return None
