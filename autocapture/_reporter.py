"""What the functions of a rewritten module call when they fail (``_rewrite``).

Each rewritten module gets one ``Reporter`` as its ``__autocapture__`` global. Called
from a function's ``except Exception:`` block, it finds the function (by its code
object, once), rebuilds the call's arguments from the frame (the values as passed: the
rewrite keeps a rebound parameter's original under a name of ours) and hands the error
to the function's ``Plan``, exactly as a decorator's wrapper would. It never raises.
"""

from __future__ import annotations

import gc
import inspect
import sys
import types
from typing import Any

from autocapture._in_place import defined_functions
from autocapture._log import report_failure
from autocapture._plan import Plan
from autocapture._rewritten import original_name
from autocapture._wrappers import _OWN_FILES

__all__ = ["Reporter"]

_VARARGS = inspect.CO_VARARGS
_VARKEYWORDS = inspect.CO_VARKEYWORDS


class Reporter:
    """``__autocapture__()``: report the error the calling function is handling."""

    __slots__ = ("_options", "_plans")

    def __init__(self, options: dict[str, Any]) -> None:
        """Keep the validated options of the ``instrument_modules`` call."""
        self._options = options
        self._plans: dict[types.CodeType, Plan] = {}

    def __call__(self) -> None:
        """Report the exception being handled in the caller's frame; never raise."""
        frame = caller = None
        try:
            frame = sys._getframe(1)  # noqa: SLF001 - the failing function's own frame
            caller = frame.f_back
            if caller is not None and caller.f_code.co_filename in _OWN_FILES:
                return  # called by a decorator's wrapper: its own options report it
            exc = sys.exc_info()[1]
            if not isinstance(exc, Exception):
                return
            code = frame.f_code
            plan = self._plans.get(code)
            if plan is None:
                plan = self._plans[code] = Plan.of(_function_of(code, frame), self._options)
            args, kwargs = _call_of(code, frame.f_locals)
            plan.handle(exc, args, kwargs)
        except Exception as err:
            report_failure("reporting the error of an instrumented function", err)
        finally:
            del frame, caller  # a frame kept here would keep its locals alive


def _call_of(
    code: types.CodeType, local: dict[str, Any]
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    # The call's positional and keyword arguments, as the wrapper would have received
    # them (every parameter is bound in the frame, defaults included).
    names = code.co_varnames
    count = code.co_argcount
    end = count + code.co_kwonlyargcount

    def value(name: str) -> Any:
        kept = original_name(name)
        return local[kept] if kept in local else local[name]

    positional: list[Any] = []
    for name in names[:count]:
        if name not in local and original_name(name) not in local:
            break  # deleted, never rebound: what follows cannot keep its place
        positional.append(value(name))
    keywords = {
        name: value(name)
        for name in names[count:end]
        if name in local or original_name(name) in local
    }
    flags = code.co_flags
    if flags & _VARARGS:
        name = names[end]
        end += 1
        if len(positional) == count and (name in local or original_name(name) in local):
            positional.extend(value(name))
    if flags & _VARKEYWORDS and (names[end] in local or original_name(names[end]) in local):
        extra = value(names[end])
        if isinstance(extra, dict):
            keywords.update(extra)
    return tuple(positional), keywords


def _function_of(code: types.CodeType, frame: types.FrameType) -> Any:
    # The function object of ``code``: its signature and qualified name make the plan.
    found = next(
        (
            function
            for function in defined_functions(frame.f_globals, frame.f_globals.get("__name__"))
            if function.__code__ is code
        ),
        None,
    )
    if found is None:  # only held elsewhere (a registry, a closure): ask the collector
        found = next(
            (
                f
                for f in gc.get_referrers(code)
                if type(f) is types.FunctionType and f.__code__ is code
            ),
            None,
        )
    if found is None:  # gone everywhere: a stand-in with the same code and names
        found = types.FunctionType(code, frame.f_globals, code.co_name)
        found.__qualname__ = getattr(code, "co_qualname", code.co_name)
    return found
