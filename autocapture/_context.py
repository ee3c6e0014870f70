"""Request-scoped context: values bound with ``bind_context`` join every event inside."""

from __future__ import annotations

import contextlib
import contextvars
import sys
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

from autocapture._left import leave, left_in
from autocapture._scrub._tracking import EventSecrets

__all__ = [
    "USER_FIELDS",
    "bind_context",
    "bound_context",
    "bound_tags",
    "scrubbed_bound_context",
    "user_of",
]

USER_FIELDS: Mapping[str, str] = MappingProxyType(
    {"user_id": "id", "email": "email", "username": "username", "ip_address": "ip_address"}
)
"""Context fields that describe the user, and their names in the event's ``user``."""

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
    outer = _bound.get()
    merged: Mapping[str, Any]
    if type(outer) is MappingProxyType:
        merged = MappingProxyType({**outer, **values})
    else:
        # A lazy outer context (the ASGI middleware's, which describes the request only
        # when an event is built): merging it now would describe every request that binds.
        merged = _Layered(outer, values)
    token = _bound.set(merged)
    try:
        yield merged
    except Exception as exc:
        # For a capture after the block exits. The traceback the ``with`` statement has
        # is the one after our generator's own entry (``throw`` put it in front).
        tb = exc.__traceback__
        if tb is not None and tb.tb_frame is sys._getframe():  # noqa: SLF001 - this frame
            tb = tb.tb_next
        leave(exc, merged, outer, tb)
        raise
    finally:
        _bound.reset(token)
        _scrubbed.pop(id(merged), None)


class _Layered(Mapping[str, Any]):
    """An outer context with inner values on top, merged only when read."""

    __slots__ = ("_inner", "_outer")

    def __init__(self, outer: Mapping[str, Any], inner: dict[str, Any]) -> None:
        self._outer = outer
        self._inner = inner

    def __getitem__(self, key: str) -> Any:
        if key in self._inner:
            return self._inner[key]
        return self._outer[key]

    def __iter__(self) -> Iterator[str]:
        return iter({**self._outer, **self._inner})

    def __len__(self) -> int:
        return len({**self._outer, **self._inner})


def bound_context(exc: BaseException | None = None) -> Mapping[str, Any]:
    """Return the context bound in the current thread or task (read-only).

    With ``exc``: the context of an event for it. An error raised inside a block and
    captured after the block exits, where the block stood, carries the context bound where
    it was raised (``_left``).
    """
    live = _bound.get()
    if exc is None:
        return live
    left = left_in(exc, live)
    return live if left is None else left


def bound_tags(
    exc: BaseException,
    context_type: str | None = None,
    bound: Mapping[str, Any] | None = None,
) -> Mapping[str, Any]:
    """Return the tags the bound context gives an event for ``exc`` (raw, to be scrubbed).

    Inside a request served through the ASGI middleware, those are the request's tags
    (``endpoint``, ``endpoint_type``, ``is_revenue_critical``...): whichever layer
    reports the error first, a decorated service or the middleware, the one event has
    them. ``bind_context`` values are context, not tags. ``context_type`` is the
    reporting code's (it decides the ``error_category`` tag). ``bound``:
    ``bound_context(exc)``, when the caller has it already.
    """
    if bound is None:
        bound = bound_context(exc)
    if bound is _EMPTY:  # most failures happen outside any request or bind_context block
        return _EMPTY
    while type(bound) is _Layered:
        bound = bound._outer  # noqa: SLF001 - our own class
    event_tags = getattr(bound, "event_tags", None)
    if event_tags is None:
        return _EMPTY
    return event_tags(exc, context_type)  # type: ignore[no-any-return]


# Scrubbed copies of bound contexts, keyed by the bound mapping's id while its block is
# open (the entry holds the mapping, so the id cannot be reused meanwhile): a request that
# fails in several places pays for scrubbing its context once.
_scrubbed: dict[int, tuple[Mapping[str, Any], object, dict[str, Any], tuple[str, ...]]] = {}
_IMMUTABLE = frozenset((str, int, float, bool, bytes, type(None)))


def scrubbed_bound_context(
    scrubber: Any, secrets: EventSecrets | None = None, exc: BaseException | None = None
) -> dict[str, Any]:
    """Return the bound context scrubbed by ``scrubber`` (a fresh dict each call).

    Args:
        scrubber: The configured ``Scrubber``; a new one (new configuration) rescrubs.
        secrets: The event's known secrets: what the bound context holds secret is added
            (also when the scrubbed copy comes from the cache).
        exc: The event's error: ``bound_context(exc)`` is scrubbed.

    Returns:
        A new dict the caller may change.
    """
    bound = bound_context(exc)
    if not bound:
        return {}
    if bound is not _bound.get():
        # Left by the error (its block is closed) or merged for it: scrubbed for this
        # event alone, never cached (the cache is forgotten as blocks exit).
        return scrubber.scrub_mapping(bound, secrets=secrets)  # type: ignore[no-any-return]
    if type(bound) not in (MappingProxyType, _Layered):
        # Set by someone else (the ASGI middleware): no bind_context exit will forget it.
        return scrubber.scrub_mapping(bound, secrets=secrets)  # type: ignore[no-any-return]
    cached = _scrubbed.get(id(bound))
    if cached is not None and cached[0] is bound and cached[1] is scrubber:
        if secrets is not None:
            secrets.add_all(cached[3])
        return dict(cached[2])
    found = EventSecrets()
    scrubbed: dict[str, Any] = scrubber.scrub_mapping(bound, secrets=found)
    if secrets is not None:
        secrets.add_all(found.values)
    # Only values that cannot change are kept scrubbed: a dict bound once and updated
    # as the work goes must show its state at the time of each error.
    if len(_scrubbed) < 4096 and all(type(v) in _IMMUTABLE for v in bound.values()):  # noqa: PLR2004 - bounded: many open blocks at once is odd
        _scrubbed[id(bound)] = (bound, scrubber, scrubbed, tuple(found.values))
        return dict(scrubbed)
    return scrubbed


def user_of(context: Mapping[str, Any]) -> dict[str, Any]:
    """Return the event's ``user`` from a (scrubbed) context: its ``USER_FIELDS``, renamed."""
    return {
        target: context[source]
        for source, target in USER_FIELDS.items()
        if context.get(source) is not None
    }
