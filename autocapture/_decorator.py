"""``@auto_capture_errors``: capture what a function raises, with context, once.

Design (measured in ``benchmarks/bench_decorator.py`` and ``bench_decoration.py``):

* Decoration decides the kind of callable (plain, coroutine, generator, async generator)
  and nothing else that costs: the names, the signature, the argument plan and the
  inferred context type are built at the first failure and kept (``_Plan``), so that
  instrumenting thousands of functions costs little at import.
* Python functions (and so methods, classmethods and staticmethods) get a thin wrapper
  made from one of the templates below, with the function's own globals and parameter
  list (``_shape``): its success path is a ``try`` and a call, and tools see the
  function, not us. Callable objects, bound methods, partials, builtins and other
  proxies get a ``wrapt`` proxy (``_proxy``), which keeps their attributes and binding.
* One synchronous core (``Plan.handle``, in ``_plan``) serves all four kinds; the
  templates are in ``_wrappers``.
* ``@auto_capture_errors`` on a class decorates the functions defined in its body.
"""

from __future__ import annotations

import inspect
import sys
import types
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Callable, TypeVar, overload

if sys.version_info >= (3, 10):
    from typing import ParamSpec
else:  # pragma: no cover - Python 3.9
    from typing_extensions import ParamSpec

from autocapture._config import get_config
from autocapture._options import IgnoreOption, validate
from autocapture._plan import Plan
from autocapture._wrappers import is_decorated, wrap_function

if TYPE_CHECKING:
    from autocapture._sinks import Sink

__all__ = [
    "IgnoreOption",
    "auto_capture_errors",
    "decorate",
    "is_decorated",
    "is_plumbing",
    "validate",
]

P = ParamSpec("P")
R = TypeVar("R")


# --------------------------------------------------------------------------- classes

# Dunders that run user code worth capturing; the others are protocol plumbing
# (__repr__, __eq__, __hash__, __getattr__...) that other code calls implicitly.
_CLASS_DUNDERS = frozenset(
    (
        "__init__",
        "__call__",
        "__enter__",
        "__exit__",
        "__aenter__",
        "__aexit__",
        "__iter__",
        "__next__",
        "__aiter__",
        "__anext__",
    )
)


def is_plumbing(name: str, *, in_class: bool = True) -> bool:
    """Tell whether a function named ``name`` is protocol plumbing, never captured.

    In a class: the dunders but ``_CLASS_DUNDERS``. In a module: every dunder (its
    ``__getattr__`` raising AttributeError is how ``hasattr`` gets its answer).
    """
    return name[:2] == "__" and name[-2:] == "__" and not (in_class and name in _CLASS_DUNDERS)


def decorate_members(
    cls: type, options: dict[str, Any], default: Any, *, module: str | None = None
) -> int:
    """Decorate the functions defined in the body of ``cls``, in place.

    Args:
        cls: The class.
        options: Validated options.
        default: What a failed call returns when not re-raising.
        module: Also decorate the classes nested in ``cls`` that were defined in this
            module (``instrument_modules``); None: only the body of ``cls``.

    Returns:
        How many functions were decorated.
    """
    count = 0
    for name, member in list(vars(cls).items()):
        if is_plumbing(name):
            continue
        if module is not None and isinstance(member, type):
            if member.__module__ == module and member.__qualname__.startswith(
                f"{cls.__qualname__}."
            ):
                count += decorate_members(member, options, default, module=module)
            continue
        replacement = _member(member, options, default)
        if replacement is not member:
            try:
                setattr(cls, name, replacement)
            except (AttributeError, TypeError):  # a class that refuses (some metaclasses)
                continue
            count += 1
    return count


def _member(member: Any, options: dict[str, Any], default: Any) -> Any:
    if type(member) is types.FunctionType:
        return member if is_decorated(member) else decorate(member, options, default)
    if isinstance(member, (classmethod, staticmethod)):
        inner = member.__func__
        if type(inner) is types.FunctionType and not is_decorated(inner):
            return type(member)(decorate(inner, options, default))
        return member
    if type(member) is property:
        accessors: list[Any] = [
            accessor
            if accessor is None
            or type(accessor) is not types.FunctionType
            or is_decorated(accessor)
            else decorate(accessor, options, default)
            for accessor in (member.fget, member.fset, member.fdel)
        ]
        if all(new is old for new, old in zip(accessors, (member.fget, member.fset, member.fdel))):
            return member
        fget, fset, fdel = accessors
        return property(fget, fset, fdel, member.__doc__)
    return member


# --------------------------------------------------------------------------- decorate


_FUNCTION = types.FunctionType


