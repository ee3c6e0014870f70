"""The context an error leaves its ``bind_context`` blocks with (API §2; a leaf module).

An error raised inside a block and caught after it carries a mark: the context of the
innermost block it left, and the context that stood just outside that block. A capture
shows the left context only where it stands in that outside context (caught around the
``with``, or after the error left the enclosing blocks too), never inside an unrelated
block: one exception object can fail two requests (a shared task, a single-flight cache),
and the second request's event must not show the first one's user.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

__all__ = ["Left", "leave", "left_in"]

_MARK = "__autocapture_context__"
# How far a capture looks down an error's chain (``raise ... from err``) for a mark.
_MAX_CHAIN = 16


class Left:
    """The context an error left its innermost block with, and where that block stood."""

    __slots__ = ("context", "outside")

    def __init__(self, context: Mapping[str, Any], outside: Mapping[str, Any]) -> None:
        self.context = context
        self.outside = outside

    def __repr__(self) -> str:  # never its values
        return "<autocapture: the context bound where this error was raised>"

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled as an empty dict: an exception crossing a process (Celery's result
        # backend, multiprocessing) loads where autocapture is not installed, and the
        # context's values need not pickle. The mark stays in this process.
        return dict, ()


def leave(exc: BaseException, context: Mapping[str, Any], outside: Mapping[str, Any]) -> None:
    """Mark ``exc`` as leaving the block bound to ``context``, into ``outside``."""
    left = _left_by(exc)
    if left is not None and left.outside is context:
        # It left a block inside this one (itself, or the error it was raised from in
        # this block): it keeps that block's values, now standing outside this one too.
        context = left.context
    with contextlib.suppress(Exception):  # no __dict__: the error goes on without it
        exc.__dict__[_MARK] = Left(context, outside)


def left_in(exc: BaseException, live: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The context ``exc`` left its block with, if that block stood where ``live`` is bound.

    None otherwise: the live context is then the event's.
    """
    left = _left_by(exc)
    if left is None or left.outside is not live:
        return None
    return left.context


def _left_on(exc: BaseException) -> Left | None:
    try:
        left = exc.__dict__.get(_MARK)
    except Exception:  # a hostile __dict__
        return None
    return left if type(left) is Left else None


def _left_by(exc: BaseException) -> Left | None:
    # The mark of ``exc`` or of the error it was raised from (``__cause__``, else an
    # unsuppressed ``__context__``): ``raise PaymentFailed() from err`` outside the block.
    found = _left_on(exc)
    if found is not None or (exc.__cause__ is None and exc.__context__ is None):
        return found  # a lone error, as most are, has no chain to look down
    current = exc
    for _ in range(_MAX_CHAIN):
        following = current.__cause__
        if following is None and not current.__suppress_context__:
            following = current.__context__
        if following is None:
            return None
        current = following
        found = _left_on(current)
        if found is not None:
            return found
    return None
