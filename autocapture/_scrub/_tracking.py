"""Event-wide tracking: a secret found once in an event is redacted everywhere in it.

While one event is built, the walker reports to an `EventSecrets` every value it redacts
(under a secret key, in a `(name, value)` pair, or by its shape). The event's message,
its chained and grouped exceptions' messages, notes and `args`, and whatever the exits
derive from the live exception (frame variables, breadcrumbs, log lines) are then
scrubbed with them: `known.scrub_text(text)`.

Bounds: values shorter than `MIN_SECRET_LENGTH` are not tracked (a PIN `"1"` would wipe
the event), at most `MAX_SECRETS` values are kept, each up to `MAX_SECRET_LENGTH`
characters; replacing is one `in` test per form on a text that holds none of them.

The exits find the secrets of the event being emitted with `active_secrets()`: the
capture sets them for the duration of its sinks' `emit` (`tracking_secrets`).

An `EventSecrets` is also the one object that lives exactly as long as a capture, so it
carries the capture's `repr` memo (`reprs`): an object without fields is `repr`'d once
per capture, whether the arguments, Sentry's frame variables or another sink need it;
and the time its scrubbing spent in user code (`user_time`, bounded by
`USER_CODE_BUDGET`).
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import sys
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any, Final, Optional
from urllib.parse import quote, quote_plus

from autocapture._scrub._objects import bytes_text
from autocapture._scrub._options import REDACTED

__all__ = [
    "USER_CODE_BUDGET",
    "MAX_SECRETS",
    "MIN_SECRET_LENGTH",
    "EventSecrets",
    "active_secrets",
    "current_secrets",
    "UserTime",
    "tracking_secrets",
]

MIN_SECRET_LENGTH: Final = 6
"""Shorter values are not redacted event-wide (`"1"`, `"true"`, `"admin"`)."""
MAX_SECRETS: Final = 64
MAX_SECRET_LENGTH: Final = 4096
MAX_REPRS: Final = 256
"""Objects whose `repr` one capture remembers (with at most `MAX_REPR_CHARS` in all)."""
MAX_REPR_CHARS: Final = 4_000_000
USER_CODE_BUDGET: Final = 0.05
"""Seconds one capture (or one scrub call outside a capture) may spend in the user's
`ScrubOptions.callback` and `extra_patterns`; then the scrubber fails closed."""


class UserTime:
    """The time spent in user code (callback, patterns) by one capture's scrubbing."""

    __slots__ = ("spent",)

    def __init__(self) -> None:
        """Start at zero."""
        self.spent = 0.0

    @property
    def exhausted(self) -> bool:
        """Whether `USER_CODE_BUDGET` is spent."""
        return self.spent >= USER_CODE_BUDGET


# What URL-quoting (`quote`, `quote_plus`), JSON and repr leave as it is.
_PRINTED_AS_IS: Final = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-~"
)
# Values that are markers or too common to be anyone's secret.
_AUTH_SCHEMES: Final = frozenset(("bearer", "basic", "token", "bot", "apikey", "digest"))
_NOT_SECRETS: Final = frozenset(
    (REDACTED, "[MAX DEPTH]", "[CYCLE]", "None", "null", "true", "false")
)


