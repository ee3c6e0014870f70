"""The built-in context types, a leaf: validating ``context_type=`` loads no rule tables."""

from __future__ import annotations

from typing import Final

__all__ = ["BUILTIN_CONTEXT_TYPES"]

BUILTIN_CONTEXT_TYPES: Final[tuple[str, ...]] = (
    "auth",
    "cache",
    "database",
    "general",
    "payment",
    "provider",
)
