"""Inference rules as data (``Rules``), the built-in ones, and extending them.

The tables themselves are in ``_signal_words`` and ``_operation_words``; ``Rules`` freezes
them, and compiles its lexicons the first time it is used, so importing autocapture
compiles nothing.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Final

from autocapture import _operation_words, _signal_words
from autocapture._context_types import BUILTIN_CONTEXT_TYPES
from autocapture._lexicon import Compiled
from autocapture._names import phrase_key, split_words

__all__ = ["BUILTIN_CONTEXT_TYPES", "DEFAULT_RULES", "Rules", "merge_rules"]

_TYPE_NAME: Final = re.compile(r"[a-z][a-z0-9_]*\Z")


def _freeze_words(data: Mapping[str, Iterable[str]]) -> Mapping[str, frozenset[str]]:
    return MappingProxyType({name: frozenset(words) for name, words in data.items()})


def _freeze_compounds(
    data: Mapping[str, Iterable[tuple[str, ...]]],
) -> Mapping[str, frozenset[tuple[str, ...]]]:
    return MappingProxyType(
        {name: frozenset(tuple(phrase) for phrase in phrases) for name, phrases in data.items()}
    )


@dataclass(frozen=True)
class Rules:
    """Inference rules as data: which words signal which context type and operation.

    Build variants with :func:`merge_rules` (what ``configure(rules=...)`` does) or with
    ``dataclasses.replace(DEFAULT_RULES, ...)`` to override any table. Mappings are
    frozen on construction, so a ``Rules`` never changes once made.
    """

    context_words: Mapping[str, frozenset[str]]
    """Per context type, the single words that signal it (``"redis"`` -> cache)."""
    compounds: Mapping[str, frozenset[tuple[str, ...]]]
    """Per context type, multi-word signals (``("api", "key")`` -> auth)."""
    neutral: frozenset[tuple[str, ...]]
    """Phrases that signal nothing and hide their words (``("token", "count")``)."""
    operations: Mapping[str, Mapping[str, str]]
    """Per context type, word or snake_case phrase -> canonical operation; ``"general"``
    holds the verb table used when the type's own table has no match."""
    providers: Mapping[str, str]
    """Known service names -> the context type they signal (``"openrouter"`` -> provider,
    ``"stripe"`` -> payment, ``"redis"`` -> cache)."""
    provider_aliases: Mapping[str, str]
    """Other spellings of a known service -> its name (``"togetherai"`` -> together)."""
    module_only: frozenset[str]
    """Service names that are everyday words: they count only in module and class names."""
    fields: Mapping[str, Mapping[str, tuple[str, ...]]]
    """Per context type, event field -> argument names carrying it, best first."""
    provider_field: Mapping[str, str]
    """Per context type, the field that the inferred service name fills by default."""

    def __post_init__(self) -> None:
        """Freeze every table (the lexicons are compiled at first use)."""
        freeze = object.__setattr__  # a frozen dataclass normalising its own fields
        freeze(self, "context_words", _freeze_words(self.context_words))
        freeze(self, "compounds", _freeze_compounds(self.compounds))
        freeze(self, "neutral", frozenset(tuple(phrase) for phrase in self.neutral))
        freeze(
            self,
            "operations",
            MappingProxyType(
                {name: MappingProxyType(dict(ops)) for name, ops in self.operations.items()}
            ),
        )
        freeze(self, "providers", MappingProxyType(dict(self.providers)))
        freeze(self, "provider_aliases", MappingProxyType(dict(self.provider_aliases)))
        freeze(self, "module_only", frozenset(self.module_only))
        freeze(
            self,
            "fields",
            MappingProxyType(
                {
                    name: MappingProxyType({key: tuple(names) for key, names in table.items()})
                    for name, table in self.fields.items()
                }
            ),
        )
        freeze(self, "provider_field", MappingProxyType(dict(self.provider_field)))

    @functools.cached_property
    def _compiled(self) -> Compiled:
        # At first use, not at import: most processes infer a few names, late, if ever.
        return Compiled(self)

    def __hash__(self) -> int:
        """Hash by content, consistent with the field-wise equality."""
        return self._compiled.fingerprint

    @property
    def context_types(self) -> tuple[str, ...]:
        """All context types these rules know: the built-in ones and every custom one."""
        names = set(BUILTIN_CONTEXT_TYPES)
        names.update(self.context_words, self.compounds, self.operations, self.fields)
        names.update(self.providers.values())
        return tuple(sorted(names))


DEFAULT_RULES: Final[Rules] = Rules(
    context_words={name: frozenset(words) for name, words in _signal_words.CONTEXT_WORDS.items()},
    compounds={name: frozenset(phrases) for name, phrases in _signal_words.COMPOUNDS.items()},
    neutral=frozenset(_signal_words.NEUTRAL),
    operations=_operation_words.OPERATIONS,
    providers=_signal_words.PROVIDERS,
    provider_aliases=_signal_words.PROVIDER_ALIASES,
    module_only=frozenset(_signal_words.MODULE_ONLY),
    fields=_operation_words.FIELDS,
    provider_field=_operation_words.PROVIDER_FIELD,
)
"""The built-in rules (see the module docstring and the comments on the tables)."""


