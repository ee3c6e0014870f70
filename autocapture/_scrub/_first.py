"""`first_class`: what the first character a regex consumes can be, as a class.

`_text._build_pattern` puts a lookahead on it after each anchor of the combined pattern
(`.(?=[A-Za-z0-9_-])(?:...)`): a sentence's final dot or a spaced dash is then rejected
by one test instead of trying each branch's lookbehinds. It is derived from the parsed
shapes, so a new row in the table needs nothing here; a branch whose first character is
not known (only zero-width, a negated class, case-insensitive) gets no lookahead at all.
"""

from __future__ import annotations

import functools
import importlib
import re
from typing import Any, Optional

from autocapture._scrub._lazy import LazyPattern

__all__ = ["first_class", "union"]

_ZERO_WIDTH = frozenset(("ASSERT", "ASSERT_NOT", "AT"))
_REPEATS = frozenset(("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"))
_CATEGORIES = {"CATEGORY_DIGIT": r"\d", "CATEGORY_WORD": r"\w", "CATEGORY_SPACE": r"\s"}


@functools.lru_cache(maxsize=512)
def first_class(pattern: str) -> Optional[str]:
    r"""The contents of a character class holding every first character `pattern` consumes.

    Args:
        pattern: A regex (one branch of the combined pattern, after its anchor).

    Returns:
        Class contents such as `A-Za-z0-9_\\-`, or None when unknown.
    """
    try:
        parser: Any = importlib.import_module("re._parser")
    except ImportError:  # Python < 3.11
        parser = importlib.import_module("sre_parse")
    try:
        return _first(list(parser.parse(pattern)))
    except Exception:
        return None


def union(classes: list[str]) -> str:
    """Class contents holding each of `classes` (contents of `first_class`), without repeats.

    Args:
        classes: Class contents, each a concatenation of escaped items.

    Returns:
        Their union; shorter than the concatenation, so it compiles faster.
    """
    tokens: dict[str, None] = {}
    for contents in classes:
        for token in _TOKEN_RE.get().findall(contents):
            tokens[token] = None
    return "".join(tokens)


# One item of class contents as `_contents` writes them: a range, an escape, a character.
_TOKEN_RE = LazyPattern(r"(?:\\.|[^\\])-(?:\\.|[^\\])|\\.|[^\\]")


def _first(items: list[Any]) -> Optional[str]:  # noqa: PLR0911 - one answer per op
    for op, arg in items:
        name = str(op)
        if name in _ZERO_WIDTH:
            continue
        if name == "LITERAL":
            return re.escape(chr(arg))
        if name == "IN":
            return _contents(arg)
        if name in _REPEATS:
            low, _high, sub = arg
            return _first(list(sub)) if low >= 1 else None
        if name == "SUBPATTERN":
            _group, add_flags, _del_flags, sub = arg
            return None if add_flags & re.IGNORECASE else _first(list(sub))
        if name == "BRANCH":
            parts = [_first(list(branch)) for branch in arg[1]]
            return None if any(part is None for part in parts) else "".join(parts)  # type: ignore[arg-type]
        return None
    return None  # zero-width only: any character may follow


def _contents(items: list[Any]) -> Optional[str]:
    out: list[str] = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            out.append(re.escape(chr(arg)))
        elif name == "RANGE":
            out.append(f"{re.escape(chr(arg[0]))}-{re.escape(chr(arg[1]))}")
        elif name == "CATEGORY" and str(arg) in _CATEGORIES:
            out.append(_CATEGORIES[str(arg)])
        else:  # NEGATE, other categories: unknown
            return None
    return "".join(out)
