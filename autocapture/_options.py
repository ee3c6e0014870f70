"""The decorator's options, validated once at the boundary.

``_validate`` turns the keyword options of ``@auto_capture_errors`` (and of the helpers
that share them: ``instrument_modules``, ``create_task``...) into the plain values the
error path reads, or raises a ``TypeError``/``ValueError`` that says what is allowed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Callable, Union

from autocapture._checks import check_choice, check_ignore, check_sink
from autocapture._config import LEVELS, get_config
from autocapture._context_types import BUILTIN_CONTEXT_TYPES

__all__ = [
    "IgnoreOption",
    "check_context_type",
    "check_level",
    "check_name",
    "check_tags",
    "validate",
]

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
    # Each option is checked only when it is not its default: decorating thousands of
    # functions with options validates them thousands of times (bench_decoration.py).
    if context_type is not None:
        check_context_type(f"{where}(context_type=...)", context_type, optional=True)
    if operation is not None:
        check_name(f"{where}(operation=...)", operation, optional=True)
    if reraise is not True and reraise is not False:
        raise TypeError(f"{where}(reraise=...) must be True or False, got {reraise!r}")
    names: bool | frozenset[str] = (
        capture_args
        if capture_args is True or capture_args is False
        else _check_capture_args(where, capture_args)
    )
    ignore_types, ignore_predicate = (
        ((), None) if ignore is None else check_ignore(f"{where}(ignore=...)", ignore)
    )
    if level.__class__ is not str or level not in LEVELS:
        check_level(f"{where}(level=...)", level)
    return {
        "context_type": context_type,
        "operation": operation,
        "reraise": reraise,
        "capture_args": names,
        "tags": {} if tags is None else check_tags(f"{where}(tags=...)", tags),
        "sink": None if sink is None else check_sink(f"{where}(sink=...)", sink, allow_none=True),
        "ignore_types": ignore_types,
        "ignore_predicate": ignore_predicate,
        "level": level,
    }


def _check_capture_args(where: str, capture_args: object) -> frozenset[str]:
    if isinstance(capture_args, str) or not isinstance(capture_args, Iterable):
        raise TypeError(
            f"{where}(capture_args=...) must be True, False or an iterable of argument "
            f"names such as ('user_id', 'model'), got {capture_args!r}"
        )
    names = frozenset(capture_args)
    if not all(isinstance(n, str) for n in names):
        raise TypeError(f"{where}(capture_args=...) names must be str, got {capture_args!r}")
    return names


def check_level(where: str, level: object) -> str:
    """Validate an event level at the boundary.

    Raises:
        TypeError: ``level`` is not a str.
        ValueError: ``level`` is not one of the four levels.
    """
    return check_choice(where, level, LEVELS)


def check_name(where: str, value: object, *, optional: bool) -> str | None:
    """Validate a name option (``operation``, ``context_type``): a non-empty str.

    Raises:
        TypeError: ``value`` is not a str (nor ``None`` when ``optional``).
        ValueError: ``value`` is empty.
    """
    if value is None and optional:
        return None
    if not isinstance(value, str):
        allowed = "a non-empty str or None" if optional else "a non-empty str"
        raise TypeError(f"{where} must be {allowed}, got {type(value).__name__} {value!r}")
    if not value.strip():
        raise ValueError(f"{where} must be a non-empty str, got {value!r}")
    return value


def check_context_type(where: str, value: object, *, optional: bool) -> str | None:
    """Validate a context type: a known one, or a custom one that is not a near miss.

    A custom type may be registered with ``configure(rules=...)`` after decorating, so
    an unknown name is accepted; one that is a near miss of a known type (``"providr"``,
    ``"payments"``) or one of its signal words (``"db"``) is a mistake, said at once.

    Raises:
        TypeError: ``value`` is not a str (nor ``None`` when ``optional``).
        ValueError: ``value`` is empty or a near miss of a known context type.
    """
    name = check_name(where, value, optional=optional)
    if name is None:
        return None
    if name in BUILTIN_CONTEXT_TYPES:  # the common case, without building the known set
        return name
    rules = get_config().rules
    known = rules.context_types
    if name in known:
        return name
    import difflib  # only for a name that is no known type: not at import

    meant = difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.75)
    if not meant:
        meant = [t for t, words in rules.context_words.items() if name.lower() in words][:1]
    if meant:
        raise ValueError(
            f"{where} got {name!r}, which is not a context type: did you mean {meant[0]!r}? "
            f"Known types: {', '.join(known)}; a custom type is registered with "
            "configure(rules={name: [words...]})"
        )
    return name


def check_tags(where: str, tags: object) -> dict[str, str]:
    """Validate a tags mapping (str -> str) at the boundary.

    Raises:
        TypeError: ``tags`` is not a mapping of str to str.
    """
    if tags is None:
        return {}
    if type(tags) is dict or isinstance(tags, Mapping):  # a dict without the ABC check
        for key, value in tags.items():  # a loop: cheaper than all() on a few tags
            if not isinstance(key, str) or not isinstance(value, str):
                break
        else:
            return dict(tags)
    raise TypeError(f"{where} must be a mapping of str to str, got {tags!r}")
