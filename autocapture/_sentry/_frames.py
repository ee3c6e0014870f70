"""Sentry's exception interface, built by autocapture from the live exception, scrubbed.

What ``sentry_sdk.capture_exception`` would build (exception values along the cause and
context chain and exception groups, one stack trace each, frames with source context and
variables), built once and already in its final form:

* frame variables are scrubbed from the live objects, with their structure (field names
  of namedtuples and objects, nested containers), never from ``repr`` text, and each
  object's ``repr`` runs at most once, in the scrubber;
* source context comes from ``linecache`` and is scrubbed once per source location, as
  one block with lines around it, so a secret spanning lines (a PEM body) is recognised;
* autocapture's own wrapper frames are left out (their locals are the raw arguments);
  the callers copied at capture time are put on top of the root exception's frames;
* the whole part is a ``Built`` dict: Sentry's serializer takes it as it is (its
  ``__sentry_repr__``) instead of walking and ``repr``-ing every node again.
"""

from __future__ import annotations

import builtins
import linecache
import os
from types import FrameType
from typing import Any, Optional

from sentry_sdk import utils as sentry_utils
from sentry_sdk.utils import filename_for_module

from autocapture._rewritten import user_variables
from autocapture._scrub import Scrubber
from autocapture._sentry._exit import scrub_lines
from autocapture._stack import StackFrame, vars_scrubber, walk

__all__ = ["Built", "exception_values"]

# Innermost frames kept per exception (a runaway recursion is thousands deep); Sentry's
# own default for its stack traces is 100.
_MAX_FRAMES = 200
_MAX_CHAIN = 16  # exceptions along a cause/context chain or inside groups
_MAX_MESSAGE = 8192
# Source lines scanned above and below the shown ones: a PEM key's body is up to ~50
# lines, and its BEGIN marker may sit far above the failing line.
_SCAN_MARGIN = 64
_CACHE_SIZE = 4096

_OWN_PREFIX = "autocapture."
_ANNOTATED: type = sentry_utils.AnnotatedValue  # type: ignore[attr-defined]  # re-exported by utils
_GROUP: Optional[type[BaseException]] = getattr(builtins, "BaseExceptionGroup", None)  # 3.11+


class Built(dict):  # type: ignore[type-arg]  # any JSON-ready value
    """A part of a Sentry event that autocapture built in its final, scrubbed form."""

    def __sentry_repr__(self) -> Any:
        """Give Sentry's serializer the data as it is (a plain copy, nothing re-``repr``-ed)."""
        return _plain(self)


def _plain(value: Any) -> Any:
    # A processor may have put Sentry's own markers in (its EventScrubber replaces the
    # values of frame variables with denied names by AnnotatedValue): the serializer
    # would have unwrapped them, so this copy does.
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, _ANNOTATED):
        return _plain(getattr(value, "value", None))
    return value


def exception_values(
    exc: BaseException,
    *,
    scrubber: Scrubber,
    options: dict[str, Any],
    mechanism: dict[str, Any],
    message: Optional[str] = None,
    callers: tuple[StackFrame, ...] = (),
) -> list[dict[str, Any]]:
    """Sentry's ``exception.values`` for ``exc``, innermost cause first, as Sentry orders them.

    Args:
        exc: The reported exception.
        scrubber: The scrubber for messages, variables and source lines.
        options: The Sentry client's options (``include_local_variables``,
            ``include_source_context``, ``max_value_length``).
        mechanism: The root exception's mechanism.
        message: ``exc``'s scrubbed message, when already known.
        callers: The frames above the one that caught ``exc``, outermost first.

    Returns:
        The values, ready to be sent.
    """
    builder = _Builder(scrubber, options)
    out: list[dict[str, Any]] = []
    if _GROUP is not None and isinstance(exc, _GROUP):
        builder.group(exc, mechanism, out, 0, 0, None, set(), callers, message)
    else:
        seen: set[int] = set()
        current: Optional[BaseException] = exc
        while current is not None and id(current) not in seen and len(out) < _MAX_CHAIN:
            seen.add(id(current))
            root = current is exc
            out.append(
                builder.value(
                    current,
                    dict(mechanism),
                    callers if root else (),
                    message if root else None,
                )
            )
            current = current.__cause__ if current.__suppress_context__ else current.__context__
    out.reverse()
    return out


