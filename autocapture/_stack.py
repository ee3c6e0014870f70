"""The call stack of an error, as data: every sink that shows a stack shows the same one.

An exception's traceback holds only the frames between the raise and the handler that
caught it: for a decorated function, its own failing frames. What called it (the route
that called the failing query) lives only in the live frames above the handler, which are
gone once the capture returns. ``callers`` copies them at capture time, as plain tuples
(no frame is kept: a frame pins every local of the call), and ``format_stack`` renders the
whole stack, callers then failing frames, as ``traceback.print_exc`` would have printed
it had the error never been caught.

autocapture's own wrapper frames are left out: they are not where anyone's bug is, and
their locals are the call's raw arguments.
"""

from __future__ import annotations

import dataclasses
import sys
import traceback
import weakref
from pathlib import Path
from types import CodeType, FrameType, TracebackType
from typing import NamedTuple, Optional

from autocapture._scrub import Scrubber

__all__ = [
    "MAX_CALLERS",
    "StackFrame",
    "RawCaller",
    "caller_frames",
    "callers",
    "format_stack",
    "is_wrapper_file",
    "raw_callers",
    "resolve",
    "vars_scrubber",
    "walk",
]

# Frame variables are shown as Sentry shows them: a few levels and items deep, within a
# size budget (a request object's __dict__ reaches the whole application). What is cut
# is dropped with a marker, never ``repr``-ed: the walk sees every key it shows.
_VARS_DEPTH = 5
_VARS_ITEMS = 10
_VARS_CHARS = 8192

# A runaway recursion can be thousands of frames deep; the innermost callers are the
# ones that explain the failure.
MAX_CALLERS = 128


class StackFrame(NamedTuple):
    """One caller of a decorated function, copied at capture time."""

    filename: str
    """The code's file (``co_filename``)."""
    lineno: int
    """The line executing in that frame when the error was captured."""
    function: str
    """The code's name (``co_name``)."""
    module: Optional[str]
    """The frame's ``__name__`` global, when it has one."""


# The modules whose frames are our thin wrappers (their locals: the raw ``args``).
# The decorator's wrappers are compiled from templates under file names of their own
# (``autocapture._wrappers``); they run with the user's module's globals.
_WRAPPER_FILES = frozenset(
    (
        str(Path(__file__).with_name("_plan.py")),
        str(Path(__file__).with_name("_wrappers.py")),
        *(
            f"<autocapture {kind} wrapper>"
            for kind in ("plain", "coroutine", "generator", "async_generator", "deferred")
        ),
    )
)


_new_frame = tuple.__new__


def is_wrapper_file(filename: str) -> bool:
    """Tell whether ``filename`` is the file of autocapture's decorator wrappers."""
    return filename in _WRAPPER_FILES


def callers(frame: Optional[FrameType], limit: int = MAX_CALLERS) -> tuple[StackFrame, ...]:
    """Copy the frames from ``frame`` outwards, outermost first, as data.

    Args:
        frame: The innermost caller (typically ``tb.tb_frame.f_back`` of the handler).
        limit: At most this many frames, the innermost ones.

    Returns:
        The callers, outermost first; autocapture's wrapper frames are left out.
    """
    out: list[StackFrame] = []
    wrapper_files = _WRAPPER_FILES
    while frame is not None and len(out) < limit:
        code = frame.f_code
        filename = code.co_filename
        if filename not in wrapper_files:
            # tuple.__new__: the NamedTuple's own __new__ is Python code, 5x the cost.
            out.append(
                _new_frame(
                    StackFrame,
                    (filename, frame.f_lineno, code.co_name, frame.f_globals.get("__name__")),
                )
            )
        frame = frame.f_back
    out.reverse()
    return tuple(out)


# A caller as the failing call copies it: (code, instruction offset, module), its line
# looked up only when the event is built (``resolve``). The line table search and the
# NamedTuple are most of a caller's cost; a code object is immutable and keeps no frame
# alive. Python 3.9 has no ``co_lines``: there the line is taken at once.
RawCaller = tuple[CodeType, int, Optional[str]]
_LINES_LATER = sys.version_info >= (3, 10)


def raw_callers(exc: BaseException, limit: int = MAX_CALLERS) -> list[RawCaller]:
    """``caller_frames(exc)`` as it must be taken at the capture, innermost first.

    Args:
        exc: An exception being handled: its traceback starts at the handler's frame.
        limit: At most this many frames, the innermost ones.

    Returns:
        What ``resolve`` turns into the callers; empty without a traceback.
    """
    tb = exc.__traceback__
    if tb is None:
        return []
    frame: Optional[FrameType] = tb.tb_frame.f_back
    out: list[RawCaller] = []
    wrapper_files = _WRAPPER_FILES
    if not _LINES_LATER:  # pragma: no cover - Python 3.9: the line now, as a negative offset
        while frame is not None and len(out) < limit:
            code = frame.f_code
            if code.co_filename not in wrapper_files:
                out.append((code, -(frame.f_lineno or 0) - 1, frame.f_globals.get("__name__")))
            frame = frame.f_back
        return out
    append = out.append
    while frame is not None and limit:
        code = frame.f_code
        if code.co_filename not in wrapper_files:
            append((code, frame.f_lasti, frame.f_globals.get("__name__")))
            limit -= 1
        frame = frame.f_back
    return out


