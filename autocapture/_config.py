"""Process-wide configuration and the context-local sink override.

``configure()`` validates everything at once and swaps in a new frozen ``Config``; readers
take the current object with ``get_config()`` and never see a half-applied change.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from autocapture._checks import (
    IgnoreOption,
    IgnorePredicate,
    check_bool,
    check_choice,
    check_ignore,
    check_sink,
)

if TYPE_CHECKING:
    from autocapture._event import Sink
    from autocapture._ratelimit import RateLimit
    from autocapture._rules import Rules
    from autocapture._scrub import Scrubber, ScrubOptions

__all__ = [
    "DELIVERIES",
    "LEVELS",
    "Config",
    "IgnoreOption",
    "configure",
    "current_sink",
    "get_config",
    "is_ignored",
    "use_sink",
]

# How the configured sink receives events: on the caller, or from a background thread.
DELIVERIES = ("auto", "sync", "background")
# The levels of an event, most severe first.
LEVELS = ("fatal", "error", "warning", "info")

_DEFAULT: Any = object()  # a field left at its default, resolved at first read
_set = object.__setattr__  # how a frozen Config sets its own fields


class Config:
    """The configuration in force; replaced whole by ``configure()``, never changed.

    A plain class, not a dataclass: it is made at import. Its defaults that live in
    other modules (the rules, the scrub options, the rate limit) and the scrubber are
    resolved at first read, which is the first capture for most processes, so importing
    autocapture and ``configure()`` load neither inference nor the scrubber.
    """

    __slots__ = (
        "_rate_limit",
        "_rules",
        "_scrub",
        "_scrubber",
        "delivery",
        "enabled",
        "generation",
        "ignore_predicate",
        "ignore_types",
        "send_pii",
        "sink",
    )

    enabled: bool
    """False: decoration returns functions untouched and nothing is captured."""
    sink: Sink | None
    """The process-wide sink; ``None`` picks Sentry when a client is active, else logging."""
    send_pii: bool
    """True keeps email and IP addresses; False (the default) masks them."""
    delivery: str
    """``"sync"``: sinks emit on the caller; ``"background"``: from a worker thread;
    ``"auto"``: in the background when called on a running asyncio event loop's thread."""
    ignore_types: tuple[type[BaseException], ...]
    """Exception types never captured, anywhere in the process."""
    ignore_predicate: IgnorePredicate
    """A predicate ``exc -> bool``: True means the error is not captured."""
    generation: int
    """Bumped by every ``configure()``; decorated functions re-infer when it changed."""
    _rules: Rules
    _scrub: ScrubOptions
    _rate_limit: RateLimit | None
    _scrubber: Scrubber | None

    def __init__(
        self,
        *,
        enabled: bool = True,
        sink: Sink | None = None,
        rules: Rules = _DEFAULT,
        scrub: ScrubOptions = _DEFAULT,
        send_pii: bool = False,
        rate_limit: RateLimit | None = _DEFAULT,
        delivery: str = "auto",
        ignore_types: tuple[type[BaseException], ...] = (),
        ignore_predicate: IgnorePredicate = None,
        generation: int = 0,
    ) -> None:
        """Hold the given fields; the others keep their defaults."""
        _set(self, "enabled", enabled)
        _set(self, "sink", sink)
        _set(self, "_rules", rules)
        _set(self, "_scrub", scrub)
        _set(self, "send_pii", send_pii)
        _set(self, "_rate_limit", rate_limit)
        _set(self, "delivery", delivery)
        _set(self, "ignore_types", ignore_types)
        _set(self, "ignore_predicate", ignore_predicate)
        _set(self, "generation", generation)
        _set(self, "_scrubber", None)

    def __setattr__(self, name: str, value: object) -> None:
        """Refuse: a configuration is replaced whole, by ``configure()``.

        Raises:
            AttributeError: Always.
        """
        raise AttributeError(f"the configuration is frozen: use configure({name}=...)")

    def replace(self, **changes: Any) -> Config:
        """Return a new ``Config`` with ``changes``; ``self`` is not changed."""
        fields: dict[str, Any] = {
            "enabled": self.enabled,
            "sink": self.sink,
            "rules": self._rules,
            "scrub": self._scrub,
            "send_pii": self.send_pii,
            "rate_limit": self._rate_limit,
            "delivery": self.delivery,
            "ignore_types": self.ignore_types,
            "ignore_predicate": self.ignore_predicate,
            "generation": self.generation,
        }
        fields.update(changes)
        return Config(**fields)

    @property
    def rules(self) -> Rules:
        """Inference rules: which words mean which context type and operation."""
        if self._rules is _DEFAULT:  # resolved once: an import statement costs microseconds
            from autocapture._rules import DEFAULT_RULES

            _set(self, "_rules", DEFAULT_RULES)
        return self._rules

    @property
    def scrub(self) -> ScrubOptions:
        """The scrubber's escape hatches: extra key words, safe keys, patterns, callback."""
        if self._scrub is _DEFAULT:
            from autocapture._scrub import ScrubOptions

            _set(self, "_scrub", ScrubOptions())
        return self._scrub

    @property
    def rate_limit(self) -> RateLimit | None:
        """Events per fingerprint and per second that pass; ``None``: every event passes."""
        if self._rate_limit is _DEFAULT:  # resolved once: read by every capture
            from autocapture._ratelimit import DEFAULT_RATE_LIMIT

            _set(self, "_rate_limit", DEFAULT_RATE_LIMIT)
        return self._rate_limit

    @property
    def scrubber(self) -> Scrubber:
        """The scrubber compiled from ``scrub`` and ``send_pii``, built once per configuration.

        Built at first use (the first capture), not at import or at each ``configure()``.
        Two threads may both build it the first time: each gets a correct one, one is kept.
        """
        scrubber = self._scrubber
        if scrubber is None:
            from autocapture._scrub import Scrubber

            scrubber = Scrubber(self.scrub, send_pii=self.send_pii)
            _set(self, "_scrubber", scrubber)
        return scrubber