def merge_rules(base: Rules, extra: Mapping[str, Iterable[str]]) -> Rules:
    """Return ``base`` extended with more signal words per context type.

    A new key adds a context type recognised by its words; an existing key extends that
    type's words. A word given with separators or capitals (``"rabbit_mq"``,
    ``"RabbitMQ"``) is a compound of its words. A word belongs to one type only: a word
    already known elsewhere (another type, a neutral phrase) moves to the type named here,
    because the user's rule is the more specific one.

    Args:
        base: The rules to extend (never modified).
        extra: Context type -> iterable of words, e.g. ``{"queue": ["kafka", "enqueue"]}``.

    Returns:
        The merged rules.

    Raises:
        TypeError: ``extra`` is not a mapping, a key is not a string, a value is a string
            or not iterable, or a word is not a string.
        ValueError: A key is not a lowercase identifier or is ``"general"``, or a word is
            empty or has no letter or digit.
    """
    if not isinstance(extra, Mapping):
        raise TypeError(
            "rules must be a mapping of context type -> iterable of words, e.g. "
            f'{{"queue": ["kafka", "enqueue"]}}; got {type(extra).__name__} {extra!r}'
        )
    additions: dict[str, list[tuple[str, ...]]] = {}
    for name, values in extra.items():
        _check_type_name(name)
        additions[name] = [_check_word(name, word) for word in _check_words(name, values)]
    words = {name: set(found) for name, found in base.context_words.items()}
    compounds = {name: set(found) for name, found in base.compounds.items()}
    neutral = set(base.neutral)
    providers = dict(base.providers)
    aliases = dict(base.provider_aliases)
    module_only = set(base.module_only)
    for name, phrases in additions.items():
        words.setdefault(name, set())
        for phrase in phrases:
            key = "".join(phrase)
            for found in words.values():
                found.difference_update({word for word in found if phrase_key(word) == key})
            for found_phrases in compounds.values():
                found_phrases.difference_update(
                    {other for other in found_phrases if phrase_key(other) == key}
                )
            neutral.difference_update({other for other in neutral if phrase_key(other) == key})
            module_only.difference_update(
                {other for other in module_only if phrase_key(other) == key}
            )
            aliases = {
                alias: service for alias, service in aliases.items() if phrase_key(alias) != key
            }
            for service in [service for service in providers if phrase_key(service) == key]:
                providers[service] = name
            if len(phrase) == 1:
                words[name].add(phrase[0])
            else:
                compounds.setdefault(name, set()).add(phrase)
    return replace(
        base,
        context_words={name: frozenset(found) for name, found in words.items()},
        compounds={name: frozenset(found) for name, found in compounds.items()},
        neutral=frozenset(neutral),
        providers=providers,
        provider_aliases=aliases,
        module_only=frozenset(module_only),
    )


def _check_type_name(name: object) -> None:
    if not isinstance(name, str):
        raise TypeError(
            "rules keys are context type names (str), e.g. 'queue'; "
            f"got {type(name).__name__} {name!r}"
        )
    if not _TYPE_NAME.match(name):
        raise ValueError(
            f"rules key {name!r} is not a valid context type name: use a lowercase "
            "identifier (letters, digits, '_', starting with a letter), e.g. 'queue'"
        )
    if name == "general":
        allowed = ", ".join(kind for kind in BUILTIN_CONTEXT_TYPES if kind != "general")
        raise ValueError(
            "rules key 'general' is not allowed: 'general' is the fallback when no other "
            f"type matches and has no words; allowed keys are {allowed} or a new lowercase "
            "identifier"
        )


def _check_words(name: str, values: object) -> list[object]:
    if isinstance(values, (str, bytes)):
        raise TypeError(
            f"rules[{name!r}] must be an iterable of words, not a single "
            f"{type(values).__name__} {values!r}; write [{values!r}]"
        )
    if not isinstance(values, Iterable):
        raise TypeError(
            f"rules[{name!r}] must be an iterable of words (str), e.g. ['kafka']; "
            f"got {type(values).__name__} {values!r}"
        )
    return list(values)


def _check_word(name: str, word: object) -> tuple[str, ...]:
    if not isinstance(word, str):
        raise TypeError(
            f"rules[{name!r}] must contain words (non-empty str); "
            f"got {type(word).__name__} {word!r}"
        )
    phrase = split_words(word)
    if not phrase:
        raise ValueError(
            f"rules[{name!r}] contains {word!r}, which has no letter or digit; "
            "words must be non-empty strings such as 'kafka' or 'dead_letter'"
        )
    return phrase
