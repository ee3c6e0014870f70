"""The context an error leaves its ``bind_context`` blocks with (API §2; a leaf module).

An error raised inside a block and caught after it carries a mark: the context of the
innermost block it left, the context that stood just outside that block, the thread and
task it left in, and its traceback at that exit. A capture shows the left context only
when the error went on from that exit to the capture: same thread and task, the block's
outside context live, that traceback still the tail of the error's. One exception object
can fail two requests (a failed shared task, a single-flight cache, a future's result
read in two threads): the second request's event must never show the first one's user.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import weakref
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Optional

__all__ = ["Left", "leave", "left_in"]

_MARK = "__autocapture_context__"
# How far a capture looks down an error's chain (``raise ... from err``) for a mark, and
# down a traceback for the exit's.
_MAX_CHAIN = 16
_MAX_FRAMES = 1024
# The thread and the asyncio task (None outside one), weakly: a thread's ident is reused
# once it ends, an object is not while a reference to it lives.
_Owner = tuple["weakref.ref[threading.Thread]", Optional["weakref.ref[Any]"]]


class Left:
    """Where an error left its innermost block: the block's context and what stood around."""

    __slots__ = ("context", "outside", "owner", "traceback")

    def __init__(
        self,
        context: Mapping[str, Any],
        outside: Mapping[str, Any],
        owner: _Owner,
        traceback: TracebackType | None,
    ) -> None:
        self.context = context
        self.outside = outside
        self.owner = owner
        self.traceback = traceback

    def __repr__(self) -> str:  # never its values
        return "<autocapture: the context bound where this error was raised>"

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled as an empty dict: an exception crossing a process (Celery's result
        # backend, multiprocessing) loads where autocapture is not installed, and the
        # context's values need not pickle. The mark stays in this process.
        return dict, ()


def leave(
    exc: BaseException,
    context: Mapping[str, Any],
    outside: Mapping[str, Any],
    traceback: TracebackType | None,
) -> None:
    """Mark ``exc`` as leaving the block bound to ``context`` into ``outside``.

    ``traceback``: the error's at the ``with`` statement's exit.
    """
    owner = _owner()
    found = _left_by(exc)
    if found is not None:
        marked, left = found
        if left.outside is context and _went_on(marked, left, owner):
            # It left a block inside this one (itself, or the error it was raised from in
            # this block): it keeps that block's values, now standing outside this one too.
            context = left.context
    with contextlib.suppress(Exception):  # no __dict__: the error goes on without it
        exc.__dict__[_MARK] = Left(context, outside, owner, traceback)


def left_in(exc: BaseException, live: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The context ``exc`` left its block with, if it went on from there to this capture.

    None otherwise: the live context is then the event's.
    """
    found = _left_by(exc)
    if found is None:
        return None
    marked, left = found
    if left.outside is not live or not _went_on(marked, left, _owner()):
        return None
    return left.context


def _went_on(marked: BaseException, left: Left, owner: _Owner) -> bool:
    # The same thread and task, and the exit's traceback still the tail of the error's: a
    # shared future re-raises with its own traceback, another thread is another request.
    (thread, task), (now_thread, now_task) = left.owner, owner
    if thread() is not now_thread() or (task is None) is not (now_task is None):
        return False
    if task is not None and now_task is not None and task() is not now_task():
        return False
    tb = marked.__traceback__
    for _ in range(_MAX_FRAMES):
        if tb is None:
            return False
        if tb is left.traceback:
            return True
        tb = tb.tb_next
    return False


def _owner() -> _Owner:
    asyncio = sys.modules.get("asyncio")  # never imported: no task can be running
    task = None
    if asyncio is not None and asyncio._get_running_loop() is not None:  # noqa: SLF001 - the cheap, non-raising probe
        task = asyncio.current_task()
    return weakref.ref(threading.current_thread()), None if task is None else weakref.ref(task)


def _left_on(exc: BaseException) -> Left | None:
    try:
        left = exc.__dict__.get(_MARK)
    except Exception:  # a hostile __dict__
        return None
    return left if type(left) is Left else None


def _left_by(exc: BaseException) -> tuple[BaseException, Left] | None:
    # The mark of ``exc`` or of the error it was raised from (``__cause__``, else an
    # unsuppressed ``__context__``), with the error that carries it.
    found = _left_on(exc)
    if found is not None:
        return exc, found
    if exc.__cause__ is None and exc.__context__ is None:
        return None  # a lone error, as most are, has no chain to look down
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
            return current, found
    return None
