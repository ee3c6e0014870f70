"""The user's side of scrubbing: `ScrubOptions`, what a callback sees, and the markers.

Everything here is validated at construction, so a bad option fails at `configure()`.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any, Callable, Final, Optional, Union

__all__ = [
    "CYCLE_MARKER",
    "KEEP",
    "MAX_DEPTH_MARKER",
    "MORE_ITEMS_KEY",
    "REDACTED",
    "PathT",
    "ScrubCallback",
    "ScrubMatch",
    "ScrubOptions",
]

REDACTED: Final = "[REDACTED]"
"""The placeholder of every sensitive value."""
MAX_DEPTH_MARKER: Final = "[MAX DEPTH]"
"""A container nested deeper than `ScrubOptions.max_depth`."""
CYCLE_MARKER: Final = "[CYCLE]"
"""A container that contains itself."""
MORE_ITEMS_KEY: Final = "[...]"
"""The key, in a mapping cut at `ScrubOptions.max_items`, of its `[... N more items]`."""

_MAX_DEPTH_LIMIT: Final = 100  # stays far below the interpreter's recursion limit


class _Keep:
    """The type of `KEEP`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Final = _Keep()
"""Return this from a `ScrubOptions.callback` to keep the matched value as it is."""

PathT = tuple[Union[str, int], ...]


@dataclass(frozen=True)
class ScrubMatch:
    """What a `ScrubOptions.callback` receives: one sensitive thing the scrubber found."""

    path: PathT
    """Where the value is: the keys and indices from the scrubbed root, e.g.
    `("headers", "Authorization")`; `()` for `Scrubber.scrub_text`."""

    value: object
    """For a key match, the whole original value under the key (any type); for a value
    match, the matched substring (the secret itself, e.g. `"sk_live_..."`)."""

    pattern_match: str
    """The rule that matched, `kind:name`: `"key:password"` (a secret name), `"value:jwt"`
    (a secret shape in a string), `"text_key:api_key"` (a `api_key=...` assignment inside
    a string), `"pii:email"` / `"pii:ipv4"` / `"pii:ipv6"`, or `"value:extra:N"` (the
    N-th of `ScrubOptions.extra_patterns`)."""

    @property
    def kind(self) -> str:
        """The kind of rule: `"key"`, `"value"`, `"text_key"` or `"pii"`."""
        return self.pattern_match.split(":", 1)[0]


ScrubCallback = Callable[[ScrubMatch], object]


def _check_words(name: str, value: object) -> tuple[str, ...]:
    """Validate a sequence-of-strings option and return it as a tuple."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, AbstractSet)):
        raise TypeError(
            f"ScrubOptions.{name} must be a sequence of strings (e.g. a tuple), got {value!r}"
        )
    items = tuple(value)
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise TypeError(
                f"ScrubOptions.{name} must contain non-empty strings, got {item!r} in {value!r}"
            )
    return items


def _check_int(name: str, value: object, low: int, high: int) -> None:
    """Validate an integer option in `[low, high]`."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"ScrubOptions.{name} must be an int, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"ScrubOptions.{name} must be between {low} and {high}, got {value!r}")


