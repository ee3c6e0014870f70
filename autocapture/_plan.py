"""What a decorated function knows about itself: its plan, built at its first failure.

``Plan.handle`` is the one synchronous error core behind every wrapper (the four kinds of
callables, proxies, background tasks and Celery): exclusions, inference, the argument
plan, and the call to ``emit_error``. Decoration only keeps the function and its
validated options; the names, the signature and the inferred context are built at the
first failure, so that instrumenting thousands of functions costs little at import.
"""

from __future__ import annotations

import functools
import inspect
from typing import TYPE_CHECKING, Any, Callable

from autocapture._answers import is_control_flow, is_http_answer, may_be_answer
from autocapture._config import get_config, is_ignored
from autocapture._log import report_failure

if TYPE_CHECKING:
    from autocapture._infer import Inference
    from autocapture._pending import Snapshot
    from autocapture._scrub import EventSecrets
    from autocapture._stack import StackFrame

__all__ = ["Plan"]

# Never reported: control flow, not failures.
_NEVER = (StopIteration, StopAsyncIteration)
_SELF_NAMES = frozenset(("self", "cls", "mcs", "metacls"))
# Per plan, the exception types known to be neither excluded by type nor an answer: a
# few, bounded all the same.
_MEMO_SIZE = 64


class _Core:
    """The capture machinery, imported at the first failure (not at import), then kept.

    An import statement in ``handle`` would cost microseconds at every failure (the
    import system runs even for a loaded module); class attributes cost nanoseconds.
    """

    loaded = False
    emit_error: Any
    redact_known: Any
    context_fields: Any
    caller_frames: Any
    plain_copy: Any
    raw_callers: Any

    @classmethod
    def load(cls) -> type[_Core]:
        from autocapture._capture import emit_error, redact_known
        from autocapture._infer import context_fields
        from autocapture._pending import plain_copy
        from autocapture._stack import caller_frames, raw_callers

        cls.raw_callers = raw_callers
        cls.emit_error, cls.redact_known = emit_error, redact_known
        cls.context_fields, cls.caller_frames = context_fields, caller_frames
        cls.plain_copy = plain_copy
        cls.loaded = True
        return cls


