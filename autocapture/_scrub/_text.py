"""Text rules: finding secrets inside any text (a message, a log line, a string value).

`TextRules` compiles the value shapes (`_shapes.SHAPES`) and the `name=value` forms into
one combined pattern and validates each candidate: JWTs decode, card numbers pass Luhn,
a `Bearer` word looks like a credential. `name=value`, `name: value`, `"name": value`,
`name is value`, `name value`, XML `<name>value</name>` and `--name value` are judged by
the key rules, and only the value is replaced (the whole value: quoted, escaped or
bracketed; pydantic's `input_value=` under a secret field's location too). A value that
is prose (`password: required`, `token: expired`) is no secret (`PROSE_VALUES`).
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Callable, Final, Optional

from autocapture._scrub._lazy import LazyPattern
from autocapture._scrub._shapes import (
    PII_SHAPES,
    SHAPES,
    Shape,
    http_credentials_ok,
    ipv4_ok,
    is_card_number,
    jwt_ok,
    openai_ok,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from autocapture._scrub._tracking import UserTime

__all__ = ["Span", "TextRules", "merge_spans"]

# `name=value`, `name: value`, `"name": "value"` inside text: the anchor is the separator
# after a letter (optionally a quote, a space or an escaped quote `\"` between), then the
# name must end like a secret word (a set lookup) and the whole name is judged by the key
# rules (exact, memoised); only its value is replaced. A regex over all the secret words
# in a lookbehind was measured ten times slower than this.
_ASSIGN_LOOKBEHIND: Final = (
    r"(?:(?<=[A-Za-z0-9].)|(?<=[A-Za-z0-9_][\"' \t].)|(?<=[ \t][ \t].)"
    r"|(?<=[A-Za-z0-9][\"'] .)|(?<=\\[\"'].))"
)
# A name of digits only (`22` in `10:22:31`) names no secret: refused in the pattern, as
# timestamps put many such separators in prose (unless a user's extra key is a number).
_NOT_DIGIT_NAME: Final = "".join(rf"(?<![^A-Za-z0-9_.-][0-9]{{{n}}}.)" for n in range(1, 5))
# `<password>value</password>` and `("DB_PASSWORD", "value")` (a pair, rendered as text).
_TAG_LOOKBEHIND: Final = r"(?<=[A-Za-z0-9]>)"
_PAIR_LOOKBEHIND: Final = r"(?<=[A-Za-z0-9_][\"'],)"
# Query parameters that are credentials by their place in a URL only (a `key` in a dict
# is a cache key, `?key=` is Google's API key): Google, OpenWeather, OAuth, HubSpot.
QUERY_SECRETS: Final = frozenset(
    ("key", "appid", "code", "sig", "hapikey", "signature", "auth", "pass", "pw")
)
# A value after a secret name that is prose about it, not the secret: `password: required`.
PROSE_VALUES: Final = frozenset(
    (  # noqa: SIM905 - word lists read better as prose
        "required missing invalid expired empty none null nil not too is was must should "
        "cannot can't incorrect wrong mismatch changed reset updated set unset true false "
        "undefined provided supplied given needed denied rejected ok yes no n/a hidden "
        "masked sent failed redacted [redacted] *** ******** <redacted> blank absent unknown "
        "error too_short too_long weak ignored revoked present disabled enabled"
    ).split()
)
# `password Zq9x...`, `the api_key is ...`, `password => ...`, `--password ...`: a secret
# word, spaces (or `is`/`was`/`=>`), then a word that looks random (see `_looks_secret`).
_WORD_FORM_RE: Final = LazyPattern(
    r"(?i:pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|credentials?)[0-9]*"
    r"[ \t]+(?:(?:is|was|=>|:=)[ \t]+)?(?=[^\s])"
)
_IDENT: Final = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-"
_IDENT_CHARS: Final = frozenset(_IDENT)
# The value after a secret name. A quoted value runs to its closing quote, over backslash
# escapes, after an optional string prefix (`b'...'`, `rb"..."`); a value quoted with
# escaped quotes (JSON inside a JSON string: `\"...\"`) runs to the next escaped quote,
# over doubly escaped ones (`\\\"`). An opening bracket starts a list, tuple or mapping,
# replaced whole (see `_bracketed_end`). Anything else is a bare word.
_VALUE_RE: Final = LazyPattern(
    r"""[ \t]{0,3}(?:(?i:bearer|basic|token|apikey|api-key|bot|digest|negotiate|ntlm|dpop"""
    r"""|key|sso-key)[ \t]+)?(?:"""
    r"""(?P<open>[(\[{])"""
    r"""|(?:[bBrRuUfF]{1,2})?(?:"(?P<dq>(?:[^"\\\r\n]|\\[^\r\n]){1,512})"""
    r"""|'(?P<sq>(?:[^'\\\r\n]|\\[^\r\n]){1,512}))"""
    r"""|\\"(?P<edq>(?:\\\\\\"|[^\\\r\n]|\\[^"\r\n]){1,512})"""
    r"""|\\'(?P<esq>(?:\\\\\\'|[^\\\r\n]|\\[^'\r\n]){1,512})"""
    r"""|(?P<bare>[^\s"'&,)\]<{\[](?:[^\s"'&,<]|<(?!/)){0,511}))"""
)
# One token of a bracketed value: a run of plain characters, an escape, a quoted string
# closed on its line, a bracket, or a lone quote (an apostrophe in prose).
_NEST_RE: Final = LazyPattern(
    r"""[^"'\\()\[\]{}]+|\\.?|"(?:[^"\\\r\n]|\\.)*"|'(?:[^'\\\r\n]|\\.)*'|[(\[{]|[)\]}]|["']""",
    re.DOTALL,
)
_NEST_LIMIT: Final = 4096
# User patterns scan windows of this size, overlapping so that a match up to the overlap's
# length across a window's end is still found whole.
_EXTRA_WINDOW: Final = 8192
_EXTRA_OVERLAP: Final = 1024  # chars of a bracketed value scanned for its closing bracket
# pydantic's `[type=..., input_value=..., input_type=...]` (v2 error messages): the
# location line above names the field; pydantic cuts a long input's repr in the middle
# with `...`, which can drop the key in front of a secret.
_PYDANTIC_INPUT: Final = "input_value"
_PYDANTIC_INPUT_END: Final = ", input_type="
_LINE_RE: Final = LazyPattern(r"[ \t]{0,3}(?P<line>[^\r\n]{1,2048})")
_LINE_LABELS: Final = frozenset(("cookie", "cookies"))
_CLOSERS: Final = {")": "(", "]": "[", "}": "{", ">": "<"}

