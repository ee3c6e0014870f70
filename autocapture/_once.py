"""Report an error once: the bookkeeping that remembers which exceptions were reported.

The event id is stored on the exception object itself. Exceptions cannot be weakly
referenced, and a registry keyed by ``id()`` would either keep them (and their frames)
alive or hand a dead object's id to a new one; an attribute lives and dies with the
exception, so capturing any number of distinct errors never grows memory.
"""

from __future__ import annotations

import builtins
import sys

__all__ = [
    "captured_event_id",
    "event_ids",
    "mark_captured",
    "mark_sent_to_sentry",
    "sentry_event_id",
    "unmark_captured",
]

_CAPTURED = "__autocapture_event_id__"
_SENT_TO_SENTRY = "__autocapture_sentry_event_id__"
_NO_MARKS: tuple[None, None] = (None, None)
# A chain longer than this is a cycle or an attack; either way stop walking.
_MAX_CHAIN = 64


# Nested exception groups deeper than this are not looked into.
_MAX_GROUP_DEPTH = 8


_BUILTIN_GROUPS: tuple[type[BaseException], ...] = (
    (builtins.BaseExceptionGroup,) if hasattr(builtins, "BaseExceptionGroup") else ()
)


def _group_types() -> tuple[type[BaseException], ...]:
    # Built in from Python 3.11; before, anyio and others use the ``exceptiongroup``
    # backport (looked up, never imported: if nothing imported it, no group exists).
    if _BUILTIN_GROUPS:
        return _BUILTIN_GROUPS
    backport = getattr(sys.modules.get("exceptiongroup"), "BaseExceptionGroup", None)
    return (backport,) if isinstance(backport, type) else ()


def _chain_lookup(exc: BaseException, attribute: str, depth: int = 0) -> str | None:
    current: BaseException | None = exc
    groups = _group_types()
    for _ in range(_MAX_CHAIN):
        if current is None:
            return None
        try:
            found = current.__dict__.get(attribute)
        except Exception:  # an exception class with a hostile __dict__
            found = None
        if isinstance(found, str):
            return found
        if groups and isinstance(current, groups) and depth < _MAX_GROUP_DEPTH:
            # A group (asyncio.TaskGroup, anyio) of errors that were all reported already
            # is those errors seen again: it takes the first one's id.
            members = [
                _chain_lookup(member, attribute, depth + 1)
                for member in getattr(current, "exceptions", ())
            ]
            if members and all(members):
                return members[0]
        current = current.__cause__
    return None


def captured_event_id(exc: BaseException) -> str | None:
    """Return the event id under which ``exc`` or its ``__cause__`` chain was reported.

    An exception group whose members were all reported counts as reported.

    Args:
        exc: Any exception.

    Returns:
        The first event's id, or ``None`` when nothing in the chain was reported.
    """
    return _chain_lookup(exc, _CAPTURED)


def event_ids(exc: BaseException) -> tuple[str | None, str | None]:
    """``(captured_event_id(exc), sentry_event_id(exc))``; one read for a lone exception.

    Most failures have no cause and are no group: both marks are then read from the one
    ``__dict__``, without walking a chain twice (the claim asks for both under its lock).
    """
    groups = _BUILTIN_GROUPS or _group_types()
    if exc.__cause__ is None and not (groups and isinstance(exc, groups)):
        try:
            marks = exc.__dict__
            if not marks:  # a new exception: no attribute set on it yet
                return _NO_MARKS
            captured, sent = marks.get(_CAPTURED), marks.get(_SENT_TO_SENTRY)
        except Exception:  # noqa: S110 - a hostile __dict__: the walks below cope with it
            pass
        else:
            return (
                captured if isinstance(captured, str) else None,
                sent if isinstance(sent, str) else None,
            )
    return captured_event_id(exc), sentry_event_id(exc)


def sentry_event_id(exc: BaseException) -> str | None:
    """Return the id of the Sentry event autocapture sent for ``exc`` or its causes."""
    return _chain_lookup(exc, _SENT_TO_SENTRY)


def _mark(exc: BaseException, attribute: str, event_id: str) -> bool:
    try:
        exc.__dict__[attribute] = event_id
    except Exception:  # no __dict__ or a read-only one: the error may be reported twice
        return False
    return True


def mark_captured(exc: BaseException, event_id: str) -> bool:
    """Remember that ``exc`` was reported as ``event_id``.

    Returns:
        False when the exception cannot carry the mark (it may then be reported again).
    """
    return _mark(exc, _CAPTURED, event_id)


def unmark_captured(exc: BaseException, event_id: str) -> None:
    """Forget the mark ``mark_captured(exc, event_id)`` left (no event was made after all).

    One dict operation and no further call: it runs where a capture failed, which may be
    at the recursion limit, and must not fail there itself.
    """
    try:
        if exc.__dict__.get(_CAPTURED) == event_id:
            del exc.__dict__[_CAPTURED]
    except Exception:  # noqa: S110 - no __dict__: there was no mark either
        pass


def mark_sent_to_sentry(exc: BaseException, event_id: str) -> bool:
    """Remember that Sentry has ``exc`` as ``event_id`` (sent by autocapture or an integration).

    Only Sentry: the error may still be reported to the other sinks, once.
    """
    return _mark(exc, _SENT_TO_SENTRY, event_id)