@dataclass(frozen=True)
class ScrubOptions:
    """The user's escape hatches and limits, passed as `configure(scrub=ScrubOptions(...))`.

    Every field is validated at construction (`TypeError`/`ValueError` naming the field,
    the value and what is allowed); sequences are stored as tuples, so options are
    immutable and hashable.
    """

    extra_keys: Sequence[str] = ()
    """More names that name secrets, compared on words like the defaults: `"pin_code"`
    also redacts `pinCode` and `x-pin-code`, but not `pin_code_length`."""

    safe_keys: Sequence[str] = ()
    """Names never redacted by key rules (compared on words and verbatim, ignoring case);
    their values are still checked for secret shapes."""

    extra_patterns: Sequence[Union[str, re.Pattern[str]]] = ()
    """More value regexes; every match, anywhere in any string, is redacted. A pattern
    must not match the empty string."""

    callback: Optional[ScrubCallback] = None
    """Called with a `ScrubMatch` for every match. Return `None` to redact (the default
    behaviour), `KEEP` or the match's own `value` to keep it, or a replacement: for a key
    match any value (itself scrubbed for shapes), for a value match a `str` (anything else
    redacts). A callback that raises redacts: the scrubber fails closed."""

    max_string_length: int = 1024
    """Longer strings are cut and end with `...[truncated N chars]` (16 to 10_000_000)."""

    max_depth: int = 8
    """Containers nested deeper become `[MAX DEPTH]` (1 to 100)."""

    max_items: int = 100
    """Items kept per container; the rest is counted in a `[... N more items]` marker
    (1 to 1_000_000)."""

    max_total_chars: int = 64_000
    """A rough bound on the characters of one scrubbed value: once spent, strings are cut
    and containers stop early with markers (256 to 100_000_000)."""

    def __post_init__(self) -> None:
        """Validate every field and freeze sequences into tuples."""
        object.__setattr__(self, "extra_keys", _check_words("extra_keys", self.extra_keys))
        object.__setattr__(self, "safe_keys", _check_words("safe_keys", self.safe_keys))
        patterns = self.extra_patterns
        if isinstance(patterns, (str, bytes, re.Pattern)) or not isinstance(
            patterns, (Sequence, AbstractSet)
        ):
            raise TypeError(
                "ScrubOptions.extra_patterns must be a sequence of regex strings or compiled "
                f"str patterns, got {patterns!r}"
            )
        compiled = tuple(_compile_extra(pattern) for pattern in patterns)
        object.__setattr__(self, "extra_patterns", compiled)
        if self.callback is not None and not callable(self.callback):
            raise TypeError(
                f"ScrubOptions.callback must be a callable or None, got {self.callback!r}"
            )
        _check_int("max_string_length", self.max_string_length, 16, 10_000_000)
        _check_int("max_depth", self.max_depth, 1, _MAX_DEPTH_LIMIT)
        _check_int("max_items", self.max_items, 1, 1_000_000)
        _check_int("max_total_chars", self.max_total_chars, 256, 100_000_000)


def _compile_extra(pattern: object) -> re.Pattern[str]:
    """Compile one extra pattern, refusing bytes patterns and empty matches."""
    if isinstance(pattern, re.Pattern):
        if not isinstance(pattern.pattern, str):
            raise TypeError(
                f"ScrubOptions.extra_patterns must hold str patterns, got bytes {pattern!r}"
            )
        compiled: re.Pattern[str] = pattern
    elif isinstance(pattern, str):
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            raise ValueError(
                f"ScrubOptions.extra_patterns has an invalid regex {pattern!r}: {exc}"
            ) from None
    else:
        raise TypeError(
            "ScrubOptions.extra_patterns must hold regex strings or compiled str patterns, "
            f"got {pattern!r}"
        )
    if compiled.fullmatch("") is not None:
        raise ValueError(
            f"ScrubOptions.extra_patterns must not match the empty string: {compiled.pattern!r}"
        )
    if _nested_repeat(compiled.pattern, compiled.flags):
        raise ValueError(
            "ScrubOptions.extra_patterns must not repeat a repeated group (it can take "
            f"exponential time on a failing input, e.g. `(a+)+$`): {compiled.pattern!r}; "
            "write it without the outer repeat, e.g. `a+$`"
        )
    return compiled


def _nested_repeat(pattern: str, flags: int) -> bool:
    """Tell whether a regex repeats something that itself repeats (`(a+)+`, `(a|a*)*`).

    The standard `re` module has no timeout, and a user pattern runs on every string of
    every event: such patterns are refused at `configure()` instead (catastrophic
    backtracking needs a repeat inside a repeat).
    """
    try:
        parser: Any = importlib.import_module("re._parser")
    except ImportError:  # Python < 3.11
        parser = importlib.import_module("sre_parse")
    try:
        tree = parser.parse(pattern, flags & ~re.DEBUG)
    except Exception:
        return False
    return _has_nested(tree, inside=False)


_REPEATS: Final = frozenset(("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"))


def _has_literal(items: Any) -> bool:
    for op, arg in items:
        name = str(op)
        if name in ("LITERAL", "IN", "NOT_LITERAL"):
            return True
        if name == "SUBPATTERN" and _has_literal(arg[-1]):
            return True
    return False


def _has_nested(items: Any, *, inside: bool) -> bool:
    for op, arg in items:
        name = str(op)
        if name in _REPEATS:
            low, high, sub = arg
            variable = low != high
            if variable and inside and name != "POSSESSIVE_REPEAT":
                return True
            # A fixed character between inner repeats (`(-[0-9]+)*`) keeps matching linear.
            if _has_nested(sub, inside=inside or (variable and not _has_literal(sub))):
                return True
        elif name == "SUBPATTERN":
            if _has_nested(arg[-1], inside=inside):
                return True
        elif name == "BRANCH":
            if any(_has_nested(branch, inside=inside) for branch in arg[1]):
                return True
        elif name in ("ASSERT", "ASSERT_NOT") and _has_nested(arg[1], inside=inside):
            return True
    return False