_IPV6_RE: Final = LazyPattern(r"(?<![\w:.])[0-9A-Fa-f:]{2,39}(?:\.\d{1,3}){0,3}(?![\w:])")
_EMAIL_LOCAL: Final = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-"
)
_WORD_OR_DOT: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.")
_ALNUM: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")

Span = tuple[int, int, str]  # start, end, rule
_GroupInfo = tuple[str, tuple[str, ...], int, bool]  # rule, inner groups, back, edge


def _build_pattern(shapes: Sequence[Shape]) -> tuple[re.Pattern[str], dict[str, _GroupInfo]]:
    """Combine shape branches into one pattern whose branches each start with a literal.

    Returns:
        The compiled pattern, and per outer group name its rule, inner group names, the
        count of secret characters before the anchor and whether an edge is required.
    """
    groups: dict[str, list[str]] = {}
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
    branches = [re.escape(a) + "(?:" + "|".join(alts) + ")" for a, alts in groups.items()]
    return re.compile("|".join(branches)), info


def _assignment_shapes(*, digit_names: bool) -> tuple[Shape, ...]:
    """The separators of `name=value` forms, judged in `TextRules._assignment`."""
    name = _ASSIGN_LOOKBEHIND if digit_names else _ASSIGN_LOOKBEHIND + _NOT_DIGIT_NAME
    return (
        Shape(":", "assignment", name, 0, edge=False, source="autocapture"),
        Shape("=", "assignment", name, 0, edge=False, source="autocapture"),
        Shape(">", "assignment", _TAG_LOOKBEHIND, 0, edge=False, source="autocapture"),
        Shape(",", "assignment", _PAIR_LOOKBEHIND, 0, edge=False, source="autocapture"),
    )


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
            digit_names: Whether a name of digits only may name a secret (a user's
                extra key such as `"1234"`).
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
                if _ipv6_ok(m[0])
            )
        if _has_word_form_stem(lowered):
            self._word_forms(text, found)
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
        assignments = _assignment_shapes(digit_names=self._digit_names)
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
                span = self._assignment(text, m.start())
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
                and not _is_version_or_loopback(text, start, end)
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

    def _assignment(self, text: str, sep: int) -> Optional[Span]:  # noqa: C901, PLR0911
        """Judge the name before a separator (`:`, `=`, `>`, `,`); return its value's span."""
        sep_char = text[sep]
        # Scans backwards are `rstrip` of a bounded slice: one C call, not a Python loop.
        low = max(0, sep - 32)
        end = low + len(text[low:sep].rstrip(" \t"))  # aligned `=`
        quoted = end > 0 and text[end - 1] in "\"'"
        if quoted:
            end -= 1
            low = max(0, end - 8)
            while end > low and text[end - 1] == "\\":  # escaped quotes: JSON inside JSON
                end -= 1
        low = max(0, end - 64)
        begin = low + len(text[low:end].rstrip(_IDENT))
        if begin == end:
            return None
        if sep_char == ">" and (quoted or begin == 0 or text[begin - 1] != "<"):
            return None
        if sep_char == "," and not quoted:
            return None
        name = text[begin:end]
        label = self._classify(name)
        if label is None:
            if sep_char != "=":
                return None
            if name.endswith(_PYDANTIC_INPUT):
                return self._pydantic_input(text, end, sep)
            lowered = name.lower()
            if lowered not in QUERY_SECRETS or begin == 0 or text[begin - 1] not in "?&;":
                return None
            label = lowered
        pos = sep + 1
        if sep_char == "=" and text.startswith(">", pos):  # `password => value`
            pos += 1
        rule = "text_key:" + label
        if label in _LINE_LABELS or text[pos : pos + 8].lstrip().lower().startswith("digest "):
            line = _LINE_RE.get().match(text, pos)
            if line is None or _is_prose(line["line"]):
                return None
            return line.start("line"), line.end("line"), rule
        return _value_span(text, pos, rule, quoted_only=sep_char == ",")

    def _word_forms(self, text: str, found: list[Span]) -> None:
        """Find `password Zq9x...` and `api_key is ...`: a secret name, then a random word."""
        for m in _WORD_FORM_RE.get().finditer(text):
            name_end = m.start()
            while name_end < m.end() and text[name_end] in _IDENT_CHARS:
                name_end += 1
            begin, low = m.start(), max(0, m.start() - 64)
            while begin > low and text[begin - 1] in _IDENT_CHARS:
                begin -= 1
            label = self._classify(text[begin:name_end].lstrip("-"))
            if label is None:
                continue
            span = _value_span(text, m.end(), "text_key:" + label)
            if span is not None and _looks_secret(text[span[0] : span[1]]):
                found.append(span)

    def _pydantic_input(self, text: str, end: int, sep: int) -> Optional[Span]:
        """Judge pydantic's `input_value=` by the field location on the line above."""
        begin = end - len(_PYDANTIC_INPUT)
        if begin < 0 or not text.startswith(_PYDANTIC_INPUT, begin):
            return None
        if begin > 0 and text[begin - 1] in _IDENT_CHARS:
            return None
        # Every search is bounded, so that a text full of `input_value=` stays linear.
        newline = text.rfind("\n", max(0, begin - _NEST_LIMIT), begin)
        high = min(len(text), sep + _NEST_LIMIT)
        line_end = text.find("\n", sep, high)
        stop = text.rfind(_PYDANTIC_INPUT_END, sep, high if line_end < 0 else line_end)
        label: Optional[str] = None
        if newline >= 0:  # `a.0.api_key`: any part of the location may name a secret
            low = max(0, newline - _NEST_LIMIT)
            location = text[text.rfind("\n", low, newline) + 1 or low : newline]
            for part in location.strip().split("."):
                label = self._classify(part) if part else None
                if label is not None:
                    break
        if label is not None:
            if stop > sep + 1:
                return sep + 1, stop, "text_key:" + label
            return _value_span(text, sep + 1, "text_key:" + label)
        if stop > sep + 1 and text[sep + 1] in "([{" and "..." in text[sep + 1 : stop]:
            return sep + 1, stop, "text_key:" + _PYDANTIC_INPUT  # cut: its keys may be lost
        return None


