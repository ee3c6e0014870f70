"""Words of identifiers: how inference reads ``snake_case``, ``camelCase`` and dotted names.

Nothing here imports another autocapture module.
"""

from __future__ import annotations

import functools

__all__ = ["phrase_key", "split_words"]


def _kind(char: str) -> str:
    """Classify one character: ``d`` digit, ``u`` uppercase, ``l`` other letter, ``""``."""
    if char.isdecimal():
        return "d"
    if char.isupper():
        return "u"
    if char.isalpha():
        return "l"
    return ""


@functools.lru_cache(maxsize=8192)
def split_words(name: str) -> tuple[str, ...]:
    """Split an identifier or a dotted path into lowercase words.

    Separators are every character that is neither a letter nor a digit (``_``, ``-``,
    ``.``, spaces, ``<``...). Inside a run, a word starts at a lower-to-upper change
    (``loginUser``), before the last capital of an acronym followed by a lowercase letter
    (``HTTPServer``) and at every letter/digit change (``Server2``).

    Args:
        name: Any string; non-identifier characters only separate words.

    Returns:
        The words, lowercased, e.g. ``'HTTPServer2'`` -> ``('http', 'server', '2')``.
    """
    words: list[str] = []
    current: list[str] = []
    previous = ""
    last = len(name) - 1
    for index, char in enumerate(name):
        kind = _kind(char)
        if not kind:
            if current:
                words.append("".join(current).lower())
                current = []
            previous = ""
            continue
        if current and (
            (kind == "d") != (previous == "d")
            or (previous == "l" and kind == "u")
            or (previous == "u" and kind == "u" and index < last and _kind(name[index + 1]) == "l")
        ):
            words.append("".join(current).lower())
            current = []
        current.append(char)
        previous = kind
    if current:
        words.append("".join(current).lower())
    return tuple(words)


def phrase_key(phrase: str | tuple[str, ...]) -> str:
    """Return the lexicon key of a word or phrase: its words joined without separator."""
    if isinstance(phrase, str):
        return "".join(split_words(phrase))
    return "".join("".join(split_words(part)) for part in phrase)
