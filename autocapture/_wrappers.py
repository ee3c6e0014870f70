"""The thin wrappers: one template per kind of callable, compiled per function.

Each template is written for ``(*args, **kwargs)``; ``_shape`` gives every wrapper the
parameter list of the function it wraps (so a wrong call fails at the call, generators
and coroutines included) and the function's globals, so that tools see the function, not
us. The success path is a ``try`` and a call; a failure goes to ``Plan.handle``.
"""

from __future__ import annotations

import functools
import inspect
import sys
import types
from typing import TYPE_CHECKING, Any, Callable

from autocapture._rewritten import REPORTER
from autocapture._shape import Template

if TYPE_CHECKING:
    from autocapture._plan import Plan

__all__ = ["callable_kind", "generic", "is_decorated", "wrap_function"]


# Each template is written for ``(*args, **kwargs)``; ``_shape`` gives every wrapper the
# parameter list of the function it wraps (so a wrong call fails at the call, generators
# and coroutines included) and the function's globals. The arguments are deleted on the
# way out: a propagating exception's traceback holds this frame, and an argument that is
# the exception itself (``__exit__`` re-raising) would make a reference cycle.


def _first_step(agen: Any) -> Any:
    # The wrapper is the one async generator the event loop must see (its firstiter and
    # finalizer hooks): the wrapped one starts with the hooks off, and is closed by ours.
    hooks = sys.get_asyncgen_hooks()
    sys.set_asyncgen_hooks(firstiter=None, finalizer=None)
    try:
        return agen.__anext__()
    finally:
        sys.set_asyncgen_hooks(*hooks)


_BUILTINS = {
    "BaseException": BaseException,
    "Exception": Exception,
    "StopAsyncIteration": StopAsyncIteration,
    "first_step": _first_step,
}

_RERAISE = """
def wrapper(*args, **kwargs):
    try:
        return func(*args, **kwargs)
    except Exception as exc:
        try:  # at the recursion limit the call to handle itself fails: the error goes on
            handle(exc, args, kwargs)
        except Exception:
            pass
        raise
    finally:
        del args, kwargs
"""
_RETURN_DEFAULT = """
def wrapper(*args, **kwargs):
    try:
        return func(*args, **kwargs)
    except Exception as exc:
        try:  # at the recursion limit the call to handle itself fails: the error goes on
            captured = handle(exc, args, kwargs)
        except Exception:
            captured = False
        if captured:
            return default
        raise
    finally:
        del args, kwargs
"""
# ``yield from`` forwards send(), throw() and close() exactly as without us.
_GENERATOR_RERAISE = _RERAISE.replace("return func(", "return (yield from func(").replace(
    "kwargs)\n    except", "kwargs))\n    except"
)
_GENERATOR_RETURN_DEFAULT = _RETURN_DEFAULT.replace(
    "return func(", "return (yield from func("
).replace("kwargs)\n    except", "kwargs))\n    except")
# There is no ``yield from`` for async generators: forward asend/athrow/aclose; a thrown
# GeneratorExit (aclose, or athrow(GeneratorExit)) reaches the wrapped generator as such.
_ASYNC_GENERATOR = """
async def wrapper(*args, **kwargs):
    try:
        agen = func(*args, **kwargs)
        value = await first_step(agen)
        while True:
            try:
                sent = yield value
            except BaseException as thrown:
                value = await agen.athrow(thrown)
            else:
                value = await (agen.__anext__() if sent is None else agen.asend(sent))
    except StopAsyncIteration:
        return
    except Exception as exc:
        try:  # at the recursion limit the call to handle itself fails: the error goes on
            captured = handle(exc, args, kwargs)
        except Exception:
            captured = False
        if captured and not reraise:
            return  # an async generator cannot return ``default``: it just stops
        raise
    finally:
        del args, kwargs
"""
# A plain function over a coroutine or generator function (a sync decorator made with
# functools.wraps that returns ``func(*args)``): what fails, fails when the result is
# awaited or iterated, so the result is wrapped too.
_DEFERRED_RERAISE = _RERAISE.replace("return func(", "return wrap_result(func(").replace(
    "kwargs)\n    except", "kwargs), args, kwargs)\n    except"
)
_DEFERRED_RETURN_DEFAULT = _RETURN_DEFAULT.replace(
    "return func(", "return wrap_result(func("
).replace("kwargs)\n    except", "kwargs), args, kwargs)\n    except")