def _value_span(  # noqa: PLR0911 - one return per form of value
    text: str, pos: int, rule: str, *, quoted_only: bool = False
) -> Optional[Span]:
    """Return the span of the value that starts at `pos` (after a secret name), or None."""
    escaped = _ESCAPED_QUOTE_RE.get().match(text, pos)
    if escaped is not None:  # `\\\"value\\\"`: JSON inside JSON inside JSON
        closer = escaped["open"]
        start = escaped.end()
        high = min(len(text), start + 1024)
        end = text.find(closer, start, high)
        while end > start and text[end - 1] == "\\":  # a quote escaped once more: inside
            end = text.find(closer, end + 1, high)
        return start, (min(len(text), start + 512) if end < 0 else end), rule
    value = _VALUE_RE.get().match(text, pos)
    if value is None:
        return None
    group = value.lastgroup
    if group is None:
        return None
    start = value.start(group)
    if group == "open":
        return None if quoted_only else (start, _bracketed_end(text, start), rule)
    if group != "bare":
        return start, value.end(group), rule
    if quoted_only:
        return None
    bare = _trim(value[group])
    if not bare or _is_prose(bare):
        return None
    return start, start + len(bare), rule


# What `_WORD_FORM_RE` starts with, lowercased: `in` tests on the lowered text are a
# hundred times cheaper than a case-insensitive regex scan of text that holds none.
def _has_word_form_stem(lowered: str) -> bool:
    # Written out: a generator over the stems costs twice as much as the tests.
    return (
        "pass" in lowered
        or "pwd" in lowered
        or "secret" in lowered
        or "token" in lowered
        or "key" in lowered
        or "credential" in lowered
    )