class Plan:
    """What a decorated function knows about itself, built at its first failure."""

    __slots__ = (
        "capture_args",
        "context_type",
        "defaults",
        "drops_first",
        "explicit_context_type",
        "explicit_operation",
        "fields_of",
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
        "plain_types",
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
    def of(cls, func: Callable[..., Any], options: dict[str, Any]) -> Plan:
        """The same as ``Plan(func, **options)``, without copying the options."""
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
        from autocapture._infer import infer  # inference loads at the first failure

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
        self.plain_types: dict[type, bool] = {}
        self.signature = self._plan_arguments(self.target)
        try:
            self._infer()
        except Exception as err:
            report_failure(f"inferring the context of {self.function}", err)
            config = get_config()
            self._infer_as(infer(self.module, ""), config.rules)
            self.generation = config.generation

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
        # ``self`` or ``cls`` is never an argument of the event.
        self.drops_first = bool(self.positional) and self.positional[0] in _SELF_NAMES
        return signature

    def _infer(self) -> None:
        from autocapture._infer import infer

        config = get_config()
        self.generation = config.generation
        # The whole qualname: a class name (``OpenRouterClient.make_request``) is a signal.
        inference = infer(
            self.module,
            self.qualname,
            config.rules,
            context_type=self.explicit_context_type,
            operation=self.explicit_operation,
        )
        self._infer_as(inference, config.rules)

    def _infer_as(self, inference: Inference, rules: Any) -> None:
        # With the inference, the function that picks an event's context fields from its
        # scrubbed arguments: made once here, not at each failure of a deferred event.
        self.inference: Inference = inference
        self.fields_of = functools.partial(_fields, _Core, inference, rules=rules)

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
        core = _Core if _Core.loaded else _Core.load()
        emit_error, redact_known = core.emit_error, core.redact_known
        caller_frames, plain_copy = core.caller_frames, core.plain_copy
        config = get_config()
        try:
            if (
                not self._plain(type(exc))
                and (
                    isinstance(exc, (*_NEVER, *self.ignore_types))
                    or is_http_answer(exc)
                    or is_control_flow(exc)
                )
            ) or (
                (self.ignore_predicate is not None and self.ignore_predicate(exc))
                or is_ignored(exc, config)
            ):
                return False
        except KeyboardInterrupt:
            raise
        except BaseException as err:  # a user predicate that fails: capture, do not guess
            report_failure(f"the ignore predicate of {self.function}", err)
        try:
            if self.generation != config.generation:
                self._infer()
        except KeyboardInterrupt:
            raise
        except BaseException as err:  # at the recursion limit, say
            report_failure(f"inferring the context of {self.function}", err)
        inference, fields_of = self.inference, self.fields_of

        def prepare(
            secrets: EventSecrets,
        ) -> tuple[dict[str, Any], dict[str, Any], tuple[StackFrame, ...]]:
            # Only once the error is claimed: a rate-limited one is not worth scrubbing.
            # ``secrets``: the event's, filled with what the arguments hold secret.
            try:
                config = get_config()
                # Scrubbed once here; the context fields are then picked from safe values.
                # One walk, in the call's order; an argument copied before a secret was
                # found (under a later secret name, or by its shape) is redacted again.
                scrubber = config.scrubber
                arguments = scrubber.scrub_mapping(self._arguments(args, kwargs), secrets=secrets)
                arguments = redact_known(scrubber, arguments, secrets)
                context = fields_of(arguments)
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

        def snapshot() -> Snapshot | None:
            # For a plain MemorySink: the arguments as they are now (their containers
            # copied), scrubbed when the event is first read; None: prepare() instead.
            try:
                arguments = plain_copy(self._arguments(args, kwargs), config.scrubber)
                if arguments is None:
                    return None
                return arguments, core.raw_callers(exc), fields_of
            except KeyboardInterrupt:
                raise
            except BaseException:
                return None

        emit_error(
            exc,
            context_type=inference.context_type,
            operation=inference.operation,
            function=self.function,
            module=self.module,
            arguments={},
            context={},
            prepare=prepare,
            snapshot=snapshot,
            tags=self.tags,
            level=self.level,
            sink=self.sink,
            handled=self.handled,
            ignore_checked=True,
        )
        return True

    def _plain(self, cls: type) -> bool:
        # By type alone: not iteration, not one of the ignored types, not an answer.
        plain = self.plain_types.get(cls)
        if plain is None:
            plain = not issubclass(cls, (*_NEVER, *self.ignore_types)) and not may_be_answer(cls)
            if len(self.plain_types) < _MEMO_SIZE:
                self.plain_types[cls] = plain
        return plain

    def _arguments(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        if self.capture_args is False:
            return {}
        positional = self.positional
        arguments: dict[str, Any] = {}
        if len(args) <= len(positional):
            # A counted loop: ``dict(zip(...))`` or ``enumerate`` cost up to twice as
            # much for a few arguments (measured), and this runs at every failure.
            at = 0
            for value in args:
                arguments[positional[at]] = value
                at += 1  # noqa: SIM113 - see above
        else:
            self._bind_var_positional(arguments, args)
        if kwargs:
            if self.var_keyword is None:
                arguments.update(kwargs)
            else:
                self._bind_var_keyword(arguments, kwargs, self.var_keyword)
        # Statements, not a comprehension: most functions have no defaults, and an empty
        # comprehension still builds a function and a list at every failure.
        for name, default in self.defaults:
            if name not in arguments:
                arguments[name] = default
        if self.drops_first and args:
            del arguments[positional[0]]
        if self.capture_args is not True:
            arguments = {k: v for k, v in arguments.items() if k in self.capture_args}
        return arguments

    def _bind_var_positional(self, arguments: dict[str, Any], args: tuple[Any, ...]) -> None:
        # More positional arguments than named parameters: ``*args``, or a wrong call.
        positional = self.positional
        arguments.update(zip(positional, args))
        extra = list(args[len(positional) :])
        if self.var_positional is not None:
            arguments[self.var_positional] = extra
        else:  # a wrong call (it raised TypeError): still show what was passed
            arguments.update((f"arg{i}", a) for i, a in enumerate(extra, len(positional)))

    def _bind_var_keyword(
        self, arguments: dict[str, Any], kwargs: dict[str, Any], var_keyword: str
    ) -> None:
        # The named parameters by name, the rest under the ``**kwargs`` parameter's name.
        rest = {k: v for k, v in kwargs.items() if k not in self.keyword}
        arguments.update((k, v) for k, v in kwargs.items() if k in self.keyword)
        if rest:
            arguments[var_keyword] = rest


def _fields(
    core: type[_Core], inference: Inference, arguments: dict[str, Any], rules: Any
) -> dict[str, Any]:
    # The context fields of the event, picked from the scrubbed arguments.
    context: dict[str, Any] = core.context_fields(
        inference.context_type,
        arguments,
        provider=inference.provider,
        operation=inference.operation,
        rules=rules,
    )
    if inference.operation and inference.context_type != "general":
        context.setdefault("operation", inference.operation)
    return context
