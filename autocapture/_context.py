"""Request-scoped context: values bound with ``bind_context`` join every event inside."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

__all__ = ["bind_context", "bound_context"]

_EMPTY: Mapping[str, Any] = MappingProxyType({})
_bound: contextvars.ContextVar[Mapping[str, Any]] = contextvars.ContextVar(
    "autocapture_bound_context", default=_EMPTY
)


@contextlib.contextmanager
def bind_context(**values: Any) -> Iterator[Mapping[str, Any]]:
    """Merge ``values`` into every event captured inside the ``with`` block.

    Nestable (inner values win), isolated between threads and asyncio tasks because it
    lives in a ``contextvars.ContextVar``, and restored on exit.

    Args:
        **values: Context fields such as ``user_id``, ``request_id`` or ``tenant``. They
            are scrubbed when an event is built, like everything else.

    Returns:
        A context manager yielding the merged, read-only context.
    """
    merged = MappingProxyType({**_bound.get(), **values})
    token = _bound.set(merged)
    try:
        yield merged
    finally:
        _bound.reset(token)


def bound_context() -> Mapping[str, Any]:
    """Return the context bound in the current thread or task (read-only)."""
    return _bound.get()