def _trim(value: str) -> str:
    """Drop the punctuation that ends a sentence or closes a bracket opened before."""
    while value:
        last = value[-1]
        unbalanced = last in _CLOSERS and value.count(_CLOSERS[last]) < value.count(last)
        if last in ".,;:!?" or unbalanced:
            value = value[:-1]
        else:
            break
    return value


def _is_prose(value: str) -> bool:
    """Tell a word about a secret (`required`, `None`, `not set`) from a secret."""
    first = value.strip().split(" ", 1)[0].rstrip(".,;:!").lower()
    return first in PROSE_VALUES


def _looks_secret(value: str) -> bool:
    """Tell a random-looking word from a prose word, after a secret name and a space."""
    if len(value) < 6 or _is_prose(value):  # noqa: PLR2004 - shorter is a word or a PIN
        return False
    if any(c.isdigit() or not c.isalnum() for c in value):
        return True
    return any(c.isupper() for c in value[1:]) and any(c.islower() for c in value)


_ESCAPED_QUOTE_RE: Final = LazyPattern(r"[ \t]{0,3}(?P<open>\\{1,7}[\"'])")


def _bracketed_end(text: str, start: int) -> int:
    """Return where the bracketed value opening at `start` closes (exclusive).

    Quoted strings are skipped whole, so brackets inside them do not count. A value not
    closed within `_NEST_LIMIT` characters (cut short, or not a value after all) ends
    there: the scrubber fails closed.
    """
    limit = min(len(text), start + _NEST_LIMIT)
    match = _NEST_RE.get().match
    depth = 0
    pos = start
    while pos < limit:
        token = match(text, pos, limit)
        if token is None:  # pragma: no cover - every character starts some token
            return limit
        pos = token.end()
        char = token[0][0]
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth <= 0:
                return pos
    return limit


def _ipv6_ok(candidate: str) -> bool:
    import ipaddress  # 3 ms to import: only for a text that may hold an IPv6 address

    if "::" not in candidate and candidate.count(":") != 7:  # noqa: PLR2004
        return False
    try:
        address = ipaddress.IPv6Address(candidate)
    except ValueError:
        return False
    return not (address.is_loopback or address.is_unspecified)


def _is_version_or_loopback(text: str, start: int, end: int) -> bool:
    """`version 1.2.3.4`, `v1.2.3.4` and `127.0.0.1` are no one's personal data."""
    if text.startswith("127.", start) or text[start:end] == "0.0.0.0":  # noqa: S104
        return True
    before = text[max(0, start - 9) : start].lower().rstrip(" :=")
    return before.endswith(("version", "ver", "v", "release", "build"))


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
