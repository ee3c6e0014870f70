"""What a log formatter gets instead of the raw exception: an inert, scrubbed look-alike.

Formatters render ``record.exc_info`` themselves (JSON formatters, structlog's
``dict_tracebacks``, rich): given the live exception they print its raw message, and
given its live traceback they can print every frame's raw locals (autocapture's own
wrapper frame holds the call's ``args``). ``stand_in_exc_info`` gives them neither:

* the exception is a stand-in of a class named like the original, whose message, notes,
  causes and contexts are scrubbed;
* its traceback is made of stand-in frames: real frame objects (every formatter walks
  them as usual) with the original file, line, function and module, whose locals are
  the original's scrubbed (structure kept, cut like Sentry's frame variables), whose
  globals are only ``__name__``, and from which no frame of the running program can be
  reached (``f_back`` ends inside this module). The callers copied at capture time are
  on top, as they are in every sink.

The source lines a formatter prints it reads from the files itself, unscrubbed.
"""

from __future__ import annotations

import builtins
import weakref
from collections.abc import Iterator
from types import CodeType, FrameType, TracebackType
from typing import Any, Optional

from autocapture._rewritten import user_variables
from autocapture._scrub import Scrubber
from autocapture._stack import MAX_CALLERS, StackFrame, vars_scrubber, walk

__all__ = ["STAND_IN_MARK", "stand_in_exc_info"]

STAND_IN_MARK = "__autocapture_stand_in__"

# One stand-in class per exception class, named like it: tracebacks print the type of
# the exception object they are given. Weak keys: a class that goes away is forgotten.
_STAND_INS: weakref.WeakKeyDictionary[type, type[Exception]] = weakref.WeakKeyDictionary()
_MAX_CHAIN = 16
_MAX_FRAMES = 200
_CODE_CACHE_SIZE = 4096
_codes: dict[tuple[str, str, int], CodeType] = {}

# Exception groups (Python 3.11+): a group's stand-in is a group of its members' stand-ins.
_BASE_GROUP: Optional[type[BaseException]] = getattr(builtins, "BaseExceptionGroup", None)
_GROUP: type[Exception] = getattr(builtins, "ExceptionGroup", Exception)

_ExcInfo = tuple[type[BaseException], BaseException, Optional[TracebackType]]


def stand_in_exc_info(
    exc: BaseException, scrubber: Scrubber, callers: tuple[StackFrame, ...] = ()
) -> _ExcInfo:
    """An ``exc_info`` triple for a log record that prints like ``exc``, with nothing raw.

    Args:
        exc: The exception.
        scrubber: Scrubs messages, notes and frame locals.
        callers: The frames above the one that caught ``exc``, outermost first.

    Returns:
        ``(type(exc), stand-in, the stand-in's traceback)``.
    """
    stand_in = _stand_in(exc, scrubber, {}, callers)
    return type(exc), stand_in, stand_in.__traceback__


def _stand_in(
    exc: BaseException,
    scrubber: Scrubber,
    made: dict[int, BaseException],
    callers: tuple[StackFrame, ...] = (),
) -> BaseException:
    known = made.get(id(exc))
    if known is not None:  # shared by a cause and a context, or a cycle
        return known
    cls = type(exc)
    members = _members(exc)
    stand_in_class = _STAND_INS.get(cls)
    if stand_in_class is None:
        stand_in_class = type(
            cls.__name__,
            (Exception,) if members is None else (_GROUP,),
            {"__module__": cls.__module__, "__qualname__": cls.__qualname__, "__doc__": None},
        )
        _STAND_INS[cls] = stand_in_class
    try:
        message = str(exc) if members is None else str(exc.message)  # type: ignore[attr-defined]
    except Exception:
        message = f"<unprintable {cls.__name__}>"
    if members is None:
        stand_in = stand_in_class(scrubber.scrub_text(message))
    else:  # a group's members are stand-ins too (Sentry shows each of them)
        made[id(exc)] = Exception()  # what a member linking back to its group links to
        stand_ins = [
            _stand_in(m, scrubber, made)
            for i, m in enumerate(members)
            if i == 0 or len(made) < _MAX_CHAIN  # nested groups: bounded like a chain
        ]
        stand_in = stand_in_class(scrubber.scrub_text(message), stand_ins)
    stand_in.__traceback__ = clean_traceback(exc.__traceback__, scrubber, callers)
    made[id(exc)] = stand_in
    # The reported-once marks travel along: a handler that reports records (Sentry's
    # logging integration) must still recognise an error autocapture already sent.
    stand_in.__dict__.update(
        (k, v) for k, v in getattr(exc, "__dict__", {}).items() if k.startswith("__autocapture_")
    )
    stand_in.__dict__[STAND_IN_MARK] = True
    notes = getattr(exc, "__notes__", None)
    if isinstance(notes, list):
        stand_in.__notes__ = [
            scrubber.scrub_text(n) if isinstance(n, str) else "<note>" for n in notes
        ]
    if len(made) < _MAX_CHAIN:
        if exc.__cause__ is not None:
            stand_in.__cause__ = _stand_in(exc.__cause__, scrubber, made)
        if exc.__context__ is not None:
            stand_in.__context__ = _stand_in(exc.__context__, scrubber, made)
    stand_in.__suppress_context__ = exc.__suppress_context__
    return stand_in


