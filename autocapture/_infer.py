"""Infer a decorated function's context type, operation and provider from its names.

Role in the package: the decorator calls :func:`infer` once per decorated function (and
again only when ``configure(rules=...)`` changed the rules) and :func:`context_fields` only
on the error path. Nothing here imports another autocapture module.

How a name is read:

1. :func:`split_words` turns ``snake_case``, ``camelCase``, ``PascalCase``, kebab, dots
   and digits into lowercase words.
2. The words are matched against a lexicon, longest match first, on whole words and on
   runs of up to a few adjacent words joined together (``api_key`` and ``apiKey`` both
   give the compound ``apikey``; ``OpenAI`` gives ``open`` + ``ai`` = ``openai``). A word
   is never searched *inside* another word, so ``tokenize`` is not ``token``.
3. Neutral phrases (``token_count``, ``cached_property``, ``database_url``...) are
   consumed by the longest match and signal nothing.
4. The context type: an explicit one wins; else the signals of the function name; else
   the module path, last segment first and, inside a segment, the rightmost signal first
   (module names are noun phrases whose head comes last: ``redis_cache`` is a cache).
   When the function name signals several types, the module path chooses among them, and
   failing that the first signal in reading order wins.
5. The operation: an explicit one wins; else the chosen type's operation table is read,
   then the general verb table. Each is read on the phrases of step 2, longest first, so
   a word inside a longer known phrase is no operation unless the table knows the whole
   phrase (``cache`` in ``cache_key``, ``count`` in ``token_count``). In reading order,
   the first operation wins, except that a phrase which is itself a signal of the chosen
   type (``cache``, ``checkout``, ``query``) yields to any other operation of the same
   table: it names the type more than the action (``cache_get`` -> ``get``,
   ``handle_checkout_webhook`` -> ``webhook``; ``cache_user`` -> ``set``).

Every table is data in :class:`Rules`; ``configure(rules=...)`` extends it through
:func:`merge_rules`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from autocapture._lexicon import Inference
from autocapture._names import split_words
from autocapture._rules import BUILTIN_CONTEXT_TYPES, DEFAULT_RULES, Rules, merge_rules

__all__ = [
    "BUILTIN_CONTEXT_TYPES",
    "DEFAULT_RULES",
    "Inference",
    "Rules",
    "context_fields",
    "infer",
    "merge_rules",
    "split_words",
]


def infer(
    module: str,
    function: str,
    rules: Rules = DEFAULT_RULES,
    *,
    context_type: str | None = None,
    operation: str | None = None,
) -> Inference:
    """Infer the context type, operation and provider of a function from its names.

    Priority for the type: explicit ``context_type`` > words of the function name > words
    of the outer qualname parts and of the module path (last segment first, rightmost
    signal first inside a segment). When the function name signals several types, the
    first of them that the module path names wins, else the first in reading order.
    Matching is on whole words and known compounds, never raw substrings. Results are
    memoised per ``rules``.

    Args:
        module: The module path, e.g. ``"app.services.openrouter_client"``.
        function: The function name or qualname, e.g. ``"make_request"``.
        rules: The rules to apply.
        context_type: An explicit context type; used as given.
        operation: An explicit operation; used as given.

    Returns:
        The inference.

    Raises:
        TypeError: A name, the explicit type or the explicit operation is not a string.
    """
    for label, value in (("module", module), ("function", function)):
        if not isinstance(value, str):
            raise TypeError(f"{label} must be a str, got {type(value).__name__} {value!r}")
    for label, option in (("context_type", context_type), ("operation", operation)):
        if option is not None and not isinstance(option, str):
            raise TypeError(
                f"{label} must be a str or None, got {type(option).__name__} {option!r}"
            )
    return rules._compiled.infer(module, function, context_type, operation)  # noqa: SLF001


# --------------------------------------------------------------------------- context fields


def _is_scalar(value: object) -> bool:
    # Context fields are identifiers and amounts; containers stay in the arguments.
    return isinstance(value, (str, int, float)) and not isinstance(value, bool)


def _best_values(
    sources: list[dict[str, Any]], index: dict[str, tuple[tuple[str, int], ...]]
) -> dict[str, tuple[int, int, Any]]:
    # Walk the (few) argument names rather than the (many) aliases: the winner of a field
    # is its first source, then its first alias, as the table orders them.
    best: dict[str, tuple[int, int, Any]] = {}
    for number, source in enumerate(sources):
        for name, candidate in source.items():
            hits = index.get(name)
            if hits is None or not _is_scalar(candidate):
                continue
            for key, rank in hits:
                current = best.get(key)
                if current is None or (number, rank) < current[:2]:
                    best[key] = (number, rank, candidate)
    return best


@functools.lru_cache(maxsize=256)
def _alias_index(
    table: tuple[tuple[str, tuple[str, ...]], ...],
) -> dict[str, tuple[tuple[str, int], ...]]:
    index: dict[str, list[tuple[str, int]]] = {}
    for key, aliases in table:
        for rank, alias in enumerate(aliases):
            index.setdefault(alias, []).append((key, rank))
    return {alias: tuple(hits) for alias, hits in index.items()}


@functools.lru_cache(maxsize=4096)
def _normal_name(name: str) -> str:
    # Argument names repeat on every failure of the same function: join their words once.
    return "_".join(split_words(name))


def _normalised(arguments: Mapping[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, value in arguments.items():
        if type(name) is str:
            found.setdefault(_normal_name(name), value)
    return found


def context_fields(
    context_type: str,
    arguments: Mapping[str, Any],
    *,
    provider: str | None = None,
    operation: str | None = None,
    rules: Rules = DEFAULT_RULES,
) -> dict[str, Any]:
    """Collect the well-known fields of ``context_type`` from the bound arguments.

    Argument names are compared on words (``modelId`` is ``model_id``). Each field takes
    the first alias found at the top level, then inside the arguments that are mappings
    (a request object the scrubber turned into a dict). Only scalar values (str, int,
    float) are taken. A database ``record_id`` falls back to the only top-level ``*_id``
    argument (``get_user(user_id)``). Custom types have no fields unless ``rules.fields``
    lists some.

    Args:
        context_type: The context type of the event.
        arguments: The bound, already scrubbed arguments.
        provider: The inferred service name (``Inference.provider``); the default of the
            type's service field (``provider``, or ``cache_type`` for a cache).
        operation: The inferred operation; the default of the ``operation`` field.
        rules: The rules whose field tables apply.

    Returns:
        Field -> value, in the type's field order; fields without a value are left out.
    """
    compiled = rules._compiled  # noqa: SLF001
    table = compiled.field_keys.get(context_type)
    if not table:
        return {}
    top = _normalised(arguments)
    sources = [top]
    sources.extend(
        _normalised(value) for value in arguments.values() if isinstance(value, Mapping)
    )
    defaults: dict[str, str | None] = {"operation": operation}
    service_field = rules.provider_field.get(context_type)
    if service_field is not None:
        defaults[service_field] = provider
    best = _best_values(sources, _alias_index(table))
    found: dict[str, Any] = {}
    for key, _ in table:
        chosen = best.get(key)
        value = chosen[2] if chosen is not None else None
        if value is None and key == "record_id":
            ids = [name for name in top if name.endswith("_id") and _is_scalar(top[name])]
            if len(ids) == 1:
                value = top[ids[0]]
        if value is None:
            value = defaults.get(key)
        if value is not None:
            found[key] = value
    return found
