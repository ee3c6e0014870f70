"""Trace sampling: a ``traces_sampler`` for ``sentry_sdk.init`` built from path rules.

Decision order, first answer wins:

1. the parent's decision (``sampling_context["parent_sampled"]``): sampled -> 1.0,
   unsampled -> 0.0, so a distributed trace is kept or dropped whole;
2. a development environment (``"dev"``, ``"development"``, ``"local"`` by default)
   samples everything;
3. the first rule whose pattern matches the request path;
4. ``default``.

The path comes from ``asgi_scope["path"]``, else ``wsgi_environ["PATH_INFO"]``, else the
transaction name (``"GET /v1/chat/completions"`` or a route template such as
``"/users/{user_id}"``). Paths match exactly as the endpoint rules of
``autocapture.asgi`` do (one matcher, ``autocapture._paths``; below a leading ``/api`` and
version segment too), and the default rules are the endpoint table's health, inference
and admin paths: a path is sampled as its ``endpoint_type`` tag says.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Iterable, Mapping
from typing import Any, Callable, Union

import sentry_sdk

from autocapture._log import report_failure
from autocapture._paths import DEFAULT_PATHS, GLOB_CHARS, KINDS, PathMatcher

__all__ = [
    "DEFAULT_RULES",
    "DEVELOPMENT_ENVIRONMENTS",
    "SamplingRule",
    "make_traces_sampler",
]

_KINDS = KINDS
_GLOB_CHARS = GLOB_CHARS

DEVELOPMENT_ENVIRONMENTS: frozenset[str] = frozenset({"dev", "development", "local"})
"""Environments that sample every trace (compared case-insensitively)."""


@dataclasses.dataclass(frozen=True)
class SamplingRule:
    """A path pattern and the share of its traces to keep.

    ``kind`` says how ``pattern`` matches a path:

    * ``"exact"``: the path equals the pattern (a trailing ``/`` is ignored on both);
    * ``"prefix"``: the path is the pattern or lies below it, segment-wise: ``"/admin"``
      matches ``/admin`` and ``/admin/users`` but not ``/administrators``;
    * ``"glob"``: the whole path matches, where ``*`` is any run of characters within one
      segment, ``**`` any run across segments and ``?`` one character:
      ``"/*/health"`` matches ``/internal/health``.

    Every kind also matches below a leading ``/api`` segment, a version segment or both
    (``"/health"`` matches ``/api/v1/health``), like the endpoint rules.

    Left out (``None``), the kind is inferred: a pattern holding ``*`` or ``?`` is a glob,
    one ending in ``/`` a prefix, any other exact.

    Raises:
        TypeError: ``pattern`` is not a str or ``rate`` not a real number.
        ValueError: ``rate`` is outside [0, 1] or NaN, ``kind`` unknown, ``pattern`` empty.
    """

    pattern: str
    """The path pattern, starting with ``/`` for paths (transaction names also work)."""
    rate: float
    """The share of matching traces to keep, from 0.0 (none) to 1.0 (all)."""
    kind: str | None = None
    """``"exact"``, ``"prefix"`` or ``"glob"``; inferred from ``pattern`` when ``None``."""

    def __post_init__(self) -> None:
        pattern: object = self.pattern  # annotations do not bind callers
        if not isinstance(pattern, str) or not pattern:
            raise TypeError(
                f"SamplingRule(pattern=...) must be a non-empty str such as '/health', got "
                f"{type(pattern).__name__} {pattern!r}"
            )
        kind = self.kind
        if kind is None:
            kind = _infer_kind(self.pattern)
        elif kind not in _KINDS:
            raise ValueError(
                f"SamplingRule(kind=...) for {self.pattern!r} must be one of "
                f"{', '.join(map(repr, _KINDS))} or None, got {kind!r}"
            )
        rate = check_rate(f"the sampling rule for {self.pattern!r}", self.rate)
        # Frozen: resolve once so that repr() and comparisons show what will match.
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "rate", rate)


def _infer_kind(pattern: str) -> str:
    if _GLOB_CHARS.intersection(pattern):
        return "glob"
    if pattern.endswith("/") and pattern != "/":
        return "prefix"
    return "exact"


def check_rate(where: str, rate: object) -> float:
    """Validate a sample rate at the boundary and return it as a float.

    Args:
        where: What the rate belongs to, for the message.
        rate: The value given.

    Returns:
        The rate as a float in [0, 1].

    Raises:
        TypeError: ``rate`` is not a real number (bools are refused too).
        ValueError: ``rate`` is NaN or outside [0, 1].
    """
    if isinstance(rate, bool) or not isinstance(rate, (int, float)):
        raise TypeError(
            f"{where}: the rate must be a number from 0.0 to 1.0, got "
            f"{type(rate).__name__} {rate!r}"
        )
    if math.isnan(rate) or not 0.0 <= rate <= 1.0:
        raise ValueError(
            f"{where}: the rate must be a number from 0.0 (keep none) to 1.0 (keep all), "
            f"got {rate!r}"
        )
    return float(rate)


# The audited policy. Health checks and metrics scrapes are monitoring noise; inference is
# revenue critical but high volume; admin traffic is rare and worth seeing. The paths are
# the endpoint table's, so that the sampler and the endpoint_type tag always agree.
RATES_BY_ENDPOINT_TYPE: Mapping[str, float] = {"health": 0.0, "inference": 0.2, "admin": 0.5}

DEFAULT_RULES: tuple[SamplingRule, ...] = tuple(
    SamplingRule(pattern, RATES_BY_ENDPOINT_TYPE[kind_of_endpoint], kind)
    for pattern, kind, kind_of_endpoint in DEFAULT_PATHS
    if kind_of_endpoint in RATES_BY_ENDPOINT_TYPE
)
"""The default rules: health/metrics 0.0, inference 0.2, admin 0.5 (others: ``default``).

