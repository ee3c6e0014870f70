"""`LazyPattern`: a regex compiled on first use, so that importing the scrubber is cheap.

Compiling the text rules' larger patterns costs milliseconds each (`re`'s compiler is
Python); a process that never scrubs (or not yet) should not pay for them at import.
"""

from __future__ import annotations

import re
from typing import Optional

__all__ = ["LazyPattern"]


class LazyPattern:
    """A regex and its flags, compiled by the first `get()` (a race compiles twice)."""

    __slots__ = ("_compiled", "_flags", "_pattern")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        """Remember the pattern.

        Args:
            pattern: The regex.
            flags: `re` flags.
        """
        self._pattern = pattern
        self._flags = flags
        self._compiled: Optional[re.Pattern[str]] = None

    def get(self) -> re.Pattern[str]:
        """Return the compiled pattern."""
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = re.compile(self._pattern, self._flags)
        return compiled
