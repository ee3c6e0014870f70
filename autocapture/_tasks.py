"""Background work: asyncio tasks whose failure is captured, and the process-wide hooks.

* ``create_task`` wraps the coroutine in a thin coroutine that captures the failure
  *inside the task*, at the moment it happens: the traceback is the live one, and the
  task's context (a copy of the creator's, so ``bind_context`` and ``use_sink`` of the
  creator apply) is the one in force. A done callback then retrieves the exception, so
  asyncio never logs "Task exception was never retrieved"; awaiting the task still raises
  it. Running tasks are strongly referenced until they finish (the event loop itself only
  keeps weak references, and an unreferenced task can be collected mid-flight).
* ``install_hooks`` chains ``threading.excepthook``, ``sys.excepthook`` and the asyncio
  loop exception handler to the capture core; ``uninstall_hooks`` restores them.

The decorator's options are validated and its error core (``Plan.handle``) reused, so a
task's failure follows exactly the decorator's rules (ignore, 4xx, reported once).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import logging
import sys
import threading
import weakref
from collections.abc import Coroutine, Iterable
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any, Callable, TypeVar, cast

from autocapture._config import IgnoreOption
from autocapture._context import bind_context
from autocapture._log import report_failure
from autocapture._once import captured_event_id
from autocapture._options import validate as _validate
from autocapture._plan import Plan

if TYPE_CHECKING:
    from autocapture._sinks import Sink

__all__ = ["create_task", "install_hooks", "uninstall_hooks"]

T = TypeVar("T")

# The event loop keeps only weak references to tasks: a fire-and-forget task nobody holds
# can be garbage-collected before it finishes. Held here until done.
_running: set[asyncio.Task[Any]] = set()

# asyncio's answer (native, generator-based and Cython coroutines), typed loosely on purpose:
# the check guards callers that ignore the annotation.
_is_coroutine: Callable[[object], bool] = asyncio.iscoroutine


class _Identity:
    """Stands in for a function when a ``Plan`` is built from a coroutine object."""

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
        identity = cast("Callable[..., Any]", _Identity(self.module, self.qualname))
        plan = Plan(identity, **self.options)
        return plan.handle(exc, (), self._arguments(exc.__traceback__))

    def _arguments(self, tb: TracebackType | None) -> dict[str, Any]:
        # The coroutine's frame is in the traceback (finished frames keep their locals):
        # reading the arguments there costs nothing on the success path.
        code = self.code
        while tb is not None and code is not None:
            if tb.tb_frame.f_code is code:
                return _frame_arguments(tb.tb_frame)
            tb = tb.tb_next
        return {}


def _frame_arguments(frame: FrameType) -> dict[str, Any]:
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


# --- Uncaught-error hooks ------------------------------------------------------------------

_hooks_lock = threading.Lock()


class _Hooks:
    """One installation: the hooks it replaced, and whether it still reports.

    Each ``install_hooks()`` after an ``uninstall_hooks()`` is a new object, so a hook left
    in a chain by an uninstall (someone had chained on top of it) stays a pass-through.
    """

    def __init__(self) -> None:
        self.active = True
        self.previous_thread_hook = threading.excepthook
        self.previous_sys_hook = sys.excepthook
        # Loops die with their owners; a hook must not keep one alive.
        self.loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopHandler | None] = (
            weakref.WeakKeyDictionary()
        )

    def thread_hook(self, args: threading.ExceptHookArgs) -> None:
        exc = args.exc_value
        if self.active and isinstance(exc, Exception):
            thread = args.thread
            _capture_uncaught(
                exc,
                hook="threading",
                level="error",
                context={"thread": thread.name} if thread is not None else {},
            )
        self.previous_thread_hook(args)

    def sys_hook(
        self,
        exc_type: type[BaseException],
        exc: BaseException,
        tb: TracebackType | None,
    ) -> None:
        if self.active and isinstance(exc, Exception):
            # The main thread dies with it: the process is going down.
            _capture_uncaught(exc, hook="sys", level="fatal", context={})
        self.previous_sys_hook(exc_type, exc, tb)

    def asyncio_log_filter(self, record: logging.LogRecord) -> bool:
        """Capture what asyncio logs as an error with a traceback; drop the log line then.

        Loops that ``install_hooks`` never saw (``asyncio.run`` after it, a worker's own
        loop) report through ``loop.default_exception_handler``, which logs on the
        ``asyncio`` logger: every loop is covered, without patching loop creation.
        """
        exc = record.exc_info[1] if record.exc_info else None
        if not self.active or record.levelno < logging.ERROR or not isinstance(exc, Exception):
            return True
        try:
            message = record.getMessage().partition("\n")[0]
        except Exception:  # a record whose arguments do not format: the error still counts
            message = str(record.msg).partition("\n")[0]
        reported = _capture_uncaught(
            exc, hook="asyncio", level="error", context={"asyncio_message": message}
        )
        # As with the loop handler, the capture replaces asyncio's log line; a capture
        # that failed leaves it in place.
        return reported is None

    def loop_handler(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        reported = None
        if self.active and isinstance(exc, Exception):
            message = context.get("message")
            reported = _capture_uncaught(
                exc,
                hook="asyncio",
                level="error",
                context={"asyncio_message": message} if isinstance(message, str) else {},
            )
        previous = self.loops.get(loop)
        if previous is not None:
            previous(loop, context)
        elif reported is None:
            # asyncio's own report ("Task exception was never retrieved", "Exception in
            # callback ...") is what the capture replaces; anything else it still logs.
            loop.default_exception_handler(context)


_LoopHandler = Callable[[asyncio.AbstractEventLoop, "dict[str, Any]"], object]
_installed: _Hooks | None = None


def install_hooks(*, loop: asyncio.AbstractEventLoop | None = None) -> None:
    """Report the errors nobody catches: in threads, in the main thread, in asyncio loops.

    Chains ``threading.excepthook`` (level ``"error"``), ``sys.excepthook`` (level
    ``"fatal"``: the process is dying) and the exception handler of an asyncio loop (level
    ``"error"``) to the capture core; the hooks in place before still run, except asyncio's
    default handler, whose log line ("Task exception was never retrieved", "Exception in
    callback") the capture replaces. ``KeyboardInterrupt``, ``SystemExit`` and other
    ``BaseException``s that are not ``Exception``s are never reported, and an error already
    reported (by a decorator or by Sentry) is not reported again.

    Idempotent: calling it again installs nothing twice. The asyncio handler goes on
    ``loop``, or on the running loop when called from inside one (e.g. in a FastAPI
    lifespan or at the top of the main coroutine). Loops without it (created later, by
    ``asyncio.run`` say) are covered through the report asyncio's default handler logs on
    the ``asyncio`` logger: a filter there captures each error logged with a traceback
    and drops that log line, so calling ``install_hooks()`` once at startup is enough.

    Args:
        loop: The event loop whose exception handler to chain; default: the running one.

    Raises:
        TypeError: ``loop`` is not an asyncio event loop.
    """
    global _installed  # noqa: PLW0603 - hooks are process-wide by nature
    checked: object = loop  # annotations do not bind callers
    if checked is not None and not isinstance(checked, asyncio.AbstractEventLoop):
        raise TypeError(
            f"install_hooks(loop=...) takes an asyncio event loop or None, got "
            f"{type(checked).__name__} {checked!r}"
        )
    if loop is None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
    with _hooks_lock:
        hooks = _installed
        if hooks is None:
            hooks = _installed = _Hooks()
            threading.excepthook = hooks.thread_hook
            sys.excepthook = hooks.sys_hook
            logging.getLogger("asyncio").addFilter(hooks.asyncio_log_filter)
        if loop is not None and not loop.is_closed() and loop not in hooks.loops:
            hooks.loops[loop] = loop.get_exception_handler()
            loop.set_exception_handler(hooks.loop_handler)


def uninstall_hooks() -> None:
    """Undo ``install_hooks()``: the hooks in place before are restored exactly.

    A hook that was replaced since (someone chained on top of ours) is left where it is,
    and ours, still in that chain, only passes errors on. Calling it when nothing is
    installed does nothing.
    """
    global _installed
    with _hooks_lock:
        hooks, _installed = _installed, None
        if hooks is None:
            return
        hooks.active = False
        logging.getLogger("asyncio").removeFilter(hooks.asyncio_log_filter)
        if threading.excepthook == hooks.thread_hook:
            threading.excepthook = hooks.previous_thread_hook
        if sys.excepthook == hooks.sys_hook:
            sys.excepthook = hooks.previous_sys_hook
        for loop, previous in list(hooks.loops.items()):
            if not loop.is_closed() and loop.get_exception_handler() == hooks.loop_handler:
                loop.set_exception_handler(previous)


def _capture_uncaught(
    exc: Exception, *, hook: str, level: str, context: dict[str, Any]
) -> str | None:
    """Report an error that reached a hook; return the event id (or the first one)."""
    try:
        frame = _innermost_frame(exc.__traceback__)
        if frame is None:
            module, qualname, arguments = "<unknown>", "<unknown>", {}
        else:
            code = frame.f_code
            module = str(frame.f_globals.get("__name__") or "<unknown>")
            qualname = str(getattr(code, "co_qualname", code.co_name))
            arguments = _frame_arguments(frame)
        plan = Plan(
            cast("Callable[..., Any]", _Identity(module, qualname)),
            context_type=None,
            operation=None,
            reraise=True,
            capture_args=True,
            tags={"hook": hook},
            sink=None,
            ignore_types=(),
            ignore_predicate=None,
            level=level,
        )
        with bind_context(**context):
            if not plan.handle(exc, (), arguments):
                return None
        return captured_event_id(exc)
    except Exception as err:
        report_failure(f"reporting an uncaught error from the {hook} hook", err)
        return None


def _innermost_frame(tb: TracebackType | None) -> FrameType | None:
    frame = None
    while tb is not None:
        frame = tb.tb_frame
        tb = tb.tb_next
    return frame
