"""The compiled form of inference rules: lexicons, the scanner, and the memo of results.

``Rules`` (in ``_rules``) holds the tables as data; ``Compiled`` derives the lookup tables
from them once, when a ``Rules`` is first used (not at import), and memoises what it
infers for each name.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Optional

from autocapture._names import phrase_key, split_words

if TYPE_CHECKING:
    from autocapture._rules import Rules

__all__ = ["Compiled", "Inference"]

_MEMO_SIZE: Final = 4096

_Entry = tuple[Optional[str], Optional[str]]
"""A lexicon entry: (context type or None for a neutral phrase, known service name)."""


@dataclass(frozen=True)
class Inference:
    """What the names of a function say about it."""

    context_type: str
    """The context type: explicit, or inferred (``"general"`` when nothing matched)."""
    operation: str | None
    """The operation: explicit, or inferred from the function name; None when unknown."""
    provider: str | None
    """The known service of the context type named in the function, class or module name
    (``app.services.openrouter_client`` -> ``"openrouter"``, ``stripe_service`` ->
    ``"stripe"``, ``redis_cache`` -> ``"redis"``); None when none is named."""


class Compiled:
    """Lookup tables derived from a :class:`Rules`, plus the memo of its inferences."""

    __slots__ = (
        "field_keys",
        "fingerprint",
        "function_lexicon",
        "infer",
        "module_lexicon",
        "operations",
        "span",
    )

    def __init__(self, rules: Rules) -> None:
        lexicon = _lexicon(rules)
        self.module_lexicon: Mapping[str, _Entry] = lexicon
        module_only = {phrase_key(word) for word in rules.module_only}
        self.function_lexicon: Mapping[str, _Entry] = {
            key: entry for key, entry in lexicon.items() if key not in module_only
        }
        self.operations: Mapping[str, Mapping[str, str]] = {
            name: {phrase_key(word): op for word, op in ops.items() if phrase_key(word)}
            for name, ops in rules.operations.items()
        }
        self.span = _span(rules)
        self.field_keys: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
            name: tuple(
                (key, tuple("_".join(split_words(alias)) for alias in aliases))
                for key, aliases in table.items()
            )
            for name, table in rules.fields.items()
        }
        self.fingerprint = _fingerprint(rules)
        # One memo per Rules: a new configuration starts afresh and the old one is freed
        # together with its Rules.
        self.infer = functools.lru_cache(maxsize=_MEMO_SIZE)(self._infer)

    def _infer(
        self,
        module: str,
        function: str,
        context_type: str | None,
        operation: str | None,
    ) -> Inference:
        # A qualname's outer parts (class, enclosing function) are context like a module
        # segment; "<locals>" and "<lambda>" say nothing.
        parts = [part for part in function.split(".") if part and not part.startswith("<")]
        name_words = split_words(parts[-1]) if parts and not function.endswith(">") else ()
        own = _scan(name_words, self.function_lexicon, self.span)
        outer = [*reversed(parts[:-1]), *reversed(module.split("."))]
        around = [
            entry
            for segment in outer
            for entry in reversed(_scan(split_words(segment), self.module_lexicon, self.span))
        ]
        chosen = context_type
        if chosen is None:
            candidates = list(dict.fromkeys(kind for kind, _ in own))
            if len(candidates) == 1:
                chosen = candidates[0]
            elif candidates:
                chosen = next((kind for kind, _ in around if kind in candidates), candidates[0])
            else:
                chosen = next((kind for kind, _ in around), "general")
        service = next(
            (name for kind, name in (*own, *around) if kind == chosen and name is not None),
            None,
        )
        if operation is None:
            operation = self._operation(name_words, chosen)
        return Inference(context_type=chosen, operation=operation, provider=service)

    def _operation(self, words: tuple[str, ...], context_type: str) -> str | None:
        general = self.operations.get("general", {})
        for table in (self.operations.get(context_type, general), general):
            found = _read_operation(words, table, self.function_lexicon, self.span, context_type)
            if found is not None:
                return found
        return None


def _lexicon(rules: Rules) -> dict[str, _Entry]:
    """Map every signal's key to its entry; later tables win over earlier ones."""
    lexicon: dict[str, _Entry] = {}
    for phrase in rules.neutral:
        lexicon[phrase_key(phrase)] = (None, None)
    for name, words in rules.context_words.items():
        for word in words:
            lexicon[phrase_key(word)] = (name, None)
    for name, phrases in rules.compounds.items():
        for phrase in phrases:
            lexicon[phrase_key(phrase)] = (name, None)
    for service, name in rules.providers.items():
        lexicon[phrase_key(service)] = (name, service)
    for alias, service in rules.provider_aliases.items():
        if service in rules.providers:
            lexicon[phrase_key(alias)] = (rules.providers[service], service)
    lexicon.pop("", None)
    return lexicon


def _span(rules: Rules) -> int:
    """Return how many adjacent words a lookup may join: enough for the longest phrase.

    At least 3, so that single-word signals also match when written as up to three words
    (``open_router``, ``rabbit_m_q``).
    """
    longest = [len(phrase) for phrase in rules.neutral]
    for phrases in rules.compounds.values():
        longest.extend(len(phrase) for phrase in phrases)
    for ops in rules.operations.values():
        longest.extend(len(split_words(word)) for word in ops)
    return max([3, *longest])


def _fingerprint(rules: Rules) -> int:
    """Hash the content of ``rules``, order-independently like its equality."""
    return hash(
        (
            frozenset(rules.context_words.items()),
            frozenset(rules.compounds.items()),
            rules.neutral,
            frozenset((k, frozenset(v.items())) for k, v in rules.operations.items()),
            frozenset(rules.providers.items()),
            frozenset(rules.provider_aliases.items()),
            rules.module_only,
            frozenset((k, frozenset(v.items())) for k, v in rules.fields.items()),
            frozenset(rules.provider_field.items()),
        )
    )


def _scan(
    words: tuple[str, ...], lexicon: Mapping[str, _Entry], span: int
) -> list[tuple[str, str | None]]:
    """Return the signals of ``words`` in reading order, longest match first."""
    found: list[tuple[str, str | None]] = []
    index = 0
    count = len(words)
    while index < count:
        for size in range(min(span, count - index), 0, -1):
            entry = lexicon.get("".join(words[index : index + size]))
            if entry is not None:
                kind, service = entry
                if kind is not None:
                    found.append((kind, service))
                index += size
                break
        else:
            index += 1
    return found


def _read_operation(
    words: tuple[str, ...],
    table: Mapping[str, str],
    lexicon: Mapping[str, _Entry],
    span: int,
    context_type: str,
) -> str | None:
    """Return the operation ``table`` reads in ``words``, on the phrases of the signals.

    Phrases are cut longest first from ``table`` and ``lexicon`` together, so a lexicon
    phrase that ``table`` does not know hides its words. The first operation in reading
    order wins, unless its phrase signals ``context_type``: such a phrase is the answer
    only when no other operation is found.
    """
    fallback: str | None = None
    index = 0
    count = len(words)
    while index < count:
        for size in range(min(span, count - index), 0, -1):
            key = "".join(words[index : index + size])
            found = table.get(key)
            entry = lexicon.get(key)
            if found is None and entry is None:
                continue
            if found is not None and (entry is None or entry[0] != context_type):
                return found
            if fallback is None:
                fallback = found
            index += size
            break
        else:
            index += 1
    return fallback
