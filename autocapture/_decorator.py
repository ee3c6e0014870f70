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
* One synchronous core (``_Plan.handle``) serves all four kinds.
* ``@auto_capture_errors`` on a class decorates the functions defined in its body.
"""

from __future__ import annotations

import functools
import inspect
import sys
import types
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Callable, TypeVar, overload

if sys.version_info >= (3, 10):
    from typing import ParamSpec
else:  # pragma: no cover - Python 3.9
    from typing_extensions import ParamSpec

from autocapture._answers import is_control_flow, is_http_answer
from autocapture._capture import emit_error
from autocapture._config import get_config, is_ignored
from autocapture._infer import context_fields, infer
from autocapture._log import report_failure
from autocapture._options import IgnoreOption, validate
from autocapture._scrub import EventSecrets
from autocapture._shape import Template
from autocapture._stack import caller_frames

if TYPE_CHECKING:
    from autocapture._infer import Inference
    from autocapture._sinks import Sink
    from autocapture._stack import StackFrame

__all__ = ["IgnoreOption", "auto_capture_errors", "decorate", "is_decorated", "validate"]

_validate = validate  # the name autocapture._tasks imports

P = ParamSpec("P")
R = TypeVar("R")

# Never reported: control flow, not failures.
_NEVER = (StopIteration, StopAsyncIteration)
_SELF_NAMES = frozenset(("self", "cls", "mcs", "metacls"))


class _Plan:
    """What a decorated function knows about itself, built at its first failure."""

    __slots__ = (
        "capture_args",
        "context_type",
        "defaults",
        "explicit_context_type",
        "explicit_operation",
        "function",
        "generation",
        "handled",
        "ignore_predicate",
        "ignore_types",
        "inference",
        "keyword",
        "level",
        "module",
        "options",
        "positional",
        "qualname",
        "signature",
        "sink",
        "tags",
        "target",
        "var_keyword",
        "var_positional",
    )

    def __init__(self, func: Callable[..., Any], **options: Any) -> None:
        """Keep ``func`` and its validated options (see ``validate``); nothing else yet."""
        self.target = func
        self.options = options
        self.generation = -1  # not prepared: see _prepare

    @classmethod
    def of(cls, func: Callable[..., Any], options: dict[str, Any]) -> _Plan:
        """The same as ``_Plan(func, **options)``, without copying the options."""
        plan = cls.__new__(cls)
        plan.target = func
        plan.options = options
        plan.generation = -1
        return plan

    @property
    def reraise(self) -> bool:
        """False: a captured error returns the default instead of propagating."""
        return self.options["reraise"]  # type: ignore[no-any-return]

    def _prepare(self) -> None:
        # Options, names, argument plan and inference, once, at the first failure.
        options = self.options
        self.explicit_context_type = options["context_type"]
        self.explicit_operation = options["operation"]
        self.capture_args = options["capture_args"]
        self.tags = options["tags"]
        self.sink = options["sink"]
        self.ignore_types = options["ignore_types"]
        self.ignore_predicate = options["ignore_predicate"]
        self.level = options["level"]
        self.handled = not options["reraise"]
        named = self.target
        while isinstance(named, functools.partial):  # name the function it calls
            named = named.func
        self.module = str(getattr(named, "__module__", None) or "<unknown>")
        self.qualname = str(
            getattr(named, "__qualname__", None)
            or getattr(named, "__name__", None)
            or type(named).__qualname__
        )
        self.function = f"{self.module}.{self.qualname}"
        self.signature = self._plan_arguments(self.target)
        try:
            self._infer()
        except Exception as err:
            report_failure(f"inferring the context of {self.function}", err)
            self.inference: Inference = infer(self.module, "")
            self.generation = get_config().generation

    def _plan_arguments(self, func: Callable[..., Any]) -> inspect.Signature | None:
        # Binding by hand from a precomputed plan is several times cheaper than
        # ``Signature.bind_partial`` on the error path, and never raises.
        try:
            signature: inspect.Signature | None = inspect.signature(func)
        except Exception:  # some builtins have no signature; a broken __signature__
            signature = None
        params = list(signature.parameters.values()) if signature is not None else []
        kinds = inspect.Parameter
        self.positional: tuple[str, ...] = tuple(
            p.name
            for p in params
            if p.kind in (kinds.POSITIONAL_ONLY, kinds.POSITIONAL_OR_KEYWORD)
        )
        self.keyword: frozenset[str] = frozenset(
            p.name for p in params if p.kind in (kinds.POSITIONAL_OR_KEYWORD, kinds.KEYWORD_ONLY)
        )
        self.var_positional = next(
            (p.name for p in params if p.kind is kinds.VAR_POSITIONAL), None
        )
        self.var_keyword = next((p.name for p in params if p.kind is kinds.VAR_KEYWORD), None)
        # Defaults are part of the call too (``table="users"`` names the table).
        self.defaults: tuple[tuple[str, Any], ...] = tuple(
            (p.name, p.default) for p in params if p.default is not p.empty
        )
        return signature

    def _infer(self) -> None:
        config = get_config()
        self.generation = config.generation
        # The whole qualname: a class name (``OpenRouterClient.make_request``) is a signal.
        self.inference = infer(
            self.module,
            self.qualname,
            config.rules,
            context_type=self.explicit_context_type,
            operation=self.explicit_operation,
        )

    def handle(  # noqa: C901 - one guarded sequence: exclusions, inference, the deferred plan
        self, exc: Exception, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> bool:
        """Report ``exc`` unless it is excluded; never raises.

        Returns:
            True when ``exc`` is an error this decorator deals with (captured, or already
            reported); False when it must propagate untouched (ignored, 4xx, iteration).
        """
        if self.generation < 0:
            self._prepare()
        config = get_config()
        try:
            if (
                isinstance(exc, (*_NEVER, *self.ignore_types))
                or is_http_answer(exc)
                or is_control_flow(exc)
                or (self.ignore_predicate is not None and self.ignore_predicate(exc))
                or is_ignored(exc, config)
            ):
                return False
        except KeyboardInterrupt:
            raise
        except BaseException as err:  # a user predicate that fails: capture, do not guess
            report_failure(f"the ignore predicate of {self.function}", err)
        secrets = EventSecrets()  # what the arguments hold secret, redacted event-wide
        try:
            if self.generation != config.generation:
                self._infer()
        except KeyboardInterrupt:
            raise
        except BaseException as err:  # at the recursion limit, say
            report_failure(f"inferring the context of {self.function}", err)
        inference = self.inference

        def prepare() -> tuple[dict[str, Any], dict[str, Any], tuple[StackFrame, ...]]:
            # Only once the error is claimed: a rate-limited one is not worth scrubbing.
            try:
                config = get_config()
                # Scrubbed once here; the context fields are then picked from safe values.
                arguments = config.scrubber.scrub_mapping(
                    self._arguments(args, kwargs), secrets=secrets
                )
                context = context_fields(
                    inference.context_type,
                    arguments,
                    provider=inference.provider,
                    operation=inference.operation,
                    rules=config.rules,
                )
                if inference.operation and inference.context_type != "general":
                    context.setdefault("operation", inference.operation)
                # The callers above our wrapper, copied now (emit_error calls this while
                # the wrapper still runs): their frames are gone once the error
                # propagates (or is swallowed) past them.
                callers = caller_frames(exc)
            except KeyboardInterrupt:
                raise
            except BaseException as err:  # a scrub callback must not replace the user's error
                report_failure(f"collecting the context of {self.function}", err)
                return {}, {}, ()
            return arguments, context, callers

        emit_error(
            exc,
            context_type=inference.context_type,
            operation=inference.operation,
            function=self.function,
            module=self.module,
            arguments={},
            context={},
            prepare=prepare,
            secrets=secrets,
            tags=self.tags,
            level=self.level,
            sink=self.sink,
            handled=self.handled,
            ignore_checked=True,
        )
        return True

    def _arguments(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        if self.capture_args is False:
            return {}
        positional = self.positional
        arguments: dict[str, Any] = dict(zip(positional, args))
        if len(args) > len(positional):
            extra = list(args[len(positional) :])
            if self.var_positional is not None:
                arguments[self.var_positional] = extra
            else:  # a wrong call (it raised TypeError): still show what was passed
                arguments.update((f"arg{i}", a) for i, a in enumerate(extra, len(positional)))
        if kwargs:
            if self.var_keyword is None:
                arguments.update(kwargs)
            else:
                rest = {k: v for k, v in kwargs.items() if k not in self.keyword}
                arguments.update((k, v) for k, v in kwargs.items() if k in self.keyword)
                if rest:
                    arguments[self.var_keyword] = rest
        arguments.update([(n, v) for n, v in self.defaults if n not in arguments])
        if positional and positional[0] in _SELF_NAMES and args:
            del arguments[positional[0]]
        if self.capture_args is not True:
            arguments = {k: v for k, v in arguments.items() if k in self.capture_args}
        return arguments


# --------------------------------------------------------------------------- wrappers
#
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

_CO_COROUTINE = inspect.CO_COROUTINE
_CO_GENERATOR = inspect.CO_GENERATOR
_CO_ASYNC_GENERATOR = inspect.CO_ASYNC_GENERATOR


def _wrap_function(func: types.FunctionType, plan: _Plan, default: Any) -> Callable[..., Any]:
    flags = func.__code__.co_flags
    if flags & _CO_ASYNC_GENERATOR:
        kind = "async_generator"
    elif flags & _CO_COROUTINE:
        kind = "coroutine"
    elif flags & _CO_GENERATOR:
        kind = "generator"
    elif func.__dict__:  # __wrapped__ (a sync decorator), or a coroutine mark (3.12)
        kind = _kind(func)
    else:
        kind = "plain"
    reraise = plan.options["reraise"]
    cells = {"func": func, "handle": plan.handle, "default": default, "reraise": reraise}
    if kind == "deferred":
        cells["wrap_result"] = functools.partial(_wrap_result, plan, default)
    return _TEMPLATES[kind, reraise].build(func, cells)


def _wrap_result(plan: _Plan, default: Any, result: Any, args: Any, kwargs: Any) -> Any:
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

    cells = {"func": give, "handle": plan.handle, "default": default, "reraise": plan.reraise}
    return template.build(give, cells)(*args, **kwargs)


def _kind(func: Any) -> str:
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


def _generic(
    kind: str,
    plan: _Plan,
    default: Any,
    call: Callable[..., Any],
    handle: Callable[..., bool] | None = None,
) -> Any:
    """A ``(*args, **kwargs)`` wrapper of ``kind`` calling ``call`` (for proxies)."""

    def model(*args: Any, **kwargs: Any) -> Any:
        return call(*args, **kwargs)

    cells = {
        "func": call,
        "handle": plan.handle if handle is None else handle,
        "default": default,
        "reraise": plan.reraise,
    }
    if kind == "deferred":
        cells["wrap_result"] = functools.partial(_wrap_result, plan, default)
    return _TEMPLATES[kind, plan.reraise].build(model, cells)


def is_decorated(obj: object) -> bool:
    """Tell whether ``obj`` is already a wrapper made by ``@auto_capture_errors``."""
    if isinstance(obj, (classmethod, staticmethod)):
        obj = obj.__func__
    code = getattr(obj, "__code__", None) if type(obj) is types.FunctionType else None
    if code is not None:
        return code.co_filename in _OWN_FILES
    proxy = sys.modules.get("autocapture._proxy")
    return proxy is not None and isinstance(obj, proxy.CaptureProxy)


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
        if name.startswith("__") and name.endswith("__") and name not in _CLASS_DUNDERS:
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


def decorate(func: Any, options: dict[str, Any], default: Any) -> Any:
    """Wrap ``func`` (validated ``options``); a class is decorated in place and returned."""
    if type(func) is types.FunctionType:
        return _wrap_function(func, _Plan.of(func, options), default)
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
        return _wrap_function(func, _Plan.of(func, options), default)
    from autocapture._proxy import CaptureProxy

    return CaptureProxy.around(func, _Plan.of(func, options), options, default)


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
        return decorate(f, options, default)  # type: ignore[no-any-return]

    if func is not None:
        return decorator(func)
    return decorator