class _Builder:
    __slots__ = ("context_lines", "max_length", "scrubber", "variables", "vars_scrubber")

    def __init__(self, scrubber: Scrubber, options: dict[str, Any]) -> None:
        self.scrubber = scrubber
        self.vars_scrubber = vars_scrubber(scrubber)
        self.variables = bool(options.get("include_local_variables", True))
        self.context_lines = 5 if options.get("include_source_context", True) else 0
        max_length = options.get("max_value_length")
        self.max_length: Optional[int] = max_length if isinstance(max_length, int) else None

    def group(
        self,
        exc: BaseException,
        mechanism: dict[str, Any],
        out: list[dict[str, Any]],
        exception_id: int,
        parent_id: int,
        source: Optional[str],
        seen: set[int],
        callers: tuple[StackFrame, ...] = (),
        message: Optional[str] = None,
    ) -> int:
        """Add ``exc`` and what it links to as Sentry's exception tree; the next free id."""
        if id(exc) in seen or len(out) >= _MAX_CHAIN:
            return exception_id
        seen.add(id(exc))
        mech = dict(mechanism)
        mech["exception_id"] = exception_id
        if source is not None:
            mech["source"] = source
        if exception_id != 0:
            mech["parent_id"] = parent_id
            mech["type"] = "chained"
        members = getattr(exc, "exceptions", None)
        if isinstance(members, tuple):
            mech["is_exception_group"] = True
        out.append(self.value(exc, mech, callers, message))
        own_id = exception_id
        exception_id += 1
        linked = exc.__cause__ if exc.__suppress_context__ else exc.__context__
        if linked is not None:
            exception_id = self.group(
                linked,
                mechanism,
                out,
                exception_id,
                own_id,
                "__cause__" if exc.__suppress_context__ else "__context__",
                seen,
            )
        for index, member in enumerate(members if isinstance(members, tuple) else ()):
            if isinstance(member, BaseException):
                exception_id = self.group(
                    member, mechanism, out, exception_id, own_id, f"exceptions[{index}]", seen
                )
        return exception_id

    def value(
        self,
        exc: BaseException,
        mechanism: dict[str, Any],
        callers: tuple[StackFrame, ...],
        message: Optional[str],
    ) -> dict[str, Any]:
        """One exception value: type, module, scrubbed message, mechanism, frames."""
        cls = type(exc)
        errno = getattr(exc, "errno", None) if isinstance(exc, OSError) else None
        if isinstance(errno, int):
            mechanism.setdefault("meta", {}).setdefault("errno", {}).setdefault("number", errno)
        module = cls.__module__
        value: dict[str, Any] = {
            "mechanism": mechanism,
            "module": None if module in ("builtins", "__builtins__") else module,
            "type": cls.__qualname__,
            "value": self.message(exc) if message is None else message + self.notes(exc),
        }
        frames = [self.caller(f) for f in callers]
        pairs = walk(exc.__traceback__)
        for frame, lineno in pairs[-_MAX_FRAMES:]:
            built = self.frame(frame, lineno)
            if built is not None:
                frames.append(built)
        if frames:
            value["stacktrace"] = {"frames": frames}
        return value

    def message(self, exc: BaseException) -> str:
        try:
            text = str(exc)
        except Exception:
            text = f"<unprintable {type(exc).__name__}>"
        if len(text) > _MAX_MESSAGE:
            cut = len(text) - _MAX_MESSAGE
            text = f"{self.scrubber.scrub_text(text[: _MAX_MESSAGE + 2048])[:_MAX_MESSAGE]}"
            return f"{text}...[truncated {cut} chars]{self.notes(exc)}"
        return self.scrubber.scrub_text(text) + self.notes(exc)

    def notes(self, exc: BaseException) -> str:
        notes = exc.__dict__.get("__notes__") if hasattr(exc, "__dict__") else None
        if not isinstance(notes, list) or not notes:
            return ""
        texts = [n for n in notes[:_MAX_CHAIN] if isinstance(n, str)]
        return "\n" + "\n".join(self.scrubber.scrub_text(n[:_MAX_MESSAGE]) for n in texts)

    def caller(self, frame: StackFrame) -> dict[str, Any]:
        """A caller's frame: where it was, its source lines; no variables (none kept)."""
        out = self.location(frame.filename, frame.lineno, frame.function, frame.module, None)
        if frame.module is not None and frame.module.startswith(_OWN_PREFIX):
            out["in_app"] = False
        return out

    def frame(self, frame: FrameType, lineno: int) -> Optional[dict[str, Any]]:
        """A frame of the traceback, with its scrubbed variables; None when hidden."""
        code = frame.f_code
        module = frame.f_globals.get("__name__")
        module = module if isinstance(module, str) else None
        if module is not None and module.startswith("sentry_sdk."):
            return None
        local_vars = frame.f_locals
        if local_vars.get("__tracebackhide__") or local_vars.get("__traceback_hide__"):
            return None
        out = self.location(code.co_filename, lineno, code.co_name, module, frame.f_globals)
        if module is not None and module.startswith(_OWN_PREFIX):
            # Our own frames (task and middleware wrappers) hold raw internals.
            out["in_app"] = False
        elif self.variables:
            out["vars"] = self.vars_scrubber.scrub_mapping(user_variables(local_vars))
        return out

    def location(
        self,
        co_filename: str,
        lineno: int,
        function: str,
        module: Optional[str],
        module_globals: Optional[dict[str, Any]],
    ) -> dict[str, Any]:
        filename, abs_path = _paths(module, co_filename)
        out: dict[str, Any] = {
            "filename": filename,
            "abs_path": abs_path,
            "function": function or "<unknown>",
            "module": module,
            "lineno": lineno,
        }
        if self.context_lines and co_filename:
            context = _context(
                self.scrubber,
                co_filename,
                lineno,
                self.context_lines,
                self.max_length,
                module_globals,
            )
            if context is not None:
                out["pre_context"] = list(context[0])
                out["context_line"] = context[1]
                out["post_context"] = list(context[2])
        return out