They are the default endpoint rules' paths of those types, in the same order.
"""

RulesArg = Union[Iterable[SamplingRule], Mapping[str, float]]


def _as_rules(where: str, rules: object) -> list[SamplingRule]:
    if isinstance(rules, Mapping):
        out = []
        for pattern, rate in rules.items():
            if not isinstance(pattern, str) or not pattern:
                raise TypeError(
                    f"{where}: a rules mapping takes path patterns (str) to rates, got the "
                    f"key {pattern!r}"
                )
            out.append(SamplingRule(pattern, rate))
        return out
    if isinstance(rules, (str, bytes)) or not isinstance(rules, Iterable):
        raise TypeError(
            f"{where} takes SamplingRule objects or a mapping of path pattern -> rate such "
            f"as {{'/health': 0.0}}, got {type(rules).__name__} {rules!r}"
        )
    out = list(rules)
    for rule in out:
        if not isinstance(rule, SamplingRule):
            raise TypeError(
                f"{where} takes SamplingRule objects or a mapping of path pattern -> rate, "
                f"got {type(rule).__name__} {rule!r} among them"
            )
    return out


class _Sampler:
    """The compiled rules; calling it answers one sampling decision and never raises."""

    __slots__ = ("_default", "_dev", "_environment", "_matcher", "_rates", "rules")

    def __init__(
        self,
        rules: list[SamplingRule],
        default: float,
        environment: str | None,
        development: frozenset[str],
    ) -> None:
        self.rules = tuple(rules)
        self._default = default
        self._dev = development
        self._environment = environment
        self._rates = [rule.rate for rule in rules]
        self._matcher = PathMatcher((rule.pattern, str(rule.kind)) for rule in rules)

    def __call__(self, sampling_context: dict[str, Any]) -> float:
        try:
            parent = sampling_context.get("parent_sampled")
            if parent is not None:
                return 1.0 if parent else 0.0
            if self._is_development():
                return 1.0
            path = _path_of(sampling_context)
            if path is None:
                return self._default
            return self.rate_for(path)
        except Exception as exc:
            report_failure("the traces sampler", exc)
            return self._default

    def rate_for(self, path: str) -> float:
        """Return the rate of the first rule matching ``path``, else the default rate."""
        index = self._matcher.first(path)
        return self._default if index is None else self._rates[index]

    def _is_development(self) -> bool:
        environment = self._environment
        if environment is None:
            environment = _sentry_environment()
        return environment is not None and environment.strip().lower() in self._dev

    def __repr__(self) -> str:
        """Say what decides, never anything from a request."""
        return (
            f"<traces_sampler rules={len(self.rules)} default={self._default} "
            f"environment={self._environment!r}>"
        )


def _sentry_environment() -> str | None:
    client = sentry_sdk.get_client()
    if client.is_active():
        # sentry_sdk.init(environment=...), which itself defaults to SENTRY_ENVIRONMENT.
        environment = client.options.get("environment")
        return environment if isinstance(environment, str) else None
    return os.environ.get("SENTRY_ENVIRONMENT")


def _path_of(sampling_context: Mapping[str, Any]) -> str | None:
    scope = sampling_context.get("asgi_scope")
    if isinstance(scope, Mapping):
        path = scope.get("path")
        if isinstance(path, str) and path:
            return path
    environ = sampling_context.get("wsgi_environ")
    if isinstance(environ, Mapping):
        path = environ.get("PATH_INFO")
        if isinstance(path, str) and path:
            return path
    transaction = sampling_context.get("transaction_context")
    if isinstance(transaction, Mapping):
        name = transaction.get("name")
        if isinstance(name, str) and name:
            # "GET /v1/chat/completions": the method is not part of the path.
            _, _, rest = name.partition(" ")
            path = rest if rest.startswith("/") else name
            return path.partition("?")[0]
    return None


def make_traces_sampler(
    rules: RulesArg = DEFAULT_RULES,
    default: float = 0.1,
    environment: str | None = None,
    *,
    extra_rules: RulesArg = (),
    development_environments: Iterable[str] = DEVELOPMENT_ENVIRONMENTS,
) -> Callable[[dict[str, Any]], float]:
    """Build a ``traces_sampler`` for ``sentry_sdk.init`` from path rules.

    The sampler keeps a parent's decision (sampled -> 1.0, unsampled -> 0.0), samples
    everything in a development environment, and otherwise gives the rate of the first
    rule matching the request path (``asgi_scope["path"]``, ``wsgi_environ["PATH_INFO"]``
    or the transaction name), else ``default``. It never raises: a malformed sampling
    context gets ``default``.

    Args:
        rules: The rules, in order: ``SamplingRule`` objects, or a mapping of pattern ->
            rate whose kinds are inferred (``"/v1/*/stream"`` glob, ``"/admin/"`` prefix,
            ``"/ping"`` exact). Defaults to ``DEFAULT_RULES``, the audited policy
            (health/metrics 0.0, inference 0.2, admin 0.5). Passing rules replaces them;
            to extend them use ``extra_rules``.
        default: The rate of paths no rule matches and of transactions without a path.
        environment: The deployment environment. ``None`` reads it, at each decision,
            from the active Sentry client (``sentry_sdk.init(environment=...)``, which
            defaults to ``SENTRY_ENVIRONMENT``), or from ``SENTRY_ENVIRONMENT`` when Sentry
            is not initialised.
        extra_rules: Rules tried before ``rules`` (same forms), to add to the defaults.
        development_environments: Environments that sample everything (compared
            case-insensitively); ``DEVELOPMENT_ENVIRONMENTS`` by default.

    Returns:
        A function ``sampling_context -> rate`` for ``sentry_sdk.init(traces_sampler=...)``.

    Raises:
        TypeError: A rule, rate or option has the wrong type.
        ValueError: A rate is outside [0, 1] or NaN.
    """
    all_rules = _as_rules("make_traces_sampler(extra_rules=...)", extra_rules)
    all_rules += _as_rules("make_traces_sampler(rules=...)", rules)
    default = check_rate("make_traces_sampler(default=...)", default)
    checked: object = environment  # annotations do not bind callers
    if checked is not None and not isinstance(checked, str):
        raise TypeError(
            f"make_traces_sampler(environment=...) must be a str or None, got "
            f"{type(environment).__name__} {environment!r}"
        )
    if isinstance(development_environments, str) or not all(
        isinstance(e, str) for e in development_environments
    ):
        raise TypeError(
            "make_traces_sampler(development_environments=...) takes an iterable of "
            f"environment names such as {{'dev', 'local'}}, got {development_environments!r}"
        )
    development = frozenset(e.strip().lower() for e in development_environments)
    return _Sampler(all_rules, default, environment, development)
