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


# Where each field's value comes from, for one layout of the arguments: the names a
# function's arguments have (and the keys of those that are mappings) are the same at
# every failure of it, so the alias matching is done once per layout, and a failure only
# picks, per field, the first candidate whose value is a scalar. Keyed by the alias
# table's id (the entry holds the table, so the id is not reused meanwhile).
_Candidates = tuple[tuple[int, str], ...]  # (source, argument name), best first
_Layout = tuple[
    tuple[tuple[str, tuple[str, ...]], ...],  # the table the entry is for
    tuple[tuple[str, _Candidates], ...],  # per field, in table order
    tuple[str, ...],  # the top-level names that read as a ``*_id`` (record_id's fallback)
]
_LAYOUTS: dict[tuple[Any, ...], _Layout] = {}
# What scrubbed arguments are made of besides dicts: an ABC check costs more than the
# rest of a field's lookup.
_NOT_MAPPINGS = frozenset((str, int, float, bool, list, type(None)))
_LAYOUTS_MAX = 1024


def _first_scalar(sources: list[Mapping[str, Any]], candidates: _Candidates) -> Any:
    for number, name in candidates:
        candidate = sources[number][name]
        if _is_scalar(candidate):
            return candidate
    return None


def _layout_of(
    table: tuple[tuple[str, tuple[str, ...]], ...], arguments: Mapping[str, Any]
) -> tuple[list[Mapping[str, Any]], _Layout]:
    # The sources (the arguments, then those that are mappings) and their memoised layout.
    sources: list[Mapping[str, Any]] = [arguments]
    shape: list[tuple[Any, ...]] = [tuple(arguments)]
    for value in arguments.values():
        kind = type(value)
        if kind is dict or (kind not in _NOT_MAPPINGS and isinstance(value, Mapping)):
            sources.append(value)
            shape.append(tuple(value))
    layout_key = (id(table), *shape)
    layout = _LAYOUTS.get(layout_key)
    if layout is None or layout[0] is not table:
        layout = _plan_layout(table, tuple(shape))
        if len(_LAYOUTS) >= _LAYOUTS_MAX:
            _LAYOUTS.clear()  # bounded, lock-free: a miss only costs the matching again
        _LAYOUTS[layout_key] = layout
    return sources, layout


def _plan_layout(
    table: tuple[tuple[str, tuple[str, ...]], ...], sources: tuple[tuple[Any, ...], ...]
) -> _Layout:
    # The same decisions as reading every source's normalised names against the aliases:
    # a field takes the earliest source, then the earliest alias of the table; a name is
    # read once per source (its first spelling: ``modelId`` before ``model_id``).
    index = _alias_index(table)
    candidates: dict[str, list[tuple[int, int, int, str]]] = {}
    ids: list[str] = []
    for number, names in enumerate(sources):
        seen: set[str] = set()
        for order, name in enumerate(names):
            if type(name) is not str:
                continue
            normal = _normal_name(name)
            if normal in seen:
                continue
            seen.add(normal)
            if number == 0 and normal.endswith("_id"):
                ids.append(name)
            for key, rank in index.get(normal, ()):
                candidates.setdefault(key, []).append((number, rank, order, name))
    fields = tuple(
        (key, tuple((c[0], c[3]) for c in sorted(candidates.get(key, ())))) for key, _ in table
    )
    return table, fields, tuple(ids)


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
    sources, (_, fields, ids) = _layout_of(table, arguments)
    service_field = rules.provider_field.get(context_type)
    found: dict[str, Any] = {}
    for key, candidates in fields:
        value = _first_scalar(sources, candidates)
        if value is None and key == "record_id":
            scalar_ids = [name for name in ids if _is_scalar(arguments[name])]
            if len(scalar_ids) == 1:
                value = arguments[scalar_ids[0]]
        if value is None:  # the service field's default wins, as a dict of defaults had it
            if key == service_field:
                value = provider
            elif key == "operation":
                value = operation
        if value is not None:
            found[key] = value
    return found