def _members(exc: BaseException) -> tuple[BaseException, ...] | None:
    # The members of an exception group (built in from Python 3.11), None for another.
    if _BASE_GROUP is None or not isinstance(exc, _BASE_GROUP):
        return None
    members = getattr(exc, "exceptions", None)
    if not isinstance(members, tuple) or not members:
        return None
    return tuple(m for m in members if isinstance(m, BaseException)) or None


def clean_traceback(
    tb: Optional[TracebackType], scrubber: Scrubber, callers: tuple[StackFrame, ...] = ()
) -> Optional[TracebackType]:
    """A traceback of stand-in frames for ``callers`` and then ``tb``'s frames.

    Args:
        tb: The original traceback (autocapture's wrapper frames are left out).
        scrubber: Scrubs each frame's locals.
        callers: Frames to put on top (no locals: none were kept).

    Returns:
        The new traceback, outermost first, or None when there is no frame.
    """
    scrub_vars = vars_scrubber(scrubber)
    plan: list[tuple[CodeType, dict[str, Any], dict[str, Any], int]] = [
        (_code(f.filename, f.function, f.lineno), _globals(f.module), {}, f.lineno)
        for f in callers[-MAX_CALLERS:]
    ]
    for frame, lineno in walk(tb)[-_MAX_FRAMES:]:
        code = frame.f_code
        module = frame.f_globals.get("__name__")
        module = module if isinstance(module, str) else None
        own = module is not None and module.startswith("autocapture.")
        local_vars = {} if own else scrub_vars.scrub_mapping(user_variables(frame.f_locals))
        plan.append(
            (_code(code.co_filename, code.co_name, lineno), _globals(module), local_vars, lineno)
        )
    if not plan:
        return None
    frames = next(_frames(plan))
    result: Optional[TracebackType] = None
    for frame, (*_, lineno) in zip(reversed(frames), reversed(plan)):
        # tb_lasti -1: no column positions (they would be the stand-in code's).
        result = TracebackType(result, frame, -1, lineno)
    return result


def _frames(
    plan: list[tuple[CodeType, dict[str, Any], dict[str, Any], int]],
) -> Iterator[list[FrameType]]:
    # Run in a generator: the stand-in frames' f_back is this generator's frame, which,
    # suspended or finished, links to no frame of the running program.
    frames: list[FrameType] = []
    for code, global_vars, local_vars, _lineno in plan:
        try:
            exec(code, global_vars, local_vars)  # noqa: S102 - our own one-line code: 0/0
        except ZeroDivisionError as stop:
            tb = stop.__traceback__
            frames.append(tb.tb_next.tb_frame if tb is not None and tb.tb_next else _dead())
    yield frames


def _dead() -> FrameType:  # pragma: no cover - exec always adds the code's own frame
    raise RuntimeError("no stand-in frame")


def _globals(module: Optional[str]) -> dict[str, Any]:
    return {"__name__": module or "<unknown>", "__builtins__": {}}


def _code(filename: str, function: str, lineno: int) -> CodeType:
    """A code object of ``filename`` named ``function`` that fails at ``lineno``."""
    key = (filename, function, lineno)
    code = _codes.get(key)
    if code is None:
        code = compile("\n" * max(0, lineno - 1) + "0/0", filename, "exec")
        names: dict[str, Any] = {"co_name": function}
        if hasattr(code, "co_qualname"):
            names["co_qualname"] = function
        code = code.replace(**names)
        if len(_codes) >= _CODE_CACHE_SIZE:
            _codes.clear()
        _codes[key] = code
    return code
