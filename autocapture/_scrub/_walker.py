"""The walker: one scrub call over any value, copying it field by field.

It copies mappings, sequences, sets, dataclasses, attrs classes, pydantic models,
namedtuples and plain objects, never calling user code except a bounded `repr` as a last
resort, and bounds the result (string length, depth, items per container, total size)
with visible markers. What it redacts it can report to an `EventSecrets` (event-wide
tracking), so the same values can be redacted wherever else they appear in the event.

Strings, mappings and sequences are handled here, inline for speed; the rarer values go
to `_structured.other` by their kind (`_objects.kind_of`).
"""

from __future__ import annotations

import enum
import time
from collections.abc import Mapping, Sequence
from itertools import islice
from typing import TYPE_CHECKING, Any, Callable, Final, Optional

from autocapture._scrub._objects import (
    bytes_key,
    flat_path,
    more_items,
    safe_repr,
    unique_key,
)
from autocapture._scrub._options import (
    CYCLE_MARKER,
    KEEP,
    MAX_DEPTH_MARKER,
    MORE_ITEMS_KEY,
    REDACTED,
    ScrubMatch,
)
from autocapture._scrub._structured import other, pair_label, scrub_pair
from autocapture._scrub._text import SHORT_CACHE_SIZE, SHORT_TEXT, merge_spans
from autocapture._scrub._tracking import (
    MAX_REPR_CHARS,
    MAX_REPRS,
    EventSecrets,
    UserTime,
    current_secrets,
)
from autocapture._scrub._validators import is_card_number

if TYPE_CHECKING:
    from autocapture._scrub._scrubber import Scrubber
    from autocapture._scrub._text import Span, TextRules

__all__ = [
    "CYCLE_MARKER",
    "MAX_DEPTH_MARKER",
    "MORE_ITEMS_KEY",
    "Walk",
    "safe_repr",
]


_SCAN_MARGIN: Final = (
    2048  # chars scanned past `max_string_length`, so a cut never halves a secret
)
_BIG_INT: Final = 10**12  # below 13 digits an int cannot be a card number
_CARD_LIMIT: Final = 1e19  # nor with more than 19
_REPR_LIMIT: Final = 1_000_000  # a repr is cut here before scanning; the walker cuts further


# What `Walk.key_labels` holds for a key not seen yet.
_UNSEEN: Final = object()


