"""The decorator's options, validated once at the boundary.

``_validate`` turns the keyword options of ``@auto_capture_errors`` (and of the helpers
that share them: ``instrument_modules``, ``create_task``...) into the plain values the
error path reads, or raises a ``TypeError``/``ValueError`` that says what is allowed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Callable, Union

from autocapture._api import check_context_type, check_level, check_name, check_tags
from autocapture._config import check_sink

__all__ = ["IgnoreOption", "validate"]

IgnoreOption = Union[
    type[BaseException],
    tuple[type[BaseException], ...],
    Callable[[BaseException], bool],
    None,
]
"""What ``ignore=`` accepts: exception types, or a predicate ``exc -> bool``."""


def validate(
    *,
    context_type: object,
    operation: object,
    reraise: object,
    capture_args: object,
    tags: object,
    sink: object,
    ignore: object,
    level: object,
    where: str = "@auto_capture_errors",
) -> dict[str, Any]:
    """Check every option and return them in the form ``_Plan`` takes.

    Raises:
        TypeError: An option has the wrong type; the message says what is allowed.
        ValueError: An option has a value that is not allowed.
    """
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
