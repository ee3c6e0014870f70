"""Anchor checks: what a branch of the combined pattern needs around its anchor, as classes.

`_text._build_pattern` puts two cheap tests after each anchor of the combined pattern,
`-(?=[A-Za-z0-9_-])(?<=[ktX...].)(?:...)`: what the next character can be (`first`, the
first character the branches consume) and what the character before the anchor can be
(`before`, read from the branches' lookbehinds: `(?<=sk-)` needs a `k`). A sentence's
final dot, a spaced dash or the dash of a date (`2024-05-14`) is then rejected by one test
instead of trying each branch's lookbehinds. A branch whose first character is not known
(only zero-width, a negated class, case-insensitive) gets no lookahead; one without a
lookbehind lets the before-test pass where its own first character follows.

They are derived from the parsed shapes (`derive`), so a new row in the table needs
nothing here; parsing fifty regexes costs milliseconds on the first scrub, so the results
are stored as data in `_anchor_table` (regenerate it with `python -m
autocapture._scrub._first`; a test re-derives every entry and fails when it is stale).
A pattern missing from the table is derived when it is compiled: slower, never wrong.
"""

from __future__ import annotations

import functools
import importlib
import re
from typing import Any, Optional

from autocapture._scrub._anchor_table import ANCHOR_CHECKS
from autocapture._scrub._lazy import LazyPattern

__all__ = ["anchor_checks", "before_class", "derive", "first_class", "render_table", "union"]

Checks = tuple[Optional[str], Optional[str]]  # (first, before) class contents, or None

_ZERO_WIDTH = frozenset(("ASSERT", "ASSERT_NOT", "AT"))
_REPEATS = frozenset(("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"))
_ONE_CHAR = frozenset(("LITERAL", "NOT_LITERAL", "IN", "ANY"))
_CATEGORIES = {"CATEGORY_DIGIT": r"\d", "CATEGORY_WORD": r"\w", "CATEGORY_SPACE": r"\s"}


def anchor_checks(pattern: str) -> Checks:
    """The checks of one branch: the stored entry, else derived now.

    Args:
        pattern: A branch of the combined pattern, after its anchor.

    Returns:
        `(first, before)`: class contents, or None when unknown.
    """
    checks = ANCHOR_CHECKS.get(pattern)
    return derive(pattern) if checks is None else checks


@functools.lru_cache(maxsize=512)
def derive(pattern: str) -> Checks:
    r"""Derive `(first, before)` from the parsed regex (see `first_class`, `before_class`)."""
    try:
        parser: Any = importlib.import_module("re._parser")
    except ImportError:  # Python < 3.11
        parser = importlib.import_module("sre_parse")
    try:
        items = list(parser.parse(pattern))
    except Exception:
        return None, None
    return _guarded(_first, items), _guarded(_before, items)


def first_class(pattern: str) -> Optional[str]:
    r"""The contents of a character class holding every first character `pattern` consumes.

    Args:
        pattern: A regex (one branch of the combined pattern, after its anchor).

    Returns:
        Class contents such as `A-Za-z0-9_\\-`, or None when unknown.
    """
    return derive(pattern)[0]


def before_class(pattern: str) -> Optional[str]:
    r"""The contents of a class holding every character `pattern` needs before its anchor.

    The anchor is the character consumed just before `pattern` starts: a lookbehind at
    the start of `pattern` that ends with it (`(?<=sk-)` after the anchor `-`) says what
    comes before it (`k`).

    Args:
        pattern: A regex (one branch of the combined pattern, after its anchor).

    Returns:
        Class contents such as `k`, or None when unknown (no leading lookbehind).
    """
    return derive(pattern)[1]


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


def _guarded(derive_one: Any, items: list[Any]) -> Optional[str]:
    try:
        result: Optional[str] = derive_one(items)
    except Exception:  # an operator this reader does not know: unknown, never wrong
        return None
    return result


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


def _before(items: list[Any]) -> Optional[str]:
    """The class before the anchor, from the zero-width items `items` starts with."""
    for op, arg in items:
        name = str(op)
        if name == "ASSERT" and arg[0] < 0:  # a lookbehind: it ends with the anchor
            behind = list(arg[1])
            if not behind or str(behind[-1][0]) not in _ONE_CHAR:
                continue
            found = _last(behind[:-1])
            if found is not None:
                return found
        elif name in _ZERO_WIDTH:
            continue  # a lookahead, a negative test: says nothing of what must be before
        elif name == "SUBPATTERN":
            _group, add_flags, _del_flags, sub = arg
            return None if add_flags & re.IGNORECASE else _before(list(sub))
        elif name == "BRANCH":
            parts = [_before(list(branch)) for branch in arg[1]]
            return None if any(part is None for part in parts) else union(parts)  # type: ignore[arg-type]
        else:
            return None  # a consuming item before any lookbehind
    return None


def _last(items: list[Any]) -> Optional[str]:
    """The class of the last character a fixed sequence consumes (in a lookbehind)."""
    for op, arg in reversed(items):
        name = str(op)
        if name in _ZERO_WIDTH:
            continue
        one = _width_one((op, arg))
        if one is not None:
            return one
        if name in _REPEATS:
            low, _high, sub = arg
            return _last(list(sub)) if low >= 1 else None
        if name == "SUBPATTERN":
            _group, add_flags, _del_flags, sub = arg
            return None if add_flags & re.IGNORECASE else _last(list(sub))
        if name == "BRANCH":
            parts = [_last(list(branch)) for branch in arg[1]]
            return None if any(part is None for part in parts) else union(parts)  # type: ignore[arg-type]
        return None
    return None


def _width_one(item: Any) -> Optional[str]:
    """The class of a one-character item (a literal or a class), else None."""
    op, arg = item
    name = str(op)
    if name == "LITERAL":
        return re.escape(chr(arg))
    if name == "IN":
        return _contents(arg)
    return None


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


def render_table(patterns: list[str]) -> str:
    """The source of `_anchor_table`, with every pattern's derived checks.

    Args:
        patterns: Every branch the text rules compile (`_text.branch_patterns()`).

    Returns:
        Python source (run `ruff format` on it).
    """
    rows = []
    for pattern in dict.fromkeys(patterns):
        first, before = derive(pattern)
        rows.append(f"    {_literal(pattern)}: (\n        {_literal(first)},\n")
        rows.append(f"        {_literal(before)},\n    ),\n")
    return _TABLE_HEAD + "".join(rows) + "}\n"


def _literal(value: Optional[str]) -> str:
    """A string literal as `ruff format` writes it: raw when it can be, double quotes."""
    if value is None:
        return "None"
    if '"' not in value and not value.endswith("\\") and value.isprintable():
        return f'r"{value}"'
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t")
    return f'"{escaped}"'


_TABLE_HEAD = '''"""Generated by `python -m autocapture._scrub._first`: do not edit by hand.

Per branch of the text rules' combined patterns (the regex after its anchor): the class
of its first character and of the character before its anchor (`_first.derive`), or None
when unknown. `tests/test_scrub_anchors.py` re-derives every entry and fails when stale.
"""

# ruff: noqa: E501 - one row per branch, its regex whole

from __future__ import annotations

from typing import Final, Optional

ANCHOR_CHECKS: Final[dict[str, tuple[Optional[str], Optional[str]]]] = {
'''


if __name__ == "__main__":  # pragma: no cover - regenerates `_anchor_table.py`
    from pathlib import Path

    from autocapture._scrub._text import branch_patterns

    table = Path(__file__).with_name("_anchor_table.py")
    table.write_text(render_table(branch_patterns()), encoding="utf-8")