class Walk:
    """One scrub call: the limits, the remaining size budget and the containers on the path.

    Paths are built lazily as `(parent, key)` pairs, and only when a callback needs them.
    """

    __slots__ = (
        "budget",
        "callback",
        "classify",
        "found",
        "key_labels",
        "max_depth",
        "max_items",
        "max_str",
        "on_path",
        "scrubber",
        "short",
        "spans",
        "text_rules",
        "user_time",
    )

    def __init__(self, scrubber: Scrubber, found: Optional[EventSecrets] = None) -> None:
        options = scrubber.options
        # Event-wide tracking: what this walk redacts is reported to `found`, and values
        # already known secret in the event are redacted in every string it copies.
        self.found = found if found is not None else current_secrets()
        self.classify = scrubber._classify  # noqa: SLF001 - the walker is the scrubber's
        self.spans: Callable[[str], list[Span]] = scrubber._spans  # noqa: SLF001
        self.short: dict[str, list[Span]] = scrubber._short_spans  # noqa: SLF001
        # Key decisions are pure functions of the key: a str key without secret shapes
        # maps to its label (None when the key names no secret), shared by every walk.
        self.key_labels: dict[str, Optional[str]] = scrubber._key_labels  # noqa: SLF001
        self.callback = scrubber._callback  # noqa: SLF001
        self.scrubber = scrubber
        # User patterns run per text (not memoised) under the capture's time budget.
        rules = scrubber._text  # noqa: SLF001
        self.text_rules: Optional[TextRules] = rules if rules.has_extra else None
        self.user_time = self.found.user_time if self.found is not None else UserTime()
        self.max_str = options.max_string_length
        self.max_depth = options.max_depth
        self.max_items = options.max_items
        self.budget = options.max_total_chars
        self.on_path: set[int] = set()

    # -- paths and callbacks ----------------------------------------------------------

    def ask(self, path: object, value: object, rule: str) -> object:
        """Ask the callback about a match; None means redact, KEEP means keep.

        Once the capture has spent its time in user code (`USER_CODE_BUDGET`), the
        callback is not asked any more: the match is redacted (fail closed).
        """
        callback = self.callback
        if callback is None:
            return None
        clock = self.user_time
        if clock.exhausted:
            self.scrubber.report_over_budget("ScrubOptions.callback")
            return None
        started = time.perf_counter()
        try:
            answer = callback(ScrubMatch(flat_path(path), value, rule))
        except Exception:
            return None  # fail closed
        finally:
            clock.spent += time.perf_counter() - started
        if answer is value or answer is KEEP:
            return KEEP
        return answer

    def repr(self, value: object, limit: int = _REPR_LIMIT) -> str:
        """`safe_repr`, run once per object per capture (the event's memo, when tracking)."""
        found = self.found
        memo = None if found is None else found.reprs
        if memo is None or found is None:
            return safe_repr(value, limit)
        entry = memo.get(id(value))
        if entry is not None and entry[0] is value:
            return entry[1][:limit]
        text = safe_repr(value, _REPR_LIMIT)
        if len(memo) < MAX_REPRS and found.repr_chars + len(text) <= MAX_REPR_CHARS:
            memo[id(value)] = (value, text)
            found.repr_chars += len(text)
        return text[:limit]

    # -- strings ------------------------------------------------------------------------

    def text(self, text: str, path: object) -> str:
        """Replace the secret spans of a text (no truncation)."""
        found = self.found
        if found is not None and found.values:
            text = found.scrub_text(text)
        spans = self.spans(text)
        if self.text_rules is not None and text:
            extra = self.text_rules.extra_spans(text, self.user_time)
            if extra is None:  # out of time: what was not scanned may hold a secret
                self.scrubber.report_over_budget("ScrubOptions.extra_patterns")
                return REDACTED
            if extra:
                spans = merge_spans([*spans, *extra])
        if not spans:
            return text
        parts: list[str] = []
        last = 0
        for start, end, rule in spans:
            parts.append(text[last:start])
            replacement = REDACTED
            answer = None if self.callback is None else self.ask(path, text[start:end], rule)
            if answer is KEEP:
                replacement = text[start:end]
            else:
                if isinstance(answer, str):
                    replacement = answer
                if found is not None:
                    found.add(text[start:end])  # a secret: redacted wherever else it appears
            parts.append(replacement)
            last = end
        parts.append(text[last:])
        return "".join(parts)

    def string(self, text: str, path: object) -> str:
        """Scrub and bound a string value."""
        limit = self.max_str
        if self.budget < limit:
            limit = max(self.budget, 16)
        size = len(text)
        if size <= limit:
            out = self.text(text, path)
            if len(out) > limit:  # a callback's replacement made it longer
                out = out[:limit] + f"...[truncated {len(out) - limit} chars]"
        else:
            window = limit + _SCAN_MARGIN
            out = self.text(text[:window], path)
            rest = len(out) - limit + max(0, size - window)
            if rest > 0:
                out = out[:limit] + f"...[truncated {rest} chars]"
        self.budget -= len(out)
        return out

    def key_text(self, key: str) -> str:
        """Scrub a mapping key for secret shapes (a dict keyed by tokens leaks them)."""
        if self.text_rules is not None:
            return self.text(key, None)
        if len(key) < 3:  # noqa: PLR2004 - nothing we detect is shorter
            return key
        return self.text(key, None) if self.spans(key) else key

    # -- values -------------------------------------------------------------------------

    def value(self, value: object, path: object, depth: int) -> Any:  # noqa: PLR0911
        """Scrub any value; the fast cases come first."""
        try:
            cls = type(value)
            if cls is str:
                return self.string(value, path)  # type: ignore[arg-type]
            if cls is int:
                if -_BIG_INT < value < _BIG_INT:  # type: ignore[operator]
                    return value
                return self.integer(value, path)  # type: ignore[arg-type]
            if cls is dict:
                return self.mapping(value, path, depth)  # type: ignore[arg-type]
            if cls is list or cls is tuple:
                return self.sequence(value, path, depth)  # type: ignore[arg-type]
            if value is None or cls is bool:
                return value
            if cls is float:
                return self.real(value, path)  # type: ignore[arg-type]
            return other(self, value, path, depth)
        except Exception:
            return REDACTED  # fail closed for this subtree

    def integer(self, value: int, path: object) -> object:
        """Pass an int through unless it is a Luhn-valid card number."""
        digits = str(abs(value)) if value.bit_length() < 128 else ""  # noqa: PLR2004
        if digits and is_card_number(digits):
            answer = self.ask(path, value, "value:card_number")
            if answer is KEEP:
                return value
            if self.found is not None:
                self.found.add(digits)
            return REDACTED if answer is None else self.value(answer, path, 0)
        return value

    def real(self, value: float, path: object) -> object:
        """Pass a float through unless it is a whole card number (a float64 column)."""
        if value - value != 0:
            return str(value)  # inf and nan: no JSON number
        if not -_BIG_INT < value < _BIG_INT and value.is_integer() and abs(value) < _CARD_LIMIT:
            number = int(value)
            checked = self.integer(number, path)
            return value if checked is number else checked  # kept, or the callback's answer
        return value

    def item(self, key: str, value: object, path: object, depth: int) -> Any:
        """Scrub a value found under a name: key rules first, then the value itself."""
        return self.labeled(key, self.classify(key), value, path, depth)

    def labeled(
        self, key: str, label: Optional[str], value: object, path: object, depth: int
    ) -> Any:
        """Scrub a value found under a name already judged (`label`: the secret it names)."""
        child = (path, key) if self.callback is not None else None
        if label is None:
            return self.value(value, child, depth)
        answer = self.ask(child, value, "key:" + label)
        if answer is not KEEP and self.found is not None:
            self.found.add_found(value)  # a secret: redacted wherever else it appears
        if answer is None:
            self.budget -= len(REDACTED)
            return REDACTED
        return self.value(value if answer is KEEP else answer, child, depth)

    def mapping(  # noqa: C901, PLR0912, PLR0915 - the hot loop, inlined on purpose
        self, mapping: Mapping[Any, object], path: object, depth: int
    ) -> Any:
        """Scrub a mapping: keys become str, secret names redact their values."""
        if depth >= self.max_depth:
            return MAX_DEPTH_MARKER
        ident = id(mapping)
        if ident in self.on_path:
            return CYCLE_MARKER
        self.on_path.add(ident)
        try:
            items = dict.items(mapping) if isinstance(mapping, dict) else mapping.items()
            out: dict[str, Any] = {}
            max_items = self.max_items
            # The common leaves (a plain string or int under an ordinary name) are done
            # inline: same checks as item() -> value() -> string(), a third of the calls.
            # With secrets known at the start, a string that holds none of them is too.
            fast = self.callback is None and self.text_rules is None
            known = self.found.scrub_text if self.found is not None and self.found else None
            spans, short, classify, max_str = self.spans, self.short, self.classify, self.max_str
            labels = self.key_labels
            # Once a key is converted (not a str, or redacted) it may equal another key;
            # until then the keys are distinct str and the lookup is skipped.
            converted = False
            for count, (k, v) in enumerate(items):
                if count >= max_items or self.budget <= 0:
                    out[MORE_ITEMS_KEY] = more_items(mapping, count)
                    break
                label = labels.get(k, _UNSEEN) if type(k) is str else _UNSEEN
                if label is _UNSEEN:
                    key = self.key_text(k if type(k) is str else self.key_str(k))
                    label = classify(key)
                    if key is k:  # a str key with no secret shape: its decision is final
                        if len(labels) >= SHORT_CACHE_SIZE:
                            labels.clear()
                        labels[k] = label
                    else:
                        converted = True
                else:
                    key = k
                if converted and key in out:
                    key = unique_key(key, out)
                self.budget -= len(key)
                if fast and label is None:
                    kind = type(v)
                    if kind is str:
                        size = len(v)  # type: ignore[arg-type]
                        if (
                            size <= max_str
                            and size <= self.budget
                            and (known is None or known(v) is v)  # type: ignore[arg-type]
                        ):
                            found = short.get(v) if size <= SHORT_TEXT else None  # type: ignore[call-overload]
                            if found is None:
                                found = spans(v)  # type: ignore[arg-type]
                            if not found:
                                self.budget -= size
                                out[key] = v
                                continue
                    elif kind is int and -_BIG_INT < v < _BIG_INT:  # type: ignore[operator]
                        out[key] = v
                        continue
                out[key] = self.labeled(key, label, v, path, depth + 1)  # type: ignore[arg-type]
            return out
        finally:
            self.on_path.discard(ident)

    def sequence(self, seq: Sequence[object], path: object, depth: int) -> Any:
        """Scrub a list-like container into a list."""
        if depth >= self.max_depth:
            return MAX_DEPTH_MARKER
        ident = id(seq)
        if ident in self.on_path:
            return CYCLE_MARKER
        self.on_path.add(ident)
        try:
            out: list[Any] = []
            track = self.callback is not None
            max_items = self.max_items
            for i, v in enumerate(islice(seq, max_items + 1)):
                if i >= max_items or self.budget <= 0:
                    out.append(more_items(seq, i))
                    break
                kind = type(v)
                if kind is tuple or kind is list:
                    pair: Sequence[object] = v  # type: ignore[assignment]  # narrowed by `kind`
                    label = pair_label(self, pair)
                    if label is not None:
                        child = (path, i) if track else None
                        out.append(scrub_pair(self, label, pair, child, depth + 1))
                        continue
                elif kind is dict:  # a list of records (messages, rows): no detour by value()
                    try:
                        out.append(self.mapping(v, (path, i) if track else None, depth + 1))  # type: ignore[arg-type]
                    except Exception:
                        out.append(REDACTED)  # fail closed for this item, as value() does
                    continue
                out.append(self.value(v, (path, i) if track else None, depth + 1))
            return out
        finally:
            self.on_path.discard(ident)

    def key_str(self, key: object) -> str:
        """Convert a non-str mapping key to str without trusting its `__str__`."""
        if key is None or type(key) in (int, float, bool):
            return str(key)
        if isinstance(key, enum.Enum):
            return self.key_str(key.value)
        if isinstance(key, (bytes, bytearray, memoryview)):
            return bytes_key(key)
        if isinstance(key, (int, float)):
            return str(float(key) if isinstance(key, float) else int(key))
        if isinstance(key, str):
            return str.__str__(key)
        return self.repr(key, self.max_str)
