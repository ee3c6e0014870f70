"""Personal-data shapes: what the scrubber redacts unless ``configure(send_pii=True)``.

Rows of the same `Shape` table as `_shapes.SHAPES` (read that module's docstring for the
columns); kept apart because they are not secrets but personal data, a switch of their own.
"""

from __future__ import annotations

from typing import Final

from autocapture._scrub._shapes import Shape

__all__ = ["PII_SHAPES"]

PII_SHAPES: Final[tuple[Shape, ...]] = (
    Shape(
        "@",
        "email",
        r"(?<=[A-Za-z0-9._%+-]@)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}"
        r"(?![A-Za-z0-9-])",
        0,
        edge=False,
        source="RFC 5322 (simplified)",
    ),
    # anchored on the first dot (rarer than digits); the leading octet is found in `_check`
    Shape(
        ".",
        "ipv4",
        r"(?<=\d\.)\d{1,3}\.\d{1,3}\.\d{1,3}(?!\w|\.\d)",
        0,
        edge=False,
        source="RFC 791",
    ),
)
