"""The process-wide hooks: errors nobody catches, in threads, the main thread, asyncio loops.

``install_hooks`` chains ``threading.excepthook``, ``sys.excepthook`` and the asyncio
loop exception handler to the capture core; ``uninstall_hooks`` restores them. Each
error is reported through the decorator's error core (``Plan.handle``), named after the
innermost frame of its traceback, with that frame's arguments.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import weakref
from types import FrameType, TracebackType
from typing import Any, Callable, cast

from autocapture._context import bind_context
from autocapture._log import report_failure
from autocapture._once import captured_event_id
from autocapture._plan import Plan
from autocapture._tasks import Identity, frame_arguments

__all__ = ["install_hooks", "uninstall_hooks"]

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
            arguments = frame_arguments(frame)
        plan = Plan(
            cast("Callable[..., Any]", Identity(module, qualname)),
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
