"""Where the keywords are: a byte search before the walk, answered per line range.

Every call that can matter to the audit holds one of a few keywords in its own text; a
statement spanning none of them (and no ``except``) is skipped whole.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import accumulate
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from collections.abc import Iterable


# A keyword found on a line makes the statements spanning it worth an expression walk.
# Searched in the lower-cased file, so "sentry" also finds SentryAsgiMiddleware and
# "thread" finds threading.Thread; every call that can matter holds one of these.
KEYWORDS: tuple[bytes, ...] = (
    b"capture",
    b"sentry",
    b"_task",
    b"ensure_future",
    b"thread",
    b"timer",
    b"submit",
    b".map(",
    b"executor",
    b"pool",
    b"middleware",
    b"instrument",
    b"taskgroup",
    b"task_group",
    b"suppress",
    b"exception_handler",
    b"install_hooks",
)


# A line holding one of these may log a traceback: a function spanning one is a candidate
# for a project decorator that reports its wrapped function's errors.
TRACEBACK_WORDS: tuple[bytes, ...] = (b"exc_info", b".exception(", b"traceback", b"exception=")


@lru_cache(maxsize=8)
def keywords_for(
    helpers: tuple[str, ...], decorators: tuple[str, ...]
) -> Optional[tuple[bytes, ...]]:
    """List the byte strings whose lines deserve a look, for given helper and decorator names.

    Args:
        helpers: Capture helper globs.
        decorators: Capture decorator names.

    Returns:
        The keywords, or ``None`` when a glob has no literal part (every line matters).
    """
    extra: list[bytes] = []
    for name in (*helpers, *decorators):
        literal = max(re.split(r"[*?\[\]]", name), key=len)
        if not literal:
            return None
        extra.append(literal.lower().encode("utf-8"))
    # A keyword that contains another adds nothing but a second search.
    found = dict.fromkeys((*KEYWORDS, *extra))
    return tuple(k for k in found if not any(o != k and o in k for o in found))


def line_numbers(data: bytes, needles: Iterable[bytes]) -> list[int]:
    """Find the 1-based lines on which any needle occurs.

    Args:
        data: The file's bytes.
        needles: The byte strings to find.

    Returns:
        The line numbers, sorted, without duplicates.
    """
    positions: list[int] = []
    for needle in needles:
        pos = data.find(needle)
        while pos != -1:
            positions.append(pos)
            pos = data.find(needle, pos + 1)
    positions.sort()
    lines: list[int] = []
    line = 1
    previous = 0
    for pos in positions:
        line += data.count(b"\n", previous, pos)
        previous = pos
        if not lines or lines[-1] != line:
            lines.append(line)
    return lines


class LineIndex:
    """Which line ranges hold a keyword, and which hold a keyword or an ``except``.

    Both questions are answered in constant time from prefix sums over the lines.
    """

    def __init__(self, data: bytes, keywords: Optional[tuple[bytes, ...]]) -> None:
        """Index a file.

        Args:
            data: The file's bytes (every encoding PEP 263 allows is ASCII-compatible).
            keywords: The keywords (see :func:`keywords_for`); ``None``: every line.
        """
        # Old Mac line ends (CR only) defeat the line count: then every line matters.
        self.everything = keywords is None or (b"\r" in data and b"\n" not in data)
        size = data.count(b"\n") + 2
        self._size = size
        lowered = data.lower()
        tb_marks = bytearray(size + 1)
        for line in line_numbers(lowered, TRACEBACK_WORDS):
            tb_marks[line] = 1
        self._traceback = list(accumulate(tb_marks))
        if self.everything or keywords is None:
            self._keyword: list[int] = []
            self._hot: list[int] = []
            return
        keyword_lines = line_numbers(lowered, keywords)
        marks = bytearray(size + 1)
        for line in keyword_lines:
            marks[line] = 1
        self._keyword = list(accumulate(marks))
        # Every handler's line holds the word "except": a statement spanning none holds
        # no handler, and one spanning no keyword either can be skipped whole.
        for line in line_numbers(lowered, (b"except",)):
            marks[line] = 1
        self._hot = list(accumulate(marks))

    def keyword(self, start: int, end: int) -> bool:
        """Tell whether lines ``start`` to ``end`` hold a keyword.

        Args:
            start: The first line.
            end: The last line.

        Returns:
            True when an expression walk of those lines may find something.
        """
        if self.everything:
            return True
        prefix = self._keyword
        return prefix[min(end, self._size)] > prefix[start - 1]

    def traceback(self, start: int, end: int) -> bool:
        """Tell whether lines ``start`` to ``end`` may log a traceback.

        Args:
            start: The first line.
            end: The last line.

        Returns:
            True when a word such as ``exc_info`` or ``.exception(`` is there.
        """
        prefix = self._traceback
        return prefix[min(end, self._size)] > prefix[start - 1]

    def hot(self, start: int, end: int) -> bool:
        """Tell whether lines ``start`` to ``end`` hold a keyword or an ``except``.

        Args:
            start: The first line.
            end: The last line.

        Returns:
            True when the statements on those lines must be visited.
        """
        if self.everything:
            return True
        prefix = self._hot
        return prefix[min(end, self._size)] > prefix[start - 1]
