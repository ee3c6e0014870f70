"""The error path's memos decide exactly what the work they save would have decided.

Each memo (the context fields' layout of a function's arguments, the printed forms of a
secret, the callers' frames) is checked against the plain computation it replaces, on
generated inputs, and across repeated failures whose values change.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, quote_plus

from hypothesis import given
from hypothesis import strategies as st

from autocapture._infer import DEFAULT_RULES, context_fields, split_words
from autocapture._once import (
    _SENT_TO_SENTRY as _SENT,
)
from autocapture._once import (
    captured_event_id,
    event_ids,
    mark_captured,
    mark_sent_to_sentry,
    sentry_event_id,
)
from autocapture._scrub import EventSecrets
from autocapture._stack import MAX_CALLERS, caller_frames, raw_callers, resolve

# ----------------------------------------------------------------- context fields' layout


def _reference_fields(  # noqa: C901, PLR0912 - the old code, kept whole
    context_type: str,
    arguments: Mapping[str, Any],
    *,
    provider: str | None = None,
    operation: str | None = None,
) -> dict[str, Any]:
    # The matching as it was before the layout memo: every name normalised and matched
    # against the aliases at every call.
    def scalar(value: object) -> bool:
        return isinstance(value, (str, int, float)) and not isinstance(value, bool)

    def normalised(mapping: Mapping[str, Any]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for name, value in mapping.items():
            if type(name) is str:
                found.setdefault("_".join(split_words(name)), value)
        return found

    rules = DEFAULT_RULES
    table = rules._compiled.field_keys.get(context_type)
    if not table:
        return {}
    top = normalised(arguments)
    sources = [top, *(normalised(v) for v in arguments.values() if isinstance(v, Mapping))]
    index: dict[str, list[tuple[str, int]]] = {}
    for key, aliases in table:
        for rank, alias in enumerate(aliases):
            index.setdefault(alias, []).append((key, rank))
    best: dict[str, tuple[int, int, Any]] = {}
    for number, source in enumerate(sources):
        for name, candidate in source.items():
            if name not in index or not scalar(candidate):
                continue
            for key, rank in index[name]:
                if key not in best or (number, rank) < best[key][:2]:
                    best[key] = (number, rank, candidate)
    defaults: dict[str, Any] = {"operation": operation}
    service_field = rules.provider_field.get(context_type)
    if service_field is not None:
        defaults[service_field] = provider
    found: dict[str, Any] = {}
    for key, _ in table:
        value = best[key][2] if key in best else None
        if value is None and key == "record_id":
            ids = [n for n in top if n.endswith("_id") and scalar(top[n])]
            if len(ids) == 1:
                value = top[ids[0]]
        if value is None:
            value = defaults.get(key)
        if value is not None:
            found[key] = value
    return found


# Names that hit the aliases (in several spellings), and some that do not.
_NAMES = st.sampled_from(
    [
        "model", "modelId", "model_id", "model_name", "provider", "provider_name",
        "request_id", "X-Request-Id", "req_id", "endpoint", "url", "base_url", "table",
        "table_name", "record_id", "pk", "id", "user_id", "org_id", "uid", "username",
        "amount", "cost", "currency", "key", "cache_key", "cacheKey", "backend",
        "operation", "messages", "api_key", "limit", "row_id", "gateway",
    ]
)  # fmt: skip
_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=False),
    st.sampled_from(["gpt-4o", "users", "r-1", "[REDACTED]", ""]), st.just([1, 2]),
)  # fmt: skip
_ARGUMENTS = st.dictionaries(
    _NAMES, st.one_of(_VALUES, st.dictionaries(_NAMES, _VALUES, max_size=4)), max_size=8
)
_TYPES = st.sampled_from(["provider", "database", "payment", "auth", "cache", "general", "x"])


@given(
    _TYPES,
    st.lists(_ARGUMENTS, min_size=1, max_size=4),
    st.sampled_from([None, "openrouter"]),
    st.sampled_from([None, "insert"]),
)
def test_context_fields_are_those_of_the_plain_matching(
    context_type: str,
    calls: list[dict[str, Any]],
    provider: str | None,
    operation: str | None,
) -> None:
    """Failures with the same names and other values: each gets the fields of its own."""
    for arguments in calls:  # a layout seen before is served from the memo
        for values in (arguments, dict.fromkeys(arguments), arguments):
            expected = _reference_fields(
                context_type, values, provider=provider, operation=operation
            )
            assert expected == context_fields(
                context_type, values, provider=provider, operation=operation
            )


def test_context_fields_follow_the_values_of_the_same_layout() -> None:
    """One function failing with a scalar, then a container, under the same name."""
    assert context_fields("provider", {"model": "a", "modelId": "b"}) == {"model": "a"}
    assert context_fields("provider", {"model": ["a"], "modelId": "b"}) == {"model": "b"}
    # One name in two spellings: the first spelling is the name's value, scalar or not.
    assert context_fields("provider", {"model_id": "a", "modelId": "b"}) == {"model": "a"}
    assert context_fields("provider", {"model_id": ["a"], "modelId": "b"}) == {}
    assert context_fields("database", {"user_id": 1, "org_id": [2]}) == {"record_id": 1}
    assert context_fields("database", {"user_id": 1, "org_id": 2}) == {}


# --------------------------------------------------------------------- a secret's forms


def _reference_forms(text: str) -> set[str]:
    return {
        text,
        quote(text, safe=""),
        quote_plus(text, safe=""),
        quote(text),
        json.dumps(text)[1:-1],
        repr(text)[1:-1],
    }


@given(st.text(min_size=6, max_size=40).filter(lambda t: t == t.strip()))
def test_a_secret_is_redacted_in_every_printed_form(secret: str) -> None:
    """Printed as is, URL-encoded or escaped, a known secret never shows."""
    known = EventSecrets()
    known.add(secret)
    if secret not in known.values:
        return  # a marker or a scheme word: not a secret
    for form in _reference_forms(secret):
        assert known.contains(f"<{form}>")
        assert form not in known.scrub_text(f"<{form}>").replace("[REDACTED]", "\0")


# ------------------------------------------------------------------------- the claim


def _failure(message: str) -> ValueError:
    try:
        raise ValueError(message)
    except ValueError as exc:
        return exc


def test_event_ids_read_once_are_those_of_the_chain_walks() -> None:
    """A lone exception, one with a reported cause, a group: the same ids either way."""
    lone, marked, cause = _failure("a"), _failure("b"), _failure("c")
    mark_captured(marked, "1" * 32)
    mark_sent_to_sentry(marked, "2" * 32)
    mark_captured(cause, "3" * 32)
    wrapper = _failure("d")
    wrapper.__cause__ = cause
    members = [_failure("e"), _failure("f")]
    for member in members:
        mark_sent_to_sentry(member, "4" * 32)
    group = ExceptionGroup("g", members)  # type: ignore[name-defined]  # noqa: F821
    broken = _failure("h")
    broken.__dict__[_SENT] = 7  # not a str: no mark
    for exc in (lone, marked, wrapper, group, broken):
        assert event_ids(exc) == (captured_event_id(exc), sentry_event_id(exc))
    assert event_ids(marked) == ("1" * 32, "2" * 32)
    assert event_ids(wrapper) == ("3" * 32, None)
    assert event_ids(group) == (None, "4" * 32)
    assert event_ids(broken) == (None, None)


# ------------------------------------------------------------------------- the callers


def _callers_both_ways(depth: int) -> tuple[object, object]:
    if depth:
        return _callers_both_ways(depth - 1)
    try:
        raise ValueError("x")
    except ValueError as exc:
        return caller_frames(exc), resolve(raw_callers(exc))


def test_callers_taken_raw_resolve_to_those_read_from_the_frames() -> None:
    """The line looked up later from the code and offset is the frame's own line."""
    for depth in (0, 1, 40):
        now, later = _callers_both_ways(depth)
        assert now == later


def test_callers_taken_raw_are_bounded_like_the_callers() -> None:
    """At most MAX_CALLERS, the innermost ones."""
    now, later = _callers_both_ways(MAX_CALLERS + 10)
    assert len(later) == MAX_CALLERS  # type: ignore[arg-type]
    assert now == later
