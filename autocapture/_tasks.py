"""Background work: asyncio tasks whose failure is captured when it happens.

``create_task`` wraps the coroutine in a thin coroutine that captures the failure
*inside the task*, at the moment it happens: the traceback is the live one, and the
task's context (a copy of the creator's, so ``bind_context`` and ``use_sink`` of the
creator apply) is the one in force. A done callback then retrieves the exception, so
asyncio never logs "Task exception was never retrieved"; awaiting the task still raises
it. Running tasks are strongly referenced until they finish (the event loop itself only
keeps weak references, and an unreferenced task can be collected mid-flight).

The decorator's options are validated and its error core (``Plan.handle``) reused, so a
task's failure follows exactly the decorator's rules (ignore, 4xx, reported once). The
process-wide hooks for errors nobody catches are in ``_hooks``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
from collections.abc import Coroutine, Iterable
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any, Callable, TypeVar, cast

from autocapture._checks import IgnoreOption
from autocapture._options import validate as _validate
from autocapture._plan import Plan

if TYPE_CHECKING:
    from autocapture._sinks import Sink

__all__ = ["Identity", "create_task", "frame_arguments"]

T = TypeVar("T")

# The event loop keeps only weak references to tasks: a fire-and-forget task nobody holds
# can be garbage-collected before it finishes. Held here until done.
_running: set[asyncio.Task[Any]] = set()

# asyncio's answer (native, generator-based and Cython coroutines), typed loosely on purpose:
# the check guards callers that ignore the annotation.
_is_coroutine: Callable[[object], bool] = asyncio.iscoroutine


class Identity:
    """Stands in for a function when a ``Plan`` is built from a coroutine or a frame."""

    def __init__(self, module: str, qualname: str) -> None:
        self.__module__ = module
        self.__qualname__ = qualname


def create_task(
    coro: Coroutine[Any, Any, T],
    *,
    name: str | None = None,
    context_type: str | None = None,
    operation: str | None = None,
    reraise: bool = True,
    default: Any = None,
    capture_args: bool | Iterable[str] = True,
    tags: dict[str, str] | None = None,
    sink: Sink | None = None,
    ignore: IgnoreOption = None,
    level: str = "error",
) -> asyncio.Task[T]:
    """Start ``coro`` as an asyncio task whose failure is captured when it happens.

    The event names the coroutine's function (``module.qualname``) and carries its
    arguments, like ``@auto_capture_errors`` would. The task runs in a copy of the
    caller's context, so context bound with ``bind_context`` and a sink chosen with
    ``use_sink`` apply. After the capture, the exception stays in the task: awaiting it
    raises the same object, and asyncio never logs "Task exception was never retrieved".
    Cancellation is not an error. The task is strongly referenced until it is done.

    Args:
        coro: A coroutine object (``fetch(url)``, not ``fetch``).
        name: The task's name (``asyncio.Task.get_name()``).
        context_type: As for ``@auto_capture_errors``; inferred when omitted.
        operation: As for ``@auto_capture_errors``; inferred when omitted.
        reraise: False: the failure is captured and the task's result is ``default``.
        default: The task's result when ``reraise`` is False and it failed.
        capture_args: True: the coroutine's arguments, scrubbed; False: none; names: only
            those.
        tags: Extra tags (str -> str) on the event.
        sink: A sink for this task only.
        ignore: Exception types, or a predicate ``exc -> bool``, not captured.
        level: ``"fatal"``, ``"error"``, ``"warning"`` or ``"info"``.

    Returns:
        The running ``asyncio.Task``.

    Raises:
        TypeError: ``coro`` is not a coroutine, or an option has the wrong type.
        ValueError: An option has a value that is not allowed.
        RuntimeError: There is no running event loop.

    When it raises, a coroutine given as ``coro`` is closed, so that Python does not also
    warn that it was never awaited.
    """
    if not _is_coroutine(coro):
        hint = " (call the coroutine function: create_task(fetch(url)))" if callable(coro) else ""
        raise TypeError(
            f"create_task(coro) takes a coroutine object{hint}, got {type(coro).__name__} {coro!r}"
        )
    try:
        options = _create_task_options(
            name,
            context_type=context_type,
            operation=operation,
            reraise=reraise,
            capture_args=capture_args,
            tags=tags,
            sink=sink,
            ignore=ignore,
            level=level,
        )
        loop = asyncio.get_running_loop()
    except BaseException:
        _close(coro)
        raise
    runner = _run(coro, _TaskCapture(coro, options, default))
    # The task's repr and stack then name the user's coroutine, not ours.
    runner.__name__ = getattr(coro, "__name__", runner.__name__)  # type: ignore[attr-defined]
    runner.__qualname__ = getattr(coro, "__qualname__", runner.__qualname__)  # type: ignore[attr-defined]
    task = loop.create_task(runner, name=name)
    _running.add(task)
    task.add_done_callback(functools.partial(_task_done, coro))
    return task


class _TaskCapture:
    """What a task needs to report its failure; the ``Plan`` is built only on failure."""

    __slots__ = ("code", "default", "module", "options", "qualname")

    def __init__(self, coro: Any, options: dict[str, Any], default: Any) -> None:
        frame = getattr(coro, "cr_frame", None)
        self.module = str(
            (frame.f_globals.get("__name__") if frame is not None else None) or "<unknown>"
        )
        self.qualname = str(getattr(coro, "__qualname__", None) or type(coro).__qualname__)
        self.code = getattr(coro, "cr_code", None)
        self.options = options
        self.default = default

    def handle(self, exc: Exception) -> bool:
        identity = cast("Callable[..., Any]", Identity(self.module, self.qualname))
        plan = Plan(identity, **self.options)
        return plan.handle(exc, (), self._arguments(exc.__traceback__))

    def _arguments(self, tb: TracebackType | None) -> dict[str, Any]:
        # The coroutine's frame is in the traceback (finished frames keep their locals):
        # reading the arguments there costs nothing on the success path.
        code = self.code
        while tb is not None and code is not None:
            if tb.tb_frame.f_code is code:
                return frame_arguments(tb.tb_frame)
            tb = tb.tb_next
        return {}


def frame_arguments(frame: FrameType) -> dict[str, Any]:
    """Return the arguments of the call running in ``frame``, without ``self``/``cls``."""
    code = frame.f_code
    count = code.co_argcount + code.co_kwonlyargcount
    count += bool(code.co_flags & inspect.CO_VARARGS)
    count += bool(code.co_flags & inspect.CO_VARKEYWORDS)
    names = code.co_varnames[:count]
    local = frame.f_locals
    arguments = {n: local[n] for n in names if n in local}
    if names and names[0] in ("self", "cls"):
        arguments.pop(names[0], None)
    return arguments


async def _run(coro: Coroutine[Any, Any, T], capture: _TaskCapture) -> Any:
    try:
        return await coro
    except Exception as exc:
        if not capture.handle(exc) or capture.options["reraise"]:
            raise
        return capture.default


def _task_done(coro: object, task: asyncio.Task[Any]) -> None:
    _running.discard(task)
    if task.cancelled():
        # Cancelled before its first step, our runner never awaited the user's coroutine:
        # close it, as asyncio does with its own, or Python warns it was never awaited.
        # (Closing a coroutine that already finished does nothing.)
        _close(coro)
    else:
        # Retrieving marks the exception as seen: it was captured (or deliberately
        # ignored), so asyncio must not log it again when the task is collected.
        task.exception()


def _create_task_options(name: object, **options: Any) -> dict[str, Any]:
    if name is not None and not isinstance(name, str):
        raise TypeError(
            f"create_task(name=...) must be a str or None, got {type(name).__name__} {name!r}"
        )
    try:
        return _validate(**options)
    except (TypeError, ValueError) as err:
        # The decorator's validator names itself; name the function the user called.
        message = str(err).replace("@auto_capture_errors(", "create_task(")
        raise type(err)(message) from None


def _close(coro: object) -> None:
    close = getattr(coro, "close", None)
    if callable(close):
        with contextlib.suppress(Exception):  # a coroutine that fails to close: nothing to add
            close()
