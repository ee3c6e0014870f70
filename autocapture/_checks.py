"""Boundary checks shared by ``configure()``, the decorator and the other doors.

Each raises a clear ``TypeError`` or ``ValueError`` naming the option, the value given
and what is allowed; none imports anything of autocapture's (a leaf: every door may
use it without loading the configuration).
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Union

__all__ = [
    "IgnoreOption",
    "IgnorePredicate",
    "check_bool",
    "check_choice",
    "check_ignore",
    "check_sink",
]

IgnoreOption = Union[
    type[BaseException],
    tuple[type[BaseException], ...],
    Callable[[BaseException], bool],
    None,
]
"""What ``ignore=`` accepts: exception types, or a predicate ``exc -> bool``."""

IgnorePredicate = Optional[Callable[[BaseException], bool]]


def check_choice(where: str, value: object, choices: tuple[str, ...]) -> str:
    """Validate a str option that takes one of a few values, at the boundary.

    Args:
        where: The option's name, for the message.
        value: The value given.
        choices: The values allowed.

    Returns:
        ``value``, unchanged.

    Raises:
        TypeError: ``value`` is not a str.
        ValueError: ``value`` is not one of ``choices``.
    """
    allowed = ", ".join(map(repr, choices))
    if not isinstance(value, str):
        raise TypeError(
            f"{where} must be a str, one of {allowed}; got {type(value).__name__} {value!r}"
        )
    if value not in choices:
        raise ValueError(f"{where} must be one of {allowed}; got {value!r}")
    return value


def check_bool(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} {value!r}")
    return value


def check_ignore(
    where: str, ignore: object
) -> tuple[tuple[type[BaseException], ...], IgnorePredicate]:
    """Validate an ``ignore=`` option at the boundary.

    Args:
        where: The option, for the message (``"configure(ignore=...)"``).
        ignore: The value given.

    Returns:
        The exception types and the predicate (either may be empty).

    Raises:
        TypeError: ``ignore`` is none of the accepted shapes.
    """
    if ignore is None:
        return (), None
    if isinstance(ignore, type) and issubclass(ignore, BaseException):
        return (ignore,), None
    if isinstance(ignore, tuple) and all(
        isinstance(t, type) and issubclass(t, BaseException) for t in ignore
    ):
        return ignore, None
    if callable(ignore) and not isinstance(ignore, type):
        return (), ignore
    raise TypeError(
        f"{where} takes an exception type, a tuple of exception types or a predicate "
        f"exc -> bool, got {type(ignore).__name__} {ignore!r}"
    )


def check_sink(where: str, sink: object, *, allow_none: bool) -> Any:
    """Validate a sink argument at the boundary.

    Args:
        where: The option's name, for the message.
        sink: The value given.
        allow_none: Whether ``None`` is accepted.

    Returns:
        The sink, unchanged.

    Raises:
        TypeError: ``sink`` has no callable ``emit``.
    """
    if sink is None and allow_none:
        return None
    if not callable(getattr(sink, "emit", None)):
        raise TypeError(
            f"{where} must be a sink: an object with an emit(event) method "
            f"(MemorySink, LoggingSink, SentrySink, MultiSink...), got "
            f"{type(sink).__name__} {sink!r}"
        )
    return sink