_paths_cache: dict[tuple[Optional[str], str], tuple[Optional[str], Optional[str]]] = {}


def _paths(module: Optional[str], co_filename: str) -> tuple[Optional[str], Optional[str]]:
    key = (module, co_filename)
    found = _paths_cache.get(key)
    if found is None:
        try:
            abs_path: Optional[str] = os.path.abspath(co_filename) if co_filename else None  # noqa: PTH100 - as Sentry
        except Exception:
            abs_path = None
        found = (filename_for_module(module, co_filename) or None, abs_path)
        if len(_paths_cache) >= _CACHE_SIZE:
            _paths_cache.clear()
        _paths_cache[key] = found
    return found


_Context = tuple[tuple[str, ...], str, tuple[str, ...]]
_context_cache: dict[tuple[str, int, int, Optional[int]], Optional[_Context]] = {}
_context_owner: list[Optional[Scrubber]] = [None]


def _context(
    scrubber: Scrubber,
    filename: str,
    lineno: int,
    around: int,
    max_length: Optional[int],
    module_globals: Optional[dict[str, Any]],
) -> Optional[_Context]:
    """The scrubbed source lines around ``lineno`` (1-based), memoised per location."""
    if _context_owner[0] is not scrubber:  # configure() changed the rules
        _context_cache.clear()
        _context_owner[0] = scrubber
    key = (filename, lineno, around, max_length)
    if key in _context_cache:
        return _context_cache[key]
    try:
        source = linecache.getlines(filename, module_globals)
    except Exception:
        source = []
    found: Optional[_Context] = None
    index = lineno - 1
    if 0 <= index < len(source):
        low, high = max(0, index - around), min(len(source), index + 1 + around)
        scan_low = max(0, low - _SCAN_MARGIN)
        scan_high = min(len(source), high + _SCAN_MARGIN)
        lines = scrub_lines(scrubber, [x.rstrip("\r\n") for x in source[scan_low:scan_high]])
        shown = [_cut(x, max_length) for x in lines[low - scan_low : high - scan_low]]
        here = index - low
        found = (tuple(shown[:here]), shown[here], tuple(shown[here + 1 :]))
    if len(_context_cache) >= _CACHE_SIZE:
        _context_cache.clear()
    _context_cache[key] = found
    return found


def _cut(line: str, max_length: Optional[int]) -> str:
    if max_length is None or len(line) <= max_length:
        return line
    return line[: max(0, max_length - 3)] + "..."