_config = Config()
_lock = threading.Lock()
_UNSET: Any = object()


def get_config() -> Config:
    """Return the configuration in force."""
    return _config


def configure(  # noqa: C901 - one validation per option, each a line
    *,
    enabled: bool = _UNSET,
    sink: Sink | None = _UNSET,
    rules: Mapping[str, Any] | Rules = _UNSET,
    scrub: ScrubOptions = _UNSET,
    send_pii: bool = _UNSET,
    rate_limit: RateLimit | None = _UNSET,
    delivery: str = _UNSET,
    ignore: IgnoreOption = _UNSET,
) -> None:
    """Change the process-wide configuration; options not given keep their value.

    Safe to call before or after decorating: decorated functions read the configuration
    when they capture, and re-infer their context type when the rules changed.

    Args:
        enabled: False turns decoration into a no-op and stops every capture.
        sink: The sink for every event (``None``: Sentry when active, else logging).
        rules: Extra inference words per context type, e.g. ``{"queue": ["kafka"]}``
            (a new type, or more words for an existing one), or a whole ``Rules`` object
            that replaces the rules in force.
        scrub: A ``ScrubOptions`` with extra key words, safe keys, patterns, callback.
        send_pii: True keeps email and IP addresses in events.
        rate_limit: A ``RateLimit`` (default ``RateLimit(burst=10, per_seconds=60.0)``:
            at most 10 events of one fingerprint per minute, 100 events a second in
            all), or ``None`` to let every event pass.
        delivery: ``"auto"`` (default: in the background on an event loop's thread, on
            the caller elsewhere), ``"sync"`` or ``"background"``.
        ignore: Exception types (a type or a tuple of them), or a predicate
            ``exc -> bool``, that are never captured: not by decorators (which re-raise
            them untouched, also with ``reraise=False``), ``capture_*``, the middleware
            or the task helpers. ``None`` ignores nothing again. Same shape as the
            decorator's ``ignore=``, which adds to this one.

    Raises:
        TypeError: An option has the wrong type; the message names it and what is allowed.
        ValueError: An option has a value that is not allowed.
    """
    global _config  # noqa: PLW0603 - one process-wide configuration, swapped atomically
    changes: dict[str, Any] = {}
    if enabled is not _UNSET:
        changes["enabled"] = check_bool("enabled", enabled)
    if send_pii is not _UNSET:
        changes["send_pii"] = check_bool("send_pii", send_pii)
    if sink is not _UNSET:
        changes["sink"] = check_sink("sink", sink, allow_none=True)
    if rate_limit is not _UNSET:
        from autocapture._ratelimit import check_rate_limit

        changes["rate_limit"] = check_rate_limit(rate_limit)
    if delivery is not _UNSET:
        changes["delivery"] = _check_delivery(delivery)
    if scrub is not _UNSET:
        changes["scrub"] = _check_scrub(scrub)
    if ignore is not _UNSET:
        changes["ignore_types"], changes["ignore_predicate"] = check_ignore(
            "configure(ignore=...)", ignore
        )
    with _lock:
        if rules is not _UNSET:
            from autocapture._rules import Rules, merge_rules

            if isinstance(rules, Rules):
                changes["rules"] = rules
            elif isinstance(rules, Mapping):
                changes["rules"] = merge_rules(_config.rules, rules)
            else:
                raise TypeError(
                    "configure(rules=...) takes a mapping of context type -> words, e.g. "
                    f'{{"queue": ["kafka", "enqueue"]}}, or a Rules object; got '
                    f"{type(rules).__name__} {rules!r}"
                )
        _config = _config.replace(generation=_config.generation + 1, **changes)


def _check_scrub(value: object) -> ScrubOptions:
    from autocapture._scrub import ScrubOptions

    if not isinstance(value, ScrubOptions):
        raise TypeError(
            f"configure(scrub=...) takes an autocapture.ScrubOptions, got "
            f"{type(value).__name__} {value!r}"
        )
    return value


def _check_delivery(value: object) -> str:
    return check_choice("configure(delivery=...)", value, DELIVERIES)


def is_ignored(exc: BaseException, config: Config) -> bool:
    """Tell whether ``configure(ignore=...)`` excludes ``exc``; raises what the predicate does.

    Args:
        exc: The exception.
        config: The configuration in force.

    Returns:
        True when ``exc`` is an instance of an ignored type or the predicate says so.
    """
    if config.ignore_types and isinstance(exc, config.ignore_types):
        return True
    predicate = config.ignore_predicate
    return predicate is not None and bool(predicate(exc))


_local_sink: contextvars.ContextVar[Sink | None] = contextvars.ContextVar(
    "autocapture_local_sink", default=None
)


@contextlib.contextmanager
def use_sink(sink: Sink) -> Iterator[Sink]:
    """Send the events captured inside the ``with`` block to ``sink``.

    Context-local: isolated between threads and asyncio tasks, restored on exit. A
    decorator's own ``sink=`` still wins.

    Args:
        sink: The sink to use.

    Returns:
        A context manager yielding ``sink``.
    """
    check_sink("use_sink(sink)", sink, allow_none=False)
    token = _local_sink.set(sink)
    try:
        yield sink
    finally:
        _local_sink.reset(token)


def current_sink() -> Sink | None:
    """Return the context-local sink, if any."""
    return _local_sink.get()


def _reset_config() -> None:
    """Restore the defaults (for tests)."""
    global _config  # noqa: PLW0603
    with _lock:
        _config = Config(generation=_config.generation + 1)
