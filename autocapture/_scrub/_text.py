"""Text rules: finding secrets inside any text (a message, a log line, a string value).

`TextRules` compiles the value shapes (`_shapes.SHAPES`) and the separators of the text
forms (`_forms.assignment_shapes`) into one combined pattern, and validates each
candidate (`_validators`: JWTs decode, card numbers pass Luhn, a `Bearer` word looks like
a credential; `_forms`: the name before a separator names a secret). Shapes whose anchors
are common in prose run as patterns of their own behind a cheap test (`_GATES`); the
user's `extra_patterns` run under the capture's time budget (`extra_spans`).
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Callable, Final, Optional

from autocapture._scrub._first import anchor_checks, union
from autocapture._scrub._forms import (
    Span,
    assignment_shapes,
    assignment_span,
    has_word_form_stem,
    word_form_spans,
)
from autocapture._scrub._lazy import LazyPattern
from autocapture._scrub._pii import PII_SHAPES
from autocapture._scrub._shapes import SHAPES, Shape
from autocapture._scrub._validators import (
    http_credentials_ok,
    ipv4_ok,
    ipv6_ok,
    is_card_number,
    is_version_or_loopback,
    jwt_ok,
    openai_ok,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from autocapture._scrub._tracking import UserTime

__all__ = [
    "SHORT_CACHE_SIZE",
    "SHORT_TEXT",
    "Span",
    "TextRules",
    "branch_patterns",
    "merge_spans",
    "short_cached",
]

# User patterns scan windows of this size, overlapping so that a match up to the overlap's
# length across a window's end is still found whole.
_EXTRA_WINDOW: Final = 8192
_EXTRA_OVERLAP: Final = 1024
_IPV6_RE: Final = LazyPattern(r"(?<![\w:.])[0-9A-Fa-f:]{2,39}(?:\.\d{1,3}){0,3}(?![\w:])")
_EMAIL_LOCAL: Final = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-"
)
_WORD_OR_DOT: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.")
_ALNUM: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")

_GroupInfo = tuple[str, tuple[str, ...], int, bool]  # rule, inner groups, back, edge


def _build_pattern(shapes: Sequence[Shape]) -> tuple[re.Pattern[str], dict[str, _GroupInfo]]:
    """Combine shape branches into one pattern whose branches each start with a literal.

    Returns:
        The compiled pattern, and per outer group name its rule, inner group names, the
        count of secret characters before the anchor and whether an edge is required.
    """
    groups: dict[str, list[str]] = {}
    checks: dict[str, list[tuple[Optional[str], Optional[str]]]] = {}
    info: dict[str, _GroupInfo] = {}
    inner_re = re.compile(r"\(\?P<([a-z]+)>")
    for n, (anchor, rule, rest, back, edge, _source) in enumerate(shapes):
        inner = tuple(inner_re.findall(rest))
        renamed = rest
        for name in inner:
            renamed = renamed.replace(f"(?P<{name}>", f"(?P<{name}_{n}>")
        outer = f"{rule}__{n}"
        info[outer] = (rule, tuple(f"{name}_{n}" for name in inner), back, edge)
        groups.setdefault(anchor, []).append(f"(?P<{outer}>{renamed})")
        checks.setdefault(anchor, []).append(anchor_checks(rest))
    branches = [
        re.escape(anchor) + _guard(checks[anchor]) + "(?:" + "|".join(alts) + ")"
        for anchor, alts in groups.items()
    ]
    return re.compile("|".join(branches)), info


def _guard(checks: list[tuple[Optional[str], Optional[str]]]) -> str:
    """The tests after an anchor that every branch of its group needs: one rejects the rest.

    What may follow the anchor, when every branch says; and what may come before it, when
    some branches say (a branch that does not, `----BEGIN` after `-`, passes the test
    where its own first character follows).
    """
    firsts = [first for first, _before in checks]
    guard = "" if None in firsts else "(?=[" + union(firsts) + "])"  # type: ignore[arg-type]
    befores = [before for _first, before in checks if before is not None]
    open_firsts = [first for first, before in checks if before is None]
    if befores and None not in open_firsts:
        behind = "(?<=[" + union(befores) + "].)"
        if open_firsts:
            behind = "(?:" + behind + "|(?=[" + union(open_firsts) + "]))"  # type: ignore[arg-type]
        guard += behind
    return guard


def branch_patterns() -> list[str]:
    """Every branch (the regex after its anchor) any `TextRules` compiles."""
    shapes = (*SHAPES, *PII_SHAPES)
    for digit_names in (False, True):
        shapes += assignment_shapes(digit_names=digit_names)
    return [shape.pattern for shape in shapes]


# Digits, spaces and dashes become `0`, anything else `x`: a card number is a run of 13.
_CARD_CHARS: Final = bytes(
    48 if 48 <= i <= 57 or i in (32, 45) else 120  # noqa: PLR2004 - ASCII codes
    for i in range(256)
)
_CARD_RUN: Final = b"0" * 13


def _may_hold_card(text: str, lowered: str) -> bool:
    """13 digits, spaces or dashes in a row (a non-ASCII text: assume so)."""
    del lowered
    if not text.isascii():  # `\d` also matches other scripts' digits
        return True
    return _CARD_RUN in text.encode("ascii").translate(_CARD_CHARS)


def _may_hold_scheme(text: str, lowered: str) -> bool:
    del text
    return "bearer" in lowered or "basic" in lowered


# Rules whose anchor characters are common in prose (digits; `b` and `B`) run as their
# own pattern, and only on a text that passes a cheap necessary test: in a paragraph of
# prose most candidate positions were digits, each costing a failed branch.
_GATES: Final[dict[str, Callable[[str, str], bool]]] = {
    "card_number": _may_hold_card,
    "http_credentials": _may_hold_scheme,
}
_Compiled = tuple[
    re.Pattern[str],
    dict[str, _GroupInfo],
    tuple[tuple[Callable[[str, str], bool], re.Pattern[str], dict[str, _GroupInfo]], ...],
]


class TextRules:
    """Finds secret-shaped substrings (and PII unless allowed) in text."""

    __slots__ = (
        "_classify",
        "_compiled",
        "_digit_names",
        "_extra",
        "_min_len",
        "_pii",
        "_shapes",
    )

    def __init__(
        self,
        *,
        pii: bool,
        classify: Callable[[str], Optional[str]],
        extra_patterns: Sequence[re.Pattern[str]] = (),
        digit_names: bool = False,
    ) -> None:
        """Prepare the rules; the combined patterns are compiled on first use.

        Args:
            pii: Whether to also find email and IP addresses.
            classify: The key classifier (returns a label for a secret name, else None),
                used for `name=value` assignments inside text.
            extra_patterns: User patterns; every match is a secret.
            digit_names: Whether a name of digits (and `t`) may name a secret (a user's
                extra key such as `"1234"` or `"t"`).
        """
        self._shapes = SHAPES + PII_SHAPES if pii else SHAPES
        self._compiled: Optional[_Compiled] = None
        self._digit_names = digit_names
        self._classify = classify
        self._pii = pii
        self._extra = tuple(extra_patterns)
        self._min_len = 3 if pii else 5  # the shortest thing we find: `::1`, `pwd=x`

    def spans(self, text: str) -> list[Span]:
        """Find the secret spans of a text.

        Args:
            text: Any string.

        Returns:
            Sorted, non-overlapping `(start, end, rule)` spans to replace.
        """
        if len(text) < self._min_len:
            return []
        pattern, info, gated = self._compiled or self._compile()
        found: list[Span] = []
        m = pattern.search(text)
        if m is not None:
            self._scan(text, m, found, pattern, info)
        lowered = text.lower()
        for gate, gated_pattern, gated_info in gated:
            if gate(text, lowered):
                m = gated_pattern.search(text)
                if m is not None:
                    self._scan(text, m, found, gated_pattern, gated_info)
        if self._pii and ("::" in text or text.count(":") >= 7):  # noqa: PLR2004
            found.extend(
                (m.start(), m.end(), "pii:ipv6")
                for m in _IPV6_RE.get().finditer(text)
                if ipv6_ok(m[0])
            )
        if has_word_form_stem(lowered):
            word_form_spans(text, self._classify, found)
        if len(found) > 1:
            found = merge_spans(found)
        return found

    @property
    def has_extra(self) -> bool:
        """Whether the user gave patterns of their own (`extra_spans`)."""
        return bool(self._extra)

    def extra_spans(self, text: str, clock: UserTime) -> Optional[list[Span]]:
        """Find the matches of the user's patterns, within the capture's time budget.

        A pattern runs on windows of `_EXTRA_WINDOW` characters that overlap by
        `_EXTRA_OVERLAP`, so that one call costs a bounded time even for a pattern that
        is quadratic in the length of its input (`x.*y`); a match longer than the overlap
        that crosses a window's end is cut there. Between windows the clock is read.

        Args:
            text: Any string.
            clock: The time the capture has spent in user code so far (charged here).

        Returns:
            The spans, or None when the budget ran out before every window was scanned.
        """
        found: list[Span] = []
        size = len(text)
        for i, pattern in enumerate(self._extra):
            rule = f"value:extra:{i}"
            pos = 0
            while True:
                if clock.exhausted:
                    return None
                end = min(size, pos + _EXTRA_WINDOW)
                started = time.perf_counter()
                try:
                    found.extend(
                        (m.start(), m.end(), rule)
                        for m in pattern.finditer(text, pos, end)
                        if m.end() > m.start()
                    )
                finally:
                    clock.spent += time.perf_counter() - started
                if end >= size:
                    break
                pos = end - _EXTRA_OVERLAP
        return found

    def _compile(self) -> _Compiled:
        """Compile the combined pattern and the gated ones (once; a race compiles twice)."""
        main = [s for s in self._shapes if s.rule not in _GATES]
        assignments = assignment_shapes(digit_names=self._digit_names)
        pattern, info = _build_pattern((*main, *assignments))
        gated = tuple(
            (gate, *_build_pattern([s for s in self._shapes if s.rule == rule]))
            for rule, gate in _GATES.items()
        )
        self._compiled = (pattern, info, gated)
        return self._compiled

    def _scan(
        self,
        text: str,
        m: Optional[re.Match[str]],
        found: list[Span],
        pattern: re.Pattern[str],
        info: dict[str, _GroupInfo],
    ) -> None:
        """Walk the candidates of a combined pattern, validating each."""
        search = pattern.search
        while m is not None:
            outer = m.lastgroup
            if outer is None:  # pragma: no cover - every branch is a named group
                span = None
            elif outer.startswith("assignment"):  # most candidates in prose: no detour
                span = assignment_span(text, m.start(), self._classify)
            else:
                span = self._check(text, m, info[outer])
            if span is None:
                # Not a secret after all: look again one character later, not after the
                # whole candidate, so that a secret overlapping it is still found.
                m = search(text, m.start() + 1)
            else:
                found.append(span)
                m = search(text, max(m.end(), span[1], m.start() + 1))

    def _check(  # noqa: C901 - one validator per rule, kept together
        self, text: str, m: re.Match[str], group: _GroupInfo
    ) -> Optional[Span]:
        """Validate a candidate match and return the span to replace, or None."""
        rule, inner, back, edge = group
        start = m.start() - back
        if edge and start > 0 and text[start - 1] in _ALNUM:
            return None
        for name in inner:
            if m.start(name) >= 0:
                if rule == "http_credentials" and not http_credentials_ok(m[0], m[name]):
                    return None
                return m.start(name), m.end(name), "value:" + rule
        end = m.end()
        ok = True
        if rule == "jwt":
            ok = jwt_ok(text[start:end])
        elif rule == "card_number":
            ok = is_card_number(m[0].replace(" ", "").replace("-", ""))
        elif rule == "openai_key":
            ok = openai_ok(text[start:end])
        elif rule == "ipv4":
            start = m.start()
            low = max(0, start - 3)
            while start > low and text[start - 1].isdigit():
                start -= 1
            ok = (
                (start == 0 or text[start - 1] not in _WORD_OR_DOT)
                and ipv4_ok(text[start:end])
                and not is_version_or_loopback(text, start, end)
            )
        elif rule == "email":
            at = start  # the branch starts at the `@`; walk back over the local part
            local, low = at, max(0, at - 64)
            while local > low and text[local - 1] in _EMAIL_LOCAL:
                local -= 1
            return (local, end, "pii:email") if local < at else None
        if not ok:
            return None
        return start, end, ("pii:" if rule == "ipv4" else "value:") + rule


# Short strings repeat (keys, roles, model names, table names, a tool's description in
# every request): their secret spans are remembered, bounded in count and length. The
# cache lives and dies with its Scrubber.
SHORT_TEXT: Final = 128
SHORT_CACHE_SIZE: Final = 4096


def short_cached(
    spans: Callable[[str], list[Span]], cache: dict[str, list[Span]]
) -> Callable[[str], list[Span]]:
    """Memoise ``spans`` for short strings in ``cache`` (callers only read the lists)."""

    def cached(text: str) -> list[Span]:
        if len(text) > SHORT_TEXT:
            return spans(text)
        found = cache.get(text)
        if found is None:
            found = spans(text)
            if len(cache) >= SHORT_CACHE_SIZE:
                cache.clear()  # crude but bounded, and lock-free: a miss only costs a scan
            cache[text] = found
        return found

    return cached


def merge_spans(spans: list[Span]) -> list[Span]:
    """Sort spans and fuse overlapping ones (the earlier rule names the fused span)."""
    spans.sort()
    merged = [spans[0]]
    for start, end, rule in spans[1:]:
        last_start, last_end, last_rule = merged[-1]
        if start < last_end:
            merged[-1] = (last_start, max(end, last_end), last_rule)
        else:
            merged.append((start, end, rule))
    return merged
