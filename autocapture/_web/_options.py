"""The request middlewares' options, validated once and frozen (ASGI, WSGI and Django)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Callable

from autocapture._checks import check_sink
from autocapture._web._rules import (
    DEFAULT_ENDPOINT_RULES,
    DEFAULT_ERROR_CATEGORIES,
    REVENUE_CRITICAL_TYPES,
    EndpointRule,
    ErrorCategory,
    check_endpoint_rules,
    check_error_categories,
)

if TYPE_CHECKING:
    from autocapture._sinks import Sink

__all__ = ["DEFAULT_OPTIONS", "Options", "UserResolver", "make_options"]

# Called with the framework's request: the ASGI scope, the WSGI environ, Django's request.
UserResolver = Callable[[Any], "Mapping[str, Any] | None"]


@dataclasses.dataclass(frozen=True)
class Options:
    """The middleware's settings, validated once at construction."""

    endpoint_rules: tuple[EndpointRule, ...] = DEFAULT_ENDPOINT_RULES
    error_categories: tuple[ErrorCategory, ...] = DEFAULT_ERROR_CATEGORIES
    revenue_critical: frozenset[str] = REVENUE_CRITICAL_TYPES
    user_resolver: UserResolver | None = None
    hash_key: bytes | None = None
    slow_request_seconds: float = 5.0
    sink: Sink | None = None
    request_id_header: bytes = b"x-request-id"


DEFAULT_OPTIONS = Options()


def make_options(
    *,
    endpoint_rules: Iterable[EndpointRule] = DEFAULT_ENDPOINT_RULES,
    error_categories: Iterable[ErrorCategory] = DEFAULT_ERROR_CATEGORIES,
    revenue_critical: Iterable[str] = REVENUE_CRITICAL_TYPES,
    user_resolver: UserResolver | None = None,
    hash_key: str | bytes | None = None,
    slow_request_ms: float = 5000,
    sink: Sink | None = None,
    request_id_header: str = "X-Request-ID",
) -> Options:
    """Validate the middlewares' options and freeze them (see ``AutoCaptureMiddleware``).

    Raises:
        TypeError: An option has the wrong type; the message names it.
        ValueError: An option has a value that is not allowed.
    """
    resolver: object = user_resolver
    if resolver is not None and not callable(resolver):
        raise TypeError(
            "user_resolver must be a callable taking the request (ASGI scope, WSGI environ or "
            f"Django request) and returning a mapping, "
            f"got {type(user_resolver).__name__} {user_resolver!r}"
        )
    given_key: object = hash_key
    key: bytes | None
    if given_key is None:
        key = None
    elif isinstance(given_key, str):
        key = given_key.encode("utf-8")
    elif isinstance(given_key, bytes):
        key = given_key
    else:
        raise TypeError(f"hash_key must be str, bytes or None, got {type(given_key).__name__}")
    if key is not None and not key:
        raise ValueError("hash_key must not be empty; pass None for an unkeyed hash")
    slow: object = slow_request_ms
    if isinstance(slow, bool) or not isinstance(slow, (int, float)) or not slow >= 0:
        raise ValueError(
            f"slow_request_ms must be a number of milliseconds >= 0, got {slow_request_ms!r}"
        )
    critical: object = revenue_critical
    if (
        isinstance(critical, str)
        or not isinstance(critical, Iterable)
        or not all(isinstance(t, str) for t in critical)
    ):
        raise TypeError(
            f"revenue_critical must be an iterable of endpoint types (str), got {critical!r}"
        )
    header: object = request_id_header
    if not isinstance(header, str) or not header:
        raise TypeError(f"request_id_header must be a header name, got {request_id_header!r}")
    return Options(
        endpoint_rules=check_endpoint_rules(endpoint_rules),
        error_categories=check_error_categories(error_categories),
        revenue_critical=frozenset(revenue_critical),
        user_resolver=user_resolver,
        hash_key=key,
        slow_request_seconds=slow_request_ms / 1000,
        sink=check_sink("sink", sink, allow_none=True),
        request_id_header=request_id_header.lower().encode("latin-1"),
    )
