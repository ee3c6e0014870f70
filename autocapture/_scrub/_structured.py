"""The walker's rarer values: objects, sets, namedtuples by their kind; `(name, value)` pairs.

`Walk.value` handles the common cases inline (str, int, dict, list, tuple, None, bool,
float) and hands everything else to `other`, which copies it by its kind
(`_objects.kind_of`, one handler per kind in `_BY_KIND`): structured objects field by
field (dataclasses, attrs, pydantic, namedtuples, plain `__dict__`), sets sorted, and
anything else by its one bounded `repr`. A type named like a secret (`SecretStr`,
`AccessToken`) is redacted whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from itertools import islice
from typing import TYPE_CHECKING, Any, Callable, Final, Optional

from autocapture._scrub._objects import (
    BOOL,
    BYTES,
    ENUM,
    FLOAT,
    INT,
    ISOFORMAT,
    MAPPING,
    NAMEDTUPLE,
    OBJECT,
    REPR,
    SEQUENCE,
    SET,
    STR,
    TEXT,
    bytes_marker,
    bytes_text,
    field_items,
    kind_of,
    more_items,
    raw_bytes,
    type_name,
)
from autocapture._scrub._options import (
    CYCLE_MARKER,
    KEEP,
    MAX_DEPTH_MARKER,
    MORE_ITEMS_KEY,
    REDACTED,
)

if TYPE_CHECKING:
    from autocapture._scrub._walker import Walk

__all__ = ["other", "pair_label", "scrub_pair"]


def other(walk: Walk, value: object, path: object, depth: int) -> Any:
    """Scrub the rarer kinds of values, by their kind (`_objects.kind_of`)."""
    kind = kind_of(type(value))
    if kind == OBJECT:
        try:
            found = field_items(value)
        except Exception:  # a hostile `__dict__`, field or descriptor: fall back to repr
            found = None
        if found is not None:
            return fields(walk, value, found[0], path, depth, typed=found[1])
        return walk.string(walk.repr(value), path)
    return _BY_KIND[kind](walk, value, path, depth)


def unordered(walk: Walk, value: AbstractSet[object], path: object, depth: int) -> Any:
    """Scrub a set into a list sorted by the scrubbed items' repr (deterministic)."""
    if depth >= walk.max_depth:
        return MAX_DEPTH_MARKER
    ident = id(value)
    if ident in walk.on_path:
        return CYCLE_MARKER
    walk.on_path.add(ident)
    try:
        track = walk.callback is not None
        items = list(islice(value, walk.max_items + 1))
        extra = len(items) > walk.max_items
        out = [
            walk.value(v, (path, i) if track else None, depth + 1)
            for i, v in enumerate(items[: walk.max_items])
        ]
        out.sort(key=repr)  # scrubbed items are plain data: repr is safe and cheap
        if extra:
            out.append(more_items(value, walk.max_items))
        return out
    finally:
        walk.on_path.discard(ident)


def fields(walk: Walk, value: object, pairs: Any, path: object, depth: int, *, typed: bool) -> Any:
    """Scrub an object's fields as a mapping (optionally tagged with `__type__`)."""
    if depth >= walk.max_depth:
        return MAX_DEPTH_MARKER
    ident = id(value)
    if ident in walk.on_path:
        return CYCLE_MARKER
    # A type named like a secret (`SecretStr`, `AccessToken`) is redacted whole.
    if walk.classify(type(value).__name__) is not None:
        answer = walk.ask(path, value, "key:" + str(walk.classify(type(value).__name__)))
        if answer is None:
            return REDACTED
    walk.on_path.add(ident)
    try:
        out: dict[str, Any] = {"__type__": type_name(value)} if typed else {}
        for count, (k, v) in enumerate(pairs):
            if count >= walk.max_items or walk.budget <= 0:
                out[MORE_ITEMS_KEY] = f"[... {len(pairs) - count} more items]"
                break
            key = k if type(k) is str else walk.key_str(k)
            walk.budget -= len(key)
            out[key] = walk.item(key, v, path, depth + 1)
        return out
    finally:
        walk.on_path.discard(ident)


def _namedtuple(walk: Walk, value: Any, path: object, depth: int) -> Any:
    return fields(walk, value, zip(type(value)._fields, value), path, depth, typed=False)


# How `other` copies each kind of value (`_objects.kind_of`) but OBJECT.
_BY_KIND: Final[dict[str, Callable[[Walk, Any, object, int], Any]]] = {
    ENUM: lambda walk, value, path, depth: walk.value(value.value, path, depth),
    STR: lambda walk, value, path, _depth: walk.string(str.__str__(value), path),
    BOOL: lambda _walk, value, _path, _depth: bool(value),
    INT: lambda walk, value, path, depth: walk.value(int.__index__(value), path, depth),
    FLOAT: lambda walk, value, path, depth: walk.value(float.__float__(value), path, depth),
    BYTES: lambda _walk, value, _path, _depth: bytes_marker(value),
    ISOFORMAT: lambda walk, value, path, _depth: walk.string(value.isoformat(), path),
    TEXT: lambda walk, value, path, _depth: walk.string(str(value), path),
    NAMEDTUPLE: _namedtuple,
    MAPPING: lambda walk, value, path, depth: walk.mapping(value, path, depth),
    SEQUENCE: lambda walk, value, path, depth: walk.sequence(value, path, depth),
    SET: unordered,
    REPR: lambda walk, value, path, _depth: walk.string(walk.repr(value), path),
}


def pair_label(walk: Walk, pair: Sequence[object]) -> Optional[str]:
    """The secret phrase a `(name, value)` pair's name names (`X-Api-Key`), or None."""
    if len(pair) != 2:  # noqa: PLR2004 - a pair
        return None
    name = pair[0]
    if type(name) is str:
        return walk.classify(name)
    if isinstance(name, (bytes, bytearray)):
        text = bytes_text(raw_bytes(name))
        return None if text is None else walk.classify(text)
    return None


def scrub_pair(walk: Walk, label: str, pair: Sequence[object], path: object, depth: int) -> Any:
    """Scrub a `(name, value)` pair whose name names a secret: the value is redacted."""
    if depth >= walk.max_depth:
        return MAX_DEPTH_MARKER
    ident = id(pair)
    if ident in walk.on_path:
        return CYCLE_MARKER
    walk.on_path.add(ident)
    try:
        track = walk.callback is not None
        name = walk.value(pair[0], (path, 0) if track else None, depth + 1)
        child = (path, 1) if track else None
        answer = walk.ask(child, pair[1], "key:" + label)
        if answer is not KEEP and walk.found is not None:
            walk.found.add_found(pair[1])
        if answer is None:
            walk.budget -= len(REDACTED)
            return [name, REDACTED]
        return [name, walk.value(pair[1] if answer is KEEP else answer, child, depth + 1)]
    finally:
        walk.on_path.discard(ident)