def decorate(func: Any, options: dict[str, Any], default: Any) -> Any:
    """Wrap ``func`` (validated ``options``); a class is decorated in place and returned."""
    if type(func) is _FUNCTION:
        return wrap_function(func, Plan.of(func, options), default)
    if isinstance(func, (classmethod, staticmethod)):
        # Written outside @classmethod/@staticmethod: wrap the function, rewrap the kind.
        return type(func)(decorate(func.__func__, options, default))
    if isinstance(func, type):
        decorate_members(func, options, default)
        return func
    if not callable(func):
        raise TypeError(
            f"@auto_capture_errors decorates a function, method, class or callable object, "
            f"got {type(func).__name__} {func!r}"
        )
    if inspect.isfunction(func):  # a subclass of FunctionType (rare): its own rules
        return wrap_function(func, Plan.of(func, options), default)
    from autocapture._proxy import CaptureProxy

    return CaptureProxy.around(func, Plan.of(func, options), options, default)


_DEFAULTS: dict[str, Any] = {}


def _bare_options() -> dict[str, Any]:
    # Bare ``@auto_capture_errors`` validates the default options once per process.
    if not _DEFAULTS:
        _DEFAULTS.update(
            validate(
                context_type=None,
                operation=None,
                reraise=True,
                capture_args=True,
                tags=None,
                sink=None,
                ignore=None,
                level="error",
            )
        )
    return _DEFAULTS


@overload
def auto_capture_errors(func: Callable[P, R], /) -> Callable[P, R]: ...


@overload
def auto_capture_errors(
    *,
    context_type: str | None = None,
    operation: str | None = None,
    reraise: bool = True,
    default: Any = None,
    capture_args: bool | Iterable[str] = True,
    tags: dict[str, str] | None = None,
    sink: Sink | None = None,
    ignore: IgnoreOption = None,
    level: str = "error",
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...


def auto_capture_errors(
    func: Callable[P, R] | None = None,
    /,
    *,
    context_type: str | None = None,
    operation: str | None = None,
    reraise: bool = True,
    default: Any = None,
    capture_args: bool | Iterable[str] = True,
    tags: dict[str, str] | None = None,
    sink: Sink | None = None,
    ignore: IgnoreOption = None,
    level: str = "error",
) -> Callable[P, R] | Callable[[Callable[P, R]], Callable[P, R]]:
    """Capture the errors a function raises, with its context, and report each once.

    Usable bare (``@auto_capture_errors``) or with options. Works on functions,
    ``async def``, generators, async generators, methods, classmethods, staticmethods and
    callable objects; the result keeps the function's name, docstring, globals, signature
    and ``inspect`` answers. On a class, it decorates the functions defined in its body
    (methods of every kind, property accessors, and the dunders ``__init__``,
    ``__call__``, ``__enter__``/``__exit__``, ``__aenter__``/``__aexit__``, ``__iter__``/
    ``__next__``, ``__aiter__``/``__anext__``) and returns the class itself.

    Args:
        func: The function, when used bare.
        context_type: ``"provider"``, ``"database"``, ``"payment"``, ``"auth"``,
            ``"cache"``, ``"general"`` or a custom type (registered with
            ``configure(rules=...)``, before or after decorating); inferred from the
            module and function names when omitted. A near miss of a known type
            (``"providr"``, ``"db"``) is refused with a suggestion.
        operation: The operation (``"insert"``, ``"charge"``...); inferred when omitted.
        reraise: False: the error is captured and the call returns ``default``.
        default: What a failed call returns when ``reraise`` is False.
        capture_args: True: every argument, scrubbed; False: none; names: only those.
        tags: Extra tags (str -> str) on every event of this function.
        sink: A sink for this function only.
        ignore: Exception types, or a predicate ``exc -> bool``, re-raised uncaptured.
        level: ``"fatal"``, ``"error"``, ``"warning"`` or ``"info"``.

    Returns:
        The decorated function, or a decorator when called with options only.

    Raises:
        TypeError: An option has the wrong type; the message says what is allowed.
        ValueError: An option has a value that is not allowed.
    """
    if func is not None and (
        context_type is None
        and operation is None
        and reraise is True
        and default is None
        and capture_args is True
        and tags is None
        and sink is None
        and ignore is None
        and level == "error"
    ):  # bare: the default options, validated once
        if not get_config().enabled:
            return func
        if type(func) is _FUNCTION:  # the common case, straight to its wrapper
            return wrap_function(func, Plan.of(func, _DEFAULTS or _bare_options()), None)
        return decorate(func, _bare_options(), None)  # type: ignore[no-any-return]
    options = validate(
        context_type=context_type,
        operation=operation,
        reraise=reraise,
        capture_args=capture_args,
        tags=tags,
        sink=sink,
        ignore=ignore,
        level=level,
    )

    def decorator(f: Callable[P, R]) -> Callable[P, R]:
        if not get_config().enabled:
            return f
        if type(f) is _FUNCTION:  # the common case, straight to its wrapper
            return wrap_function(f, Plan.of(f, options), default)
        return decorate(f, options, default)  # type: ignore[no-any-return]

    if func is not None:
        return decorator(func)
    return decorator
