"""Rules as data: which endpoint type a path has, and which category an error falls in.

Both are tuples of frozen dataclasses evaluated in order, first match wins, so users can
replace them or extend them (``(*my_rules, *DEFAULT_ENDPOINT_RULES)``). They are consulted
only when something failed, never on the success path.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterable
from typing import TypeVar

from autocapture._paths import DEFAULT_PATHS, KINDS, PathMatcher

__all__ = [
    "DEFAULT_ENDPOINT_RULES",
    "DEFAULT_ERROR_CATEGORIES",
    "REVENUE_CRITICAL_TYPES",
    "EndpointRule",
    "ErrorCategory",
    "check_endpoint_rules",
    "check_error_categories",
    "endpoint_type",
    "error_category",
]

_MATCH_KINDS = KINDS


@dataclasses.dataclass(frozen=True)
class EndpointRule:
    """A path rule giving an endpoint type: ``EndpointRule("/billing", "payment")``.

    The rule is matched against the route template when the router resolved one
    (``/users/{user_id}``), else against the path without the ``root_path``, by the same
    matcher as the traces sampler's rules (``autocapture.sampling.SamplingRule``).
    """

    pattern: str
    """``"/payments"``, ``"/v1/chat/completions"`` or a glob such as ``"**/webhooks/stripe*"``."""
    endpoint_type: str
    """The type the matching paths get, e.g. ``"payment"``; any non-empty string."""
    match: str = "prefix"
    """``"exact"`` (the whole path), ``"prefix"`` (the path or anything below it, on
    segment boundaries: ``/users`` matches ``/users/1`` but not ``/usersettings``) or
    ``"glob"`` (the whole path; ``*`` is any run of characters within one segment, ``**``
    any run across segments, ``?`` one character). A trailing ``/`` is ignored, and every
    kind also matches below a leading ``/api`` segment, a version segment (``/v2``) or
    both: ``/billing`` matches ``/api/v2/billing/invoices``."""

    def __post_init__(self) -> None:
        """Validate the rule at once, so that a typo fails at startup, not on an error."""
        pattern: object = self.pattern
        kind: object = self.endpoint_type
        if not isinstance(pattern, str) or not pattern:
            raise TypeError(f"EndpointRule(pattern=...) must be a non-empty str, got {pattern!r}")
        if not isinstance(kind, str) or not kind:
            raise TypeError(
                f"EndpointRule(endpoint_type=...) must be a non-empty str, got "
                f"{self.endpoint_type!r}"
            )
        if self.match not in _MATCH_KINDS:
            raise ValueError(
                f"EndpointRule(match=...) must be one of {', '.join(map(repr, _MATCH_KINDS))}, "
                f"got {self.match!r}"
            )

    def matches(self, path: str) -> bool:
        """Tell whether ``path`` matches this rule.

        Args:
            path: A route template or a request path.

        Returns:
            True when the rule applies.
        """
        return _matcher((self,)).first(path) is not None


@functools.lru_cache(maxsize=64)
def _matcher(rules: tuple[EndpointRule, ...]) -> PathMatcher:
    # Rule tuples are frozen and hashable: each set of rules is compiled once.
    return PathMatcher((rule.pattern, rule.match) for rule in rules)


DEFAULT_ENDPOINT_RULES: tuple[EndpointRule, ...] = tuple(
    EndpointRule(pattern, kind_of_endpoint, match=kind)
    for pattern, kind, kind_of_endpoint in DEFAULT_PATHS
)
"""The audited endpoint types; anything else is ``"other"``. The traces sampler's default
rules are the health, inference and admin paths of this table."""

REVENUE_CRITICAL_TYPES: frozenset[str] = frozenset(("inference", "payment"))
"""Endpoint types whose errors are tagged ``is_revenue_critical="true"`` by default."""


def endpoint_type(path: str, rules: tuple[EndpointRule, ...]) -> str:
    """Return the type of the first rule matching ``path``, or ``"other"``.

    Args:
        path: A route template or a request path.
        rules: The rules, in order.

    Returns:
        The endpoint type.
    """
    rules = rules if type(rules) is tuple else tuple(rules)
    index = _matcher(rules).first(path)
    return "other" if index is None else rules[index].endpoint_type


def check_endpoint_rules(rules: object) -> tuple[EndpointRule, ...]:
    """Validate the ``endpoint_rules`` option.

    Raises:
        TypeError: ``rules`` is not an iterable of ``EndpointRule``.
    """
    return _check_rules("endpoint_rules", rules, EndpointRule)


# --------------------------------------------------------------------------------------
# Error categories
# --------------------------------------------------------------------------------------

# An acronym run stops before a capitalised word (`APITimeoutError` -> API, Timeout, Error).
_WORD_RE = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


@dataclasses.dataclass(frozen=True)
class ErrorCategory:
    """A rule naming an error category: ``ErrorCategory("queue_error", modules=("kombu",))``.

    A rule whose ``context_types`` holds the failing code's context type wins over every
    class criterion; otherwise a rule matches when any of its criteria does, for the
    exception's class or any base class: a type name, a module, a word of the class name.
    """

    name: str
    """The category, the value of the ``error_category`` tag."""
    types: tuple[str, ...] = ()
    """Class names as ``"package.Name"``: ``"httpx.TimeoutException"``, ``"builtins.ValueError"``.
    Compared on the top-level package and the class name, so private modules
    (``httpx._exceptions``) and re-exports make no difference."""
    modules: tuple[str, ...] = ()
    """Module prefixes, on dot boundaries: ``"sqlalchemy"`` covers ``sqlalchemy.exc``."""
    words: tuple[str, ...] = ()
    """Lowercase words of class names (``"timeout"`` matches ``APITimeoutError``)."""
    context_types: tuple[str, ...] = ()
    """Context types (``"database"``) whose errors fall in this category."""

    def __post_init__(self) -> None:
        """Validate the rule at once and normalise the sequences to tuples."""
        name: object = self.name
        if not isinstance(name, str) or not name:
            raise TypeError(f"ErrorCategory(name=...) must be a non-empty str, got {self.name!r}")
        for field in ("types", "modules", "words", "context_types"):
            value = getattr(self, field)
            if isinstance(value, str) or not all(isinstance(v, str) for v in value):
                raise TypeError(
                    f"ErrorCategory({field}=...) must be a sequence of str, got {value!r}"
                )
            object.__setattr__(self, field, tuple(value))
        for name in self.types:
            if "." not in name:
                raise ValueError(
                    f"ErrorCategory(types=...) names classes as 'package.Name' "
                    f"('builtins.ValueError'), got {name!r}"
                )


def _cats(name: str, **criteria: tuple[str, ...]) -> ErrorCategory:
    return ErrorCategory(name, **criteria)


DEFAULT_ERROR_CATEGORIES: tuple[ErrorCategory, ...] = (
    _cats(
        "timeout_error",
        types=(
            "builtins.TimeoutError",
            "asyncio.TimeoutError",
            "concurrent.TimeoutError",
            "httpx.TimeoutException",
            "requests.Timeout",
            "aiohttp.ServerTimeoutError",
        ),
        words=("timeout", "timedout"),
    ),
    _cats(
        "network_error",
        types=(
            "builtins.ConnectionError",
            "socket.gaierror",
            "socket.herror",
            "ssl.SSLError",
            "httpx.NetworkError",
            "httpx.ProxyError",
            "requests.ConnectionError",
            "aiohttp.ClientConnectionError",
            "urllib3.NewConnectionError",
        ),
        words=("connection", "connect"),
    ),
    _cats(
        "database_error",
        modules=(
            "sqlalchemy",
            "psycopg",
            "psycopg2",
            "asyncpg",
            "postgrest",
            "supabase",
            "pymongo",
            "motor",
            "sqlite3",
            "aiosqlite",
            "pymysql",
            "aiomysql",
            "mysql",
            "django.db",
            "tortoise",
            "peewee",
        ),
        context_types=("database",),
    ),
    _cats(
        "cache_error",
        modules=("redis", "aioredis", "pymemcache", "aiomcache", "memcache"),
        context_types=("cache",),
    ),
    _cats(
        "payment_error",
        modules=("stripe", "braintree", "paypalrestsdk", "adyen"),
        words=("payment", "billing"),
        context_types=("payment",),
    ),
    _cats(
        "auth_error",
        modules=("jwt", "jose", "authlib"),
        words=(
            "auth",
            "authentication",
            "authorization",
            "unauthorized",
            "unauthenticated",
            "authenticated",
            "login",
            "forbidden",
            "credential",
            "credentials",
        ),
        context_types=("auth",),
    ),
    _cats(
        "provider_error",
        modules=(
            "httpx",
            "aiohttp",
            "requests",
            "urllib3",
            "openai",
            "anthropic",
            "cohere",
            "mistralai",
            "groq",
            "litellm",
            "google.genai",
            "google.api_core",
        ),
        words=("provider", "upstream"),
        context_types=("provider",),
    ),
    _cats(
        "validation_error",
        types=(
            "builtins.ValueError",
            "pydantic.ValidationError",
            "pydantic_core.ValidationError",
        ),
        words=("validation",),
    ),
)
"""The default categories, in order; an error matching none is ``"internal_error"``."""

INTERNAL_ERROR = "internal_error"
# A cause chain longer than this is a cycle or an attack; either way stop walking.
_MAX_CHAIN = 16


@functools.lru_cache(maxsize=512)
def _class_facts(cls: type) -> tuple[tuple[str, str, str, frozenset[str]], ...]:
    facts = []
    for klass in cls.__mro__:
        if klass in (BaseException, Exception, object):
            continue
        module = str(getattr(klass, "__module__", "") or "")
        name = klass.__name__
        words = frozenset(w.lower() for w in _WORD_RE.findall(name))
        facts.append((module, module.split(".", 1)[0], name, words))
    return tuple(facts)


def _matches(rule: ErrorCategory, cls: type) -> bool:
    for module, top, name, words in _class_facts(cls):
        for wanted in rule.types:
            package, _, wanted_name = wanted.rpartition(".")
            if name == wanted_name and (top == package.split(".", 1)[0] or module == package):
                return True
        for prefix in rule.modules:
            if module == prefix or module.startswith(prefix + "."):
                return True
        if words and not words.isdisjoint(rule.words):
            return True
    return False


def _category_of(exc: BaseException, rules: tuple[ErrorCategory, ...]) -> str:
    cls = type(exc)
    for rule in rules:
        if _matches(rule, cls):
            return rule.name
    return INTERNAL_ERROR


def error_category(
    exc: BaseException,
    rules: tuple[ErrorCategory, ...] = DEFAULT_ERROR_CATEGORIES,
    context_type: str | None = None,
) -> str:
    """Return the category of ``exc``: by its context type, else by its class or cause.

    A context type that a rule names (``"payment"`` -> ``payment_error``) decides first:
    the code that failed says what kind of failure it is (a declined card is a payment
    error whatever its class; a timeout talking to the database is a database error).
    Without one, the first rule matching the exception's class wins; an error that no
    rule explains (an ``HTTPException(500)`` raised ``from`` the real error, a wrapper)
    takes the category of its cause chain; else ``"internal_error"``.

    Args:
        exc: The exception.
        rules: The category rules, in order.
        context_type: The context type of the failing code, when known.

    Returns:
        The category name.
    """
    if context_type is not None:
        for rule in rules:
            if context_type in rule.context_types:
                return rule.name
    current: BaseException | None = exc
    for _ in range(_MAX_CHAIN):
        if current is None:
            break
        found = _category_of(current, rules)
        if found != INTERNAL_ERROR:
            return found
        current = current.__cause__
    return INTERNAL_ERROR


def check_error_categories(rules: object) -> tuple[ErrorCategory, ...]:
    """Validate the ``error_categories`` option.

    Raises:
        TypeError: ``rules`` is not an iterable of ``ErrorCategory``.
    """
    return _check_rules("error_categories", rules, ErrorCategory)


_Rule = TypeVar("_Rule")


def _check_rules(option: str, rules: object, kind: type[_Rule]) -> tuple[_Rule, ...]:
    name = f"autocapture.asgi.{kind.__name__}"
    if isinstance(rules, (str, bytes)) or not isinstance(rules, Iterable):
        raise TypeError(
            f"{option} must be an iterable of {name}, got {type(rules).__name__} {rules!r}"
        )
    checked = tuple(rules)
    for rule in checked:
        if not isinstance(rule, kind):
            raise TypeError(
                f"{option} must hold {name} objects, got {type(rule).__name__} {rule!r}"
            )
    return checked