class EventSecrets:
    """The secret values found while building one event, and their encoded forms."""

    __slots__ = ("_forms", "_shortest", "_sorted", "repr_chars", "reprs", "user_time", "values")

    def __init__(self, *, remember_reprs: bool = True) -> None:
        """Start empty.

        Args:
            remember_reprs: Whether walks with these secrets share `repr` results (the
                walker fills `reprs`); False for a long-lived instance.
        """
        self.values: set[str] = set()
        self._forms: set[str] = set()
        self._sorted: Optional[tuple[str, ...]] = ()
        self._shortest = sys.maxsize  # the length of the shortest form: none yet
        # id(obj) -> (obj, its bounded repr): the object is kept so that its id is not
        # reused by another within the capture.
        self.reprs: Optional[dict[int, tuple[object, str]]] = {} if remember_reprs else None
        self.repr_chars = 0
        self.user_time = UserTime()  # the callback's and patterns' budget, per capture

    def __bool__(self) -> bool:
        return bool(self.values)

    def __len__(self) -> int:
        return len(self.values)

    def __repr__(self) -> str:  # never the values themselves
        return f"<EventSecrets: {len(self.values)} values>"

    def add(self, value: object) -> None:
        """Remember a value found secret (strings, and ints such as a PIN or card number).

        Args:
            value: The raw value; anything else than str/int is ignored.
        """
        cls = type(value)
        if cls is int:
            text = str(value)
        elif cls is str:
            text = value  # type: ignore[assignment]  # narrowed by `cls`
        else:
            return
        text = text.strip()
        if len(text) > 2 and text[0] == text[-1] and text[0] in "'\"":  # noqa: PLR2004
            text = text[1:-1]  # a repr (Sentry's frame variables): the secret is inside
        scheme, _, credential = text.partition(" ")
        if credential and scheme.lower() in _AUTH_SCHEMES:  # `Bearer x`: the secret is x
            text = credential.strip()
        if (
            len(text) < MIN_SECRET_LENGTH
            or len(text) > MAX_SECRET_LENGTH
            or text in self.values
            or text in _NOT_SECRETS
            or text.lower() in _AUTH_SCHEMES
            or len(self.values) >= MAX_SECRETS
        ):
            return
        self.values.add(text)
        forms = self._forms
        forms.add(text)
        if not _PRINTED_AS_IS.issuperset(text):
            # How the same value is printed elsewhere: URL-encoded (a query string or a
            # redirect), escaped by repr/JSON (a message that embeds a dict). A value of
            # letters, digits and `_.-~` is printed as it is by each (most tokens).
            for form in (quote(text, safe=""), quote_plus(text, safe=""), quote(text)):
                forms.add(form)
            forms.add(json.dumps(text)[1:-1])
            forms.add(repr(text)[1:-1])
        self._sorted = None
        self._shortest = min(self._shortest, *map(len, forms))

    def add_found(self, value: object, depth: int = 0) -> None:
        """Remember a value redacted under a secret name (its strings, if a container).

        Only plain builtins are looked into, and boundedly: a secret `credentials` dict's
        values are secrets too, but no user code runs to find them.

        Args:
            value: The raw value.
            depth: How deep inside the redacted value this is (at most 3 levels).
        """
        cls = type(value)
        if cls is str or cls is int:
            self.add(value)
        elif cls is bytes:
            text = bytes_text(value)  # type: ignore[arg-type]  # narrowed by `cls`
            if text is not None:
                self.add(text)
        elif depth < 3 and (cls is dict or cls is list or cls is tuple):  # noqa: PLR2004
            items: Any = dict.values(value) if cls is dict else value  # type: ignore[arg-type]
            for item in islice(items, 32):
                self.add_found(item, depth + 1)

    def add_all(self, values: Iterable[object]) -> None:
        """Remember several values."""
        for value in values:
            self.add(value)

    def scrub_text(self, text: str) -> str:
        """Replace every known secret (and its encoded forms) in a text by `REDACTED`.

        Args:
            text: Any text.

        Returns:
            The text; the same object when it holds no known secret.
        """
        if type(text) is not str or len(text) < self._shortest:  # most keys and words
            return text
        forms = self._sorted
        if forms is None:
            forms = self._sorted = tuple(sorted(self._forms, key=len, reverse=True))
        present: Optional[list[str]] = None
        for form in forms:  # a loop, not a comprehension: most texts hold none
            if form in text:
                if present is None:
                    present = [form]
                else:
                    present.append(form)
        if present is None:
            return text
        if len(present) == 1:  # nearly always: one form, once
            form = present[0]
            first = text.find(form)
            if text.find(form, first + 1) < 0:
                return f"{text[:first]}{REDACTED}{text[first + len(form) :]}"
        return _redact_union(text, present)

    def contains(self, text: str) -> bool:
        """Tell whether a text holds a known secret."""
        return any(form in text for form in self._forms)


def _redact_union(text: str, forms: list[str]) -> str:
    # Every occurrence of every form, then their union: replacing form after form would
    # leave the part of a secret that overlaps one replaced before it (two secrets sharing
    # all but a character; a form overlapping itself, `abab` in `ababab`), and which one is
    # left would depend on the order of a set.
    spans = []
    for form in forms:
        start = text.find(form)
        while start >= 0:
            spans.append((start, start + len(form)))
            start = text.find(form, start + 1)
    spans.sort()
    pieces = []
    done = 0  # the text before this is written out or redacted
    covered_to = -1  # the end of the redaction being extended
    for start, end in spans:
        if start < covered_to:  # overlaps the redaction before: extend it
            covered_to = max(covered_to, end)
            continue
        if covered_to >= 0:
            pieces.append(REDACTED)
            done = covered_to
        pieces.append(text[done:start])
        covered_to = end
    pieces.append(REDACTED)
    pieces.append(text[covered_to:])
    return "".join(pieces)


_active: contextvars.ContextVar[Optional[EventSecrets]] = contextvars.ContextVar(
    "autocapture_event_secrets", default=None
)
_EMPTY: Final = EventSecrets(remember_reprs=False)


def current_secrets() -> Optional[EventSecrets]:
    """Return the secrets of the event being emitted, or None outside an emit."""
    return _active.get()


def active_secrets() -> EventSecrets:
    """Return the secrets of the event being emitted (empty outside an emit).

    Sentry's event processors, `LoggingSink` and other exits call this to redact the
    event's known secrets from what they derive from the live exception.

    Returns:
        The event's `EventSecrets`; an empty one when no event is being emitted.
    """
    found = _active.get()
    return _EMPTY if found is None else found


@contextlib.contextmanager
def tracking_secrets(secrets: EventSecrets) -> Iterator[EventSecrets]:
    """Make `secrets` the event's known secrets for the duration of the block."""
    token = _active.set(secrets)
    try:
        yield secrets
    finally:
        _active.reset(token)
