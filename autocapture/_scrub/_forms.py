"""Text forms: `name=value` and `password Zq9x...` inside text, judged by the key rules.

`name=value`, `name: value`, `"name": value`, `name is value`, `name value`, XML
`<name>value</name>`, `("name", "value")` pairs printed as text and `--name value` are
found at their separator by `_text.TextRules` (`assignment_shapes`), then judged here:
the name before the separator must name a secret (the key rules, memoised), and only the
value is replaced, whole: quoted (escapes and string prefixes too), escaped JSON at any
depth, or bracketed; pydantic's `input_value=` under a secret field's location too. A
value that is prose (`password: required`, `token: expired`) is no secret.

The word tables here are data: `QUERY_SECRETS` (names that are credentials only as URL
query parameters) and `PROSE_VALUES` (words after a secret name that are about it).
"""

from __future__ import annotations

import re
from typing import Callable, Final, Optional

from autocapture._scrub._lazy import LazyPattern
from autocapture._scrub._shapes import Shape

__all__ = [
    "PROSE_VALUES",
    "QUERY_SECRETS",
    "Classify",
    "Span",
    "assignment_shapes",
    "assignment_span",
    "has_word_form_stem",
    "word_form_spans",
]

Span = tuple[int, int, str]  # start, end, rule
Classify = Callable[[str], Optional[str]]  # a name -> the secret it names, or None

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
# Nor does an ISO 8601 date and hour (`2024-05-14T10` in `2024-05-14T10:22:31Z`): its words
# are digits and `t`. Refused in the pattern, where the date starts the name, as each one
# otherwise costs a detour through `assignment_span` (a third of the scan of a prose text).
_ISO_HOUR: Final = "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:"
_NOT_ISO_HOUR_NAME: Final = rf"(?<![^A-Za-z0-9_.-]{_ISO_HOUR})(?<!^{_ISO_HOUR})"
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
_NEST_LIMIT: Final = 4096  # chars of a bracketed value scanned for its closing bracket
# pydantic's `[type=..., input_value=..., input_type=...]` (v2 error messages): the
# location line above names the field; pydantic cuts a long input's repr in the middle
# with `...`, which can drop the key in front of a secret.
_PYDANTIC_INPUT: Final = "input_value"
_PYDANTIC_INPUT_END: Final = ", input_type="
_LINE_RE: Final = LazyPattern(r"[ \t]{0,3}(?P<line>[^\r\n]{1,2048})")
_LINE_LABELS: Final = frozenset(("cookie", "cookies"))
_CLOSERS: Final = {")": "(", "]": "[", "}": "{", ">": "<"}


def assignment_shapes(*, digit_names: bool) -> tuple[Shape, ...]:
    """The separators of `name=value` forms, judged by `assignment_span`.

    Args:
        digit_names: Whether a name made of digits (and `t`) may name a secret: a user's
            extra key such as `1234` or `t`; then no name is refused in the pattern.
    """
    name = _ASSIGN_LOOKBEHIND if digit_names else _ASSIGN_LOOKBEHIND + _NOT_DIGIT_NAME
    colon = name if digit_names else name + _NOT_ISO_HOUR_NAME
    return (
        Shape(":", "assignment", colon, 0, edge=False, source="autocapture"),
        Shape("=", "assignment", name, 0, edge=False, source="autocapture"),
        Shape(">", "assignment", _TAG_LOOKBEHIND, 0, edge=False, source="autocapture"),
        Shape(",", "assignment", _PAIR_LOOKBEHIND, 0, edge=False, source="autocapture"),
    )


def assignment_span(text: str, sep: int, classify: Classify) -> Optional[Span]:  # noqa: C901, PLR0911
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
    label = classify(name)
    if label is None:
        if sep_char != "=":
            return None
        if name.endswith(_PYDANTIC_INPUT):
            return _pydantic_input(text, end, sep, classify)
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


def word_form_spans(text: str, classify: Classify, found: list[Span]) -> None:
    """Find `password Zq9x...` and `api_key is ...`: a secret name, then a random word."""
    for m in _WORD_FORM_RE.get().finditer(text):
        name_end = m.start()
        while name_end < m.end() and text[name_end] in _IDENT_CHARS:
            name_end += 1
        begin, low = m.start(), max(0, m.start() - 64)
        while begin > low and text[begin - 1] in _IDENT_CHARS:
            begin -= 1
        label = classify(text[begin:name_end].lstrip("-"))
        if label is None:
            continue
        span = _value_span(text, m.end(), "text_key:" + label)
        if span is not None and _looks_secret(text[span[0] : span[1]]):
            found.append(span)


def _pydantic_input(text: str, end: int, sep: int, classify: Classify) -> Optional[Span]:
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
            label = classify(part) if part else None
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
def has_word_form_stem(lowered: str) -> bool:
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
