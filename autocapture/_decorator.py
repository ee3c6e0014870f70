"""``@auto_capture_errors``: capture what a function raises, with context, once.

Design (measured in ``benchmarks/bench_decorator.py``):

* Everything is decided at decoration time: the kind of callable (plain, coroutine,
  generator, async generator), the context type and operation, the tags, the signature and
  the argument plan. Arguments are bound and scrubbed only when something failed.
* Plain functions (and so methods, classmethods and staticmethods, whose underlying
  functions are plain) get a thin ``def``/``async def`` wrapper whose success path is a
  ``try`` and a call. A ``wrapt.FunctionWrapper`` costs about five times that per call on
  wrapt 2 (it looks up ``__self__`` on every call), so it is kept for the callables that
  need its descriptor-aware transparency: callable objects, bound methods, partials,
  builtins and other proxies.
* One synchronous core (``_Plan.handle``) serves all four kinds.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Callable, TypeVar, Union, overload

import wrapt
from typing_extensions import ParamSpec

from autocapture._api import check_context_type, check_level, check_name, check_tags
from autocapture._capture import emit_error, is_intentional_http_error
from autocapture._config import check_sink, get_config
from autocapture._infer import context_fields, infer
from autocapture._log import report_failure
from autocapture._stack import caller_frames

if TYPE_CHECKING:
    from autocapture._infer import Inference
    from autocapture._sinks import Sink
    from autocapture._stack import StackFrame

__all__ = ["auto_capture_errors"]

P = ParamSpec("P")
R = TypeVar("R")

IgnoreOption = Union[
    type[BaseException],
    tuple[type[BaseException], ...],
    Callable[[BaseException], bool],
    None,
]
"""What ``ignore=`` accepts: exception types, or a predicate ``exc -> bool``."""

# Never reported: control flow, not failures.
_NEVER = (StopIteration, StopAsyncIteration)
_SELF_NAMES = frozenset(("self", "cls", "mcs", "metacls"))
# Exceptions task frameworks raise to steer a task, not to report a failure (Celery's
# ``self.retry()`` raises Retry). Matched by name so that celery is never imported.
_CONTROL_FLOW = frozenset(
    (
        ("celery.exceptions", "Retry"),
        ("celery.exceptions", "Ignore"),
        ("celery.exceptions", "Reject"),
    )
)


def _is_control_flow(exc: BaseException) -> bool:
    cls = type(exc)
    return (cls.__module__, cls.__qualname__) in _CONTROL_FLOW


class _Plan:
    """What a decorated function knows about itself, computed once at decoration."""

    __slots__ = (
        "capture_args",
        "context_type",
        "defaults",
        "explicit_context_type",
        "explicit_operation",
        "function",
        "generation",
        "ignore_predicate",
        "ignore_types",
        "inference",
        "keyword",
        "level",
        "module",
        "positional",
        "qualname",
        "reraise",
        "signature",
        "sink",
        "tags",
        "var_keyword",
        "var_positional",
    )

    def __init__(
        self,
        func: Callable[..., Any],
        *,
        context_type: str | None,
        operation: str | None,
        reraise: bool,
        capture_args: bool | frozenset[str],
        tags: dict[str, str],
        sink: Sink | None,
        ignore_types: tuple[type[BaseException], ...],
        ignore_predicate: Callable[[BaseException], bool] | None,
        level: str,
    ) -> None:
        named = func
        while isinstance(named, functools.partial):  # name the function it calls
            named = named.func
        self.module = str(getattr(named, "__module__", None) or "<unknown>")
        self.qualname = str(
            getattr(named, "__qualname__", None)
            or getattr(named, "__name__", None)
            or type(named).__qualname__
        )
        self.function = f"{self.module}.{self.qualname}"
        self.explicit_context_type = context_type
        self.explicit_operation = operation
        self.reraise = reraise
        self.capture_args = capture_args
        self.tags = tags
        self.sink = sink
        self.ignore_types = ignore_types
        self.ignore_predicate = ignore_predicate
        self.level = level
        self.signature = self._plan_arguments(func)
        self._infer()

    def _plan_arguments(self, func: Callable[..., Any]) -> inspect.Signature | None:
        # Binding by hand from a precomputed plan is several times cheaper than
        # ``Signature.bind_partial`` on the error path, and never raises.
        try:
            signature: inspect.Signature | None = inspect.signature(func)
        except (TypeError, ValueError):  # some builtins have no signature
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
        self.inference: Inference = infer(
            self.module,
            self.qualname,
            config.rules,
            context_type=self.explicit_context_type,
            operation=self.explicit_operation,
        )

    def handle(self, exc: Exception, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
        """Report ``exc`` unless it is excluded; never raises.

        Returns:
            True when ``exc`` is an error this decorator deals with (captured, or already
            reported); False when it must propagate untouched (ignored, 4xx, iteration).
        """
        try:
            if (
                isinstance(exc, (*_NEVER, *self.ignore_types))
                or is_intentional_http_error(exc)
                or _is_control_flow(exc)
                or (self.ignore_predicate is not None and self.ignore_predicate(exc))
            ):
                return False
        except Exception as err:  # a user predicate that fails: capture, do not guess
            report_failure(f"the ignore predicate of {self.function}", err)
        try:
            if self.generation != get_config().generation:
                self._infer()
        except Exception as err:
            report_failure(f"inferring the context of {self.function}", err)
        inference = self.inference

        def prepare() -> tuple[dict[str, Any], dict[str, Any], tuple[StackFrame, ...]]:
            # Only once the error is claimed: a rate-limited one is not worth scrubbing.
            try:
                config = get_config()
                # Scrubbed once here; the context fields are then picked from safe values.
                arguments = config.scrubber.scrub_mapping(self._arguments(args, kwargs))
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
            except Exception as err:
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
            tags=self.tags,
            level=self.level,
            sink=self.sink,
            handled=not self.reraise,
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


def _make_plain(func: Callable[..., Any], plan: _Plan, default: Any) -> Callable[..., Any]:
    handle = plan.handle
    if plan.reraise:

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return func(*args, **kwargs)
            except Exception as exc:
                handle(exc, args, kwargs)
                raise

    else:

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return func(*args, **kwargs)
            except Exception as exc:
                if handle(exc, args, kwargs):
                    return default
                raise

    return wrapper


def _make_coroutine(func: Callable[..., Any], plan: _Plan, default: Any) -> Callable[..., Any]:
    handle = plan.handle
    if plan.reraise:

        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return await func(*args, **kwargs)
            except Exception as exc:
                handle(exc, args, kwargs)
                raise

    else:

        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return await func(*args, **kwargs)
            except Exception as exc:
                if handle(exc, args, kwargs):
                    return default
                raise

    return wrapper


def _make_generator(func: Callable[..., Any], plan: _Plan, default: Any) -> Callable[..., Any]:
    handle = plan.handle
    reraise = plan.reraise

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        # ``yield from`` forwards send(), throw() and close() exactly as without us.
        try:
            return (yield from func(*args, **kwargs))
        except Exception as exc:
            if not handle(exc, args, kwargs) or reraise:
                raise
            return default

    return wrapper


def _make_async_generator(
    func: Callable[..., Any],
    plan: _Plan,
    default: Any,  # noqa: ARG001 - an async generator cannot return a value
) -> Callable[..., Any]:
    handle = plan.handle
    reraise = plan.reraise

    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        # There is no ``yield from`` for async generators: forward asend/athrow/aclose.
        agen = func(*args, **kwargs)
        try:
            value = await agen.__anext__()
            while True:
                try:
                    sent = yield value
                except GeneratorExit:
                    await agen.aclose()
                    raise
                except BaseException as thrown:
                    value = await agen.athrow(thrown)
                else:
                    value = await (agen.__anext__() if sent is None else agen.asend(sent))
        except StopAsyncIteration:
            return
        except Exception as exc:
            if not handle(exc, args, kwargs) or reraise:
                raise
            return  # an async generator cannot return ``default``: it just stops

    return wrapper


def _make_deferred(func: Callable[..., Any], plan: _Plan, default: Any) -> Callable[..., Any]:
    # A plain function over a coroutine or generator function (a sync decorator made
    # with functools.wraps that returns ``func(*args)``): what fails, fails when the
    # result is awaited or iterated. Which it is shows only in the result, so each call
    # checks it; only functions decorated this way pay for that.
    plain = _make_plain(func, plan, default)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = plain(*args, **kwargs)
        if inspect.iscoroutine(result):
            kind = "coroutine"
        elif inspect.isgenerator(result):
            kind = "generator"
        elif inspect.isasyncgen(result):
            kind = "async_generator"
        else:
            return result
        return _FACTORIES[kind](lambda *_a, **_k: result, plan, default)(*args, **kwargs)

    return wrapper


_FACTORIES = {
    "plain": _make_plain,
    "coroutine": _make_coroutine,
    "generator": _make_generator,
    "async_generator": _make_async_generator,
    "deferred": _make_deferred,
}


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


def _call_core(core: Callable[..., Any]) -> Callable[..., Any]:
    # wrapt keeps the object's behaviour (isinstance, attributes, descriptor binding);
    # ``core`` is our thin wrapper around the object's own call.
    def wrapper(_wrapped: Any, _instance: Any, args: tuple[Any, ...], kwargs: Any) -> Any:
        return core(*args, **kwargs)

    return wrapper


def _decorate(func: Any, plan_options: dict[str, Any], default: Any) -> Any:
    if isinstance(func, (classmethod, staticmethod)):
        # Written outside @classmethod/@staticmethod: wrap the function, rewrap the kind.
        return type(func)(_decorate(func.__func__, plan_options, default))
    if not callable(func):
        raise TypeError(
            f"@auto_capture_errors decorates a function, method or callable object, got "
            f"{type(func).__name__} {func!r}"
        )
    plan = _Plan(func, **plan_options)
    kind = _kind(func)
    core = _FACTORIES[kind](func, plan, default)
    if inspect.isfunction(func):
        functools.update_wrapper(core, func)
        if plan.signature is not None:
            # For tools that do not follow __wrapped__ (Celery's getfullargspec checks a
            # task's arguments at .delay() time with it).
            core.__signature__ = plan.signature  # type: ignore[attr-defined]
        return core
    return wrapt.FunctionWrapper(func, _call_core(core))


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
    callable objects; the result keeps the function's name, docstring, signature and
    ``inspect`` answers.

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
    options = _validate(
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
        return _decorate(f, options, default)  # type: ignore[no-any-return]

    if func is not None:
        return decorator(func)
    return decorator


def _validate(
    *,
    context_type: object,
    operation: object,
    reraise: object,
    capture_args: object,
    tags: object,
    sink: object,
    ignore: object,
    level: object,
) -> dict[str, Any]:
    where = "@auto_capture_errors"
    check_context_type(f"{where}(context_type=...)", context_type, optional=True)
    check_name(f"{where}(operation=...)", operation, optional=True)
    if not isinstance(reraise, bool):
        raise TypeError(f"{where}(reraise=...) must be True or False, got {reraise!r}")
    names: bool | frozenset[str]
    if isinstance(capture_args, bool):
        names = capture_args
    elif isinstance(capture_args, str) or not isinstance(capture_args, Iterable):
        raise TypeError(
            f"{where}(capture_args=...) must be True, False or an iterable of argument "
            f"names such as ('user_id', 'model'), got {capture_args!r}"
        )
    else:
        names = frozenset(capture_args)
        if not all(isinstance(n, str) for n in names):
            raise TypeError(f"{where}(capture_args=...) names must be str, got {capture_args!r}")
    ignore_types: tuple[type[BaseException], ...] = ()
    ignore_predicate = None
    if ignore is None:
        pass
    elif isinstance(ignore, type) and issubclass(ignore, BaseException):
        ignore_types = (ignore,)
    elif isinstance(ignore, tuple) and all(
        isinstance(t, type) and issubclass(t, BaseException) for t in ignore
    ):
        ignore_types = ignore
    elif callable(ignore) and not isinstance(ignore, type):
        ignore_predicate = ignore
    else:
        raise TypeError(
            f"{where}(ignore=...) takes an exception type, a tuple of exception types or "
            f"a predicate exc -> bool, got {ignore!r}"
        )
    return {
        "context_type": context_type,
        "operation": operation,
        "reraise": reraise,
        "capture_args": names,
        "tags": check_tags(f"{where}(tags=...)", tags),
        "sink": check_sink(f"{where}(sink=...)", sink, allow_none=True),
        "ignore_types": ignore_types,
        "ignore_predicate": ignore_predicate,
        "level": check_level(f"{where}(level=...)", level),
    }