def resolve(raw: list[RawCaller]) -> tuple[StackFrame, ...]:
    """The callers ``raw_callers`` took, as ``caller_frames`` gives them (outermost first)."""
    out = []
    for code, where, module in reversed(raw):
        line = _line(code, where) if where >= 0 else -where - 1
        out.append(_new_frame(StackFrame, (code.co_filename, line, code.co_name, module)))
    return tuple(out)


def _line(code: CodeType, offset: int) -> int:
    # What ``frame.f_lineno`` answers for a frame at ``offset`` (PyCode_Addr2Line). The
    # same callers call again at every failure: remembered per (code, offset), the entry
    # holding the code so that its id is not reused meanwhile; started afresh when full.
    key = (id(code), offset)
    known = _LINES.get(key)
    if known is not None and known[0] is code:
        return known[1]
    found = code.co_firstlineno
    for start, end, line in code.co_lines():
        if start <= offset < end:
            found = line  # type: ignore[assignment]  # None for an artificial instruction, as f_lineno
            break
    if len(_LINES) >= _LINES_MAX:
        _LINES.clear()
    _LINES[key] = (code, found)
    return found


_LINES: dict[tuple[int, int], tuple[CodeType, int]] = {}
_LINES_MAX = 4096


def caller_frames(exc: BaseException) -> tuple[StackFrame, ...]:
    """The callers above the frame that caught ``exc`` (the head of its traceback).

    Args:
        exc: An exception being handled: its traceback starts at the handler's frame.

    Returns:
        The callers as data, outermost first; empty without a traceback.
    """
    tb = exc.__traceback__
    if tb is None:
        return ()
    return callers(tb.tb_frame.f_back)


def format_stack(exc: BaseException, stack: tuple[StackFrame, ...] = ()) -> str:
    """Render ``exc`` as ``traceback.format_exception`` does, with its callers on top.

    Args:
        exc: The exception (its cause and context chain is rendered too).
        stack: The callers above the frame that caught it, outermost first.

    Returns:
        The text, without a trailing newline; not scrubbed.
    """
    if sys.version_info >= (3, 10):  # renders a context chain only when it is shown
        rendered = traceback.TracebackException(
            type(exc), exc, exc.__traceback__, lookup_lines=False, compact=True
        )
    else:  # pragma: no cover - Python 3.9
        rendered = traceback.TracebackException(
            type(exc), exc, exc.__traceback__, lookup_lines=False
        )
    _drop_wrappers(rendered, set())
    if stack:
        rendered.stack[:0] = [
            traceback.FrameSummary(f.filename, f.lineno, f.function, lookup_line=False)
            for f in stack
        ]
    return "".join(rendered.format()).rstrip("\n")


def _drop_wrappers(rendered: traceback.TracebackException, seen: set[int]) -> None:
    if id(rendered) in seen:
        return
    seen.add(id(rendered))
    rendered.stack[:] = [f for f in rendered.stack if f.filename not in _WRAPPER_FILES]
    for linked in (rendered.__cause__, rendered.__context__):
        if linked is not None:
            _drop_wrappers(linked, seen)
    for member in getattr(rendered, "exceptions", None) or ():
        _drop_wrappers(member, seen)


def walk(tb: Optional[TracebackType]) -> list[tuple[FrameType, int]]:
    """The (frame, line) pairs of a traceback, autocapture's wrapper frames left out."""
    out = []
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_code.co_filename not in _WRAPPER_FILES:
            out.append((frame, tb.tb_lineno))
        tb = tb.tb_next
    return out


_vars_scrubbers: weakref.WeakKeyDictionary[Scrubber, Scrubber] = weakref.WeakKeyDictionary()


def vars_scrubber(scrubber: Scrubber) -> Scrubber:
    """``scrubber``'s rules with the tighter limits of frame variables (memoised).

    Args:
        scrubber: The configured scrubber.

    Returns:
        A scrubber with the same rules whose depth, items and size are Sentry's.
    """
    found = _vars_scrubbers.get(scrubber)
    if found is None:
        options = scrubber.options
        found = Scrubber(
            dataclasses.replace(
                options,
                max_depth=min(options.max_depth, _VARS_DEPTH),
                max_items=min(options.max_items, _VARS_ITEMS),
                max_total_chars=min(options.max_total_chars, _VARS_CHARS),
            ),
            send_pii=scrubber.send_pii,
        )
        _vars_scrubbers[scrubber] = found
    return found
