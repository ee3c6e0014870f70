"""Explicit capture: ``capture_error`` and the context-aware ``capture_*_error`` helpers."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from autocapture._checks import check_sink
from autocapture._config import get_config
from autocapture._options import check_context_type, check_level, check_name, check_tags

if TYPE_CHECKING:
    from autocapture._event import Sink

__all__ = [
    "capture_auth_error",
    "capture_cache_error",
    "capture_database_error",
    "capture_error",
    "capture_payment_error",
    "capture_provider_error",
    "scrub",
]


def _caller(depth: int) -> tuple[str, str]:
    # The event names the code that called capture_*; only the error path pays for this.
    try:
        frame = sys._getframe(depth + 1)  # noqa: SLF001 - cheaper than inspect.stack()
    except ValueError:
        return "<unknown>", "<unknown>"
    module = str(frame.f_globals.get("__name__", "<unknown>"))
    name = getattr(frame.f_code, "co_qualname", frame.f_code.co_name)
    return f"{module}.{name}", module


def _capture(
    exc: BaseException,
    *,
    where: str,
    context_type: str,
    operation: str | None,
    context: Mapping[str, Any],
    tags: Mapping[str, str] | None,
    level: str,
    sink: Sink | None = None,
) -> str | None:
    # The annotations are not enforced at run time: check what users actually pass.
    exc_object: object = exc
    if not isinstance(exc_object, BaseException):
        raise TypeError(f"{where}() takes an exception, got {type(exc).__name__} {exc!r}")
    check_context_type(f"{where}(context_type=...)", context_type, optional=False)
    check_name(f"{where}(operation=...)", operation, optional=True)
    all_tags = check_tags(f"{where}(tags=...)", tags)
    check_level(f"{where}(level=...)", level)
    if sink is not None:
        check_sink(f"{where}(sink=...)", sink, allow_none=False)
    fields = {k: v for k, v in context.items() if v is not None}
    if operation is not None:
        fields.setdefault("operation", operation)
    for name in ("provider", "table", "cache_type"):
        value = fields.get(name)
        if isinstance(value, str):
            all_tags.setdefault(name, value)
    function, module = _caller(2)
    from autocapture._capture import emit_error  # the capture core loads at first use

    return emit_error(
        exc,
        context_type=context_type,
        operation=operation,
        function=function,
        module=module,
        arguments={},
        context=fields,
        tags=all_tags,
        level=level,
        sink=sink,
        handled=True,
    )


def capture_error(
    exc: BaseException,
    *,
    context_type: str = "general",
    operation: str | None = None,
    context: Mapping[str, Any] | None = None,
    tags: Mapping[str, str] | None = None,
    level: str = "error",
    sink: Sink | None = None,
) -> str | None:
    """Report ``exc`` now, with the given context.

    Args:
        exc: The exception to report.
        context_type: One of the context types, or a registered custom one.
        operation: The operation that failed, when known.
        context: Extra fields for the event's context (scrubbed).
        tags: Extra tags, str -> str.
        level: ``"fatal"``, ``"error"``, ``"warning"`` or ``"info"``.
        sink: A sink for this event only.

    Returns:
        The event id (32 lowercase hex characters), the first event's id when ``exc`` or
        its cause was already reported, or ``None`` when nothing was emitted.

    Raises:
        TypeError: An argument has the wrong type.
        ValueError: ``level`` is not a level.
    """
    if context is not None and not isinstance(context, Mapping):
        raise TypeError(f"capture_error(context=...) must be a mapping, got {context!r}")
    return _capture(
        exc,
        where="capture_error",
        context_type=context_type,
        operation=operation,
        context=context or {},
        tags=tags,
        level=level,
        sink=sink,
    )


def capture_provider_error(
    exc: BaseException,
    provider: str | None = None,
    model: str | None = None,
    request_id: str | None = None,
    endpoint: str | None = None,
    *,
    tags: Mapping[str, str] | None = None,
    level: str = "error",
    **extra: Any,
) -> str | None:
    """Report a failed call to an external provider (an LLM API, a payment gateway...).

    Args:
        exc: The exception to report.
        provider: The provider's name (``"openrouter"``); also a tag.
        model: The model asked for.
        request_id: The provider's or our request id.
        endpoint: The URL or endpoint called (passwords in URLs are scrubbed).
        tags: Extra tags, str -> str.
        level: The event level.
        **extra: More context fields (scrubbed).

    Returns:
        The event id, or ``None`` when nothing was emitted.
    """
    return _capture(
        exc,
        where="capture_provider_error",
        context_type="provider",
        operation=extra.pop("operation", None),
        context={
            "provider": provider,
            "model": model,
            "request_id": request_id,
            "endpoint": endpoint,
            **extra,
        },
        tags=tags,
        level=level,
    )


def capture_database_error(
    exc: BaseException,
    operation: str | None = None,
    table: str | None = None,
    *,
    tags: Mapping[str, str] | None = None,
    level: str = "error",
    **extra: Any,
) -> str | None:
    """Report a failed database operation.

    Args:
        exc: The exception to report.
        operation: ``"select"``, ``"insert"``, ``"update"``, ``"delete"``...
        table: The table or collection; also a tag.
        tags: Extra tags, str -> str.
        level: The event level.
        **extra: More context fields such as ``record_id`` (scrubbed).

    Returns:
        The event id, or ``None`` when nothing was emitted.
    """
    return _capture(
        exc,
        where="capture_database_error",
        context_type="database",
        operation=operation,
        context={"table": table, **extra},
        tags=tags,
        level=level,
    )


def capture_payment_error(
    exc: BaseException,
    operation: str | None = None,
    provider: str | None = None,
    user_id: str | None = None,
    amount: float | None = None,
    currency: str | None = None,
    *,
    tags: Mapping[str, str] | None = None,
    level: str = "error",
    **extra: Any,
) -> str | None:
    """Report a failed payment operation (charge, refund, webhook, credit deduction...).

    Args:
        exc: The exception to report.
        operation: ``"charge"``, ``"refund"``, ``"webhook"``...
        provider: The payment provider (``"stripe"``); also a tag.
        user_id: The paying user.
        amount: The amount involved.
        currency: Its currency.
        tags: Extra tags, str -> str.
        level: The event level.
        **extra: More context fields (scrubbed).

    Returns:
        The event id, or ``None`` when nothing was emitted.
    """
    return _capture(
        exc,
        where="capture_payment_error",
        context_type="payment",
        operation=operation,
        context={
            "provider": provider,
            "user_id": user_id,
            "amount": amount,
            "currency": currency,
            **extra,
        },
        tags=tags,
        level=level,
    )


def capture_auth_error(
    exc: BaseException,
    operation: str | None = None,
    user_id: str | None = None,
    *,
    tags: Mapping[str, str] | None = None,
    level: str = "error",
    **extra: Any,
) -> str | None:
    """Report a failed authentication or authorisation step.

    Args:
        exc: The exception to report.
        operation: ``"login"``, ``"verify"``, ``"refresh"``...
        user_id: The user concerned, when known.
        tags: Extra tags, str -> str.
        level: The event level.
        **extra: More context fields (credentials in them are scrubbed).

    Returns:
        The event id, or ``None`` when nothing was emitted.
    """
    return _capture(
        exc,
        where="capture_auth_error",
        context_type="auth",
        operation=operation,
        context={"user_id": user_id, **extra},
        tags=tags,
        level=level,
    )


def capture_cache_error(
    exc: BaseException,
    operation: str | None = None,
    cache_type: str | None = None,
    key: str | None = None,
    *,
    tags: Mapping[str, str] | None = None,
    level: str = "error",
    **extra: Any,
) -> str | None:
    """Report a failed cache operation.

    Args:
        exc: The exception to report.
        operation: ``"get"``, ``"set"``, ``"delete"``...
        cache_type: ``"redis"``, ``"memcached"``, ``"memory"``...; also a tag.
        key: The cache key (kept: a cache key is not a secret; secret-shaped values in it
            are still scrubbed).
        tags: Extra tags, str -> str.
        level: The event level.
        **extra: More context fields (scrubbed).

    Returns:
        The event id, or ``None`` when nothing was emitted.
    """
    return _capture(
        exc,
        where="capture_cache_error",
        context_type="cache",
        operation=operation,
        context={"cache_type": cache_type, "key": key, **extra},
        tags=tags,
        level=level,
    )


def scrub(value: object) -> Any:
    """Return ``value`` as autocapture would ship it: JSON-compatible, secrets redacted.

    Uses the configured scrubbing options (``configure(scrub=..., send_pii=...)``), and
    is event-wide: a value found secret anywhere in ``value`` is redacted everywhere in it.

    Args:
        value: Anything: a mapping, a dataclass, a model, a string...

    Returns:
        A new JSON-compatible value; the input is not changed.
    """
    from autocapture._build import redact_known  # the capture core: at first use
    from autocapture._scrub import EventSecrets

    scrubber = get_config().scrubber
    # Event-wide, as an event is: a value found secret in one place (under `api_key`) is
    # redacted wherever else the value holds it, also where it came first.
    secrets = EventSecrets()
    scrubbed = scrubber.scrub(value, secrets=secrets)
    if not secrets:
        return scrubbed
    return redact_known(scrubber, {"value": scrubbed}, secrets)["value"]