_TEMPLATES = {
    (kind, reraise): Template(f"{kind} wrapper", source, _BUILTINS)
    for kind, reraise, source in (
        ("plain", True, _RERAISE),
        ("plain", False, _RETURN_DEFAULT),
        (
            "coroutine",
            True,
            _RERAISE.replace("def wrapper", "async def wrapper").replace(
                "return func", "return await func"
            ),
        ),
        (
            "coroutine",
            False,
            _RETURN_DEFAULT.replace("def wrapper", "async def wrapper").replace(
                "return func", "return await func"
            ),
        ),
        ("generator", True, _GENERATOR_RERAISE),
        ("generator", False, _GENERATOR_RETURN_DEFAULT),
        ("async_generator", True, _ASYNC_GENERATOR),
        ("async_generator", False, _ASYNC_GENERATOR),
        ("deferred", True, _DEFERRED_RERAISE),
        ("deferred", False, _DEFERRED_RETURN_DEFAULT),
    )
}
_OWN_FILES = frozenset(template.filename for template in _TEMPLATES.values())

_FUNCTION = types.FunctionType

_CO_COROUTINE = inspect.CO_COROUTINE
_CO_GENERATOR = inspect.CO_GENERATOR
_CO_ASYNC_GENERATOR = inspect.CO_ASYNC_GENERATOR


_CO_KINDS = _CO_COROUTINE | _CO_GENERATOR | _CO_ASYNC_GENERATOR
_PLAIN = {True: _TEMPLATES["plain", True], False: _TEMPLATES["plain", False]}


def wrap_function(func: types.FunctionType, plan: Plan, default: Any) -> Callable[..., Any]:
    flags = func.__code__.co_flags
    if not flags & _CO_KINDS and not func.__dict__:  # most functions: plain, undecorated
        reraise = plan.options["reraise"]
        return _PLAIN[reraise].build(func, func, plan.handle, default, reraise)
    if flags & _CO_ASYNC_GENERATOR:
        kind = "async_generator"
    elif flags & _CO_COROUTINE:
        kind = "coroutine"
    elif flags & _CO_GENERATOR:
        kind = "generator"
    elif func.__dict__:  # __wrapped__ (a sync decorator), or a coroutine mark (3.12)
        kind = callable_kind(func)
    else:
        kind = "plain"
    reraise = plan.options["reraise"]
    wrap_result = functools.partial(_wrap_result, plan, default) if kind == "deferred" else None
    return _TEMPLATES[kind, reraise].build(func, func, plan.handle, default, reraise, wrap_result)


def _wrap_result(plan: Plan, default: Any, result: Any, args: Any, kwargs: Any) -> Any:
    if inspect.iscoroutine(result):
        kind = "coroutine"
    elif inspect.isgenerator(result):
        kind = "generator"
    elif inspect.isasyncgen(result):
        kind = "async_generator"
    else:
        return result
    template = _TEMPLATES[kind, plan.reraise]

    def give(*_args: Any, **_kwargs: Any) -> Any:
        return result

    return template.build(give, give, plan.handle, default, plan.reraise)(*args, **kwargs)


def callable_kind(func: Any) -> str:
    target = func
    if not (
        inspect.isfunction(target)
        or inspect.ismethod(target)
        or isinstance(target, functools.partial)  # inspect sees through partials
    ):
        # Callable objects: the kind is that of their __call__.
        target = type(func).__call__
    kind = _own_kind(target)
    if kind == "plain":
        inner = target
        while isinstance(inner, functools.partial):
            inner = inner.func
        try:
            inner = inspect.unwrap(inner)
        except ValueError:  # a __wrapped__ cycle: take the function as it is
            return kind
        if inner is not target and _own_kind(inner) != "plain":
            return "deferred"
    return kind


def _own_kind(target: Any) -> str:
    if inspect.isasyncgenfunction(target):
        return "async_generator"
    if inspect.iscoroutinefunction(target):
        return "coroutine"
    if inspect.isgeneratorfunction(target):
        return "generator"
    return "plain"


def generic(
    kind: str,
    plan: Plan,
    default: Any,
    call: Callable[..., Any],
    handle: Callable[..., bool] | None = None,
) -> Any:
    """A ``(*args, **kwargs)`` wrapper of ``kind`` calling ``call`` (for proxies)."""

    def model(*args: Any, **kwargs: Any) -> Any:
        return call(*args, **kwargs)

    wrap_result = functools.partial(_wrap_result, plan, default) if kind == "deferred" else None
    return _TEMPLATES[kind, plan.reraise].build(
        model,
        call,
        plan.handle if handle is None else handle,
        default,
        plan.reraise,
        wrap_result,
    )


def is_decorated(obj: object) -> bool:
    """Tell whether ``obj`` already captures its errors: a wrapper of ours, or rewritten."""
    if type(obj) is _FUNCTION:  # first: instrument_modules asks it of every function
        code = obj.__code__
        # A function instrument_modules compiled (``_rewrite``) captures its own errors.
        return code.co_filename in _OWN_FILES or REPORTER in code.co_names
    if isinstance(obj, (classmethod, staticmethod)):
        return is_decorated(obj.__func__)
    proxy = sys.modules.get("autocapture._proxy")
    return proxy is not None and isinstance(obj, proxy.CaptureProxy)
