"""What kind of value the walker holds, read without running user code.

The walker copies a value by its kind (`kind_of`): a scalar by its data, a container
that holds its items item by item, a structured object field by field (`field_items`),
and anything else by its one bounded `repr`. The tables here are data a contributor can
extend without reading the walker: `_BY_BASE` (base classes and their kind),
`_WALKABLE_MODULES` (libraries whose Mapping/Sequence types hold their items, so that
iterating them runs no query) and `_OPAQUE` (types shown by their repr).
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import decimal
import enum
import functools
import hashlib
import os
import types
import uuid
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from pathlib import PurePath
from typing import Any, Final, Optional, Union

__all__ = [
    "BOOL",
    "BYTES",
    "ENUM",
    "FLOAT",
    "INT",
    "ISOFORMAT",
    "MAPPING",
    "NAMEDTUPLE",
    "OBJECT",
    "REPR",
    "SEQUENCE",
    "SET",
    "STR",
    "TEXT",
    "bytes_key",
    "bytes_marker",
    "bytes_text",
    "field_items",
    "flat_path",
    "kind_of",
    "more_items",
    "raw_bytes",
    "safe_repr",
    "type_name",
    "unique_key",
    "walkable",
]

_BYTES_KEY_TEXT: Final = 256  # a bytes key up to this size is used as its text if UTF-8
# Keys the hash of a binary mapping key, so the marker cannot be matched against guesses.
_BYTES_KEY_SALT: Final = os.urandom(16)


def type_name(obj: object) -> str:
    """`module.QualName` of an object's type, without calling user code."""
    cls = type(obj)
    module = getattr(cls, "__module__", None)
    qualname = getattr(cls, "__qualname__", None) or getattr(cls, "__name__", "object")
    if isinstance(module, str) and module != "builtins":
        return f"{module}.{qualname}"
    return str(qualname)


def safe_repr(obj: object, limit: int) -> str:
    """`repr(obj)` cut to `limit` chars, or an `<unrepresentable T>` marker if it fails."""
    try:
        text = repr(obj)
    except Exception:
        return f"<unrepresentable {type_name(obj)}>"
    return text[:limit]


_OPAQUE: Final = (
    type,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    types.ModuleType,
    functools.partial,
    BaseException,
)


_PLAIN_MAPPINGS: Final = frozenset((types.MappingProxyType, collections.ChainMap))
_PLAIN_SEQUENCES: Final = frozenset((collections.deque, range))
# Libraries whose Mapping/Sequence types hold their items (headers, multidicts, forms).
_WALKABLE_MODULES: Final = (
    "autocapture.",
    "collections",
    "starlette.",
    "werkzeug.",
    "multidict",
    "requests.",
    "httpx",
    "aiohttp",
    "django.http",
    "django.utils.datastructures",
    "email.",
    "http.",
    "urllib3.",
    "pydantic",
    "typing",
    "builtins",
)


def walkable(cls: type) -> bool:
    """Tell whether a container type holds its items (so iterating runs no query)."""
    module = cls.__dict__.get("__module__") or getattr(cls, "__module__", "")
    return isinstance(module, str) and (
        module.startswith(_WALKABLE_MODULES) or module in ("collections", "types")
    )


def raw_bytes(value: Union[bytes, bytearray, memoryview]) -> bytes:
    """The data of a bytes-like value as exact `bytes`, without calling a subclass's code."""
    if isinstance(value, bytes):
        return bytes.__getitem__(value, slice(None))
    if isinstance(value, bytearray):
        return bytes(bytearray.__getitem__(value, slice(None)))
    return value.tobytes()


def bytes_text(data: bytes) -> Optional[str]:
    """The text of short UTF-8 bytes (a name written as bytes, like ASGI headers), or None."""
    if len(data) > _BYTES_KEY_TEXT:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


# What `kind_of` answers; `Walk.other` has one handler per kind.
ENUM: Final = "enum"  # its value
STR: Final = "str"  # a str subclass: its data, not its methods
BOOL: Final = "bool"
INT: Final = "int"
FLOAT: Final = "float"
BYTES: Final = "bytes"  # a `<bytes len=N>` marker, never the data
ISOFORMAT: Final = "isoformat"  # dates and times
TEXT: Final = "text"  # `str(value)` of a stdlib scalar (UUID, Decimal, paths)
NAMEDTUPLE: Final = "namedtuple"  # its fields by name
MAPPING: Final = "mapping"
SEQUENCE: Final = "sequence"
SET: Final = "set"
REPR: Final = "repr"  # its one bounded repr
OBJECT: Final = "object"  # its declared fields or `__dict__`, else its repr

# Base classes, tried in order, and what a subclass of each is.
_BY_BASE: Final[tuple[tuple[Union[type, tuple[type, ...]], str], ...]] = (
    (enum.Enum, ENUM),
    (str, STR),
    (bool, BOOL),
    (int, INT),
    (float, FLOAT),
    ((bytes, bytearray, memoryview), BYTES),
    ((dt.datetime, dt.date, dt.time), ISOFORMAT),
    ((uuid.UUID, decimal.Decimal, PurePath), TEXT),
)


def kind_of(cls: type) -> str:  # noqa: PLR0911 - one answer per kind
    """Tell what kind of value an instance of `cls` is, from the type alone.

    Types are read with `issubclass`, never `isinstance`: `isinstance` reads `__class__`,
    which evaluates a lazy proxy (user code, a query, a request). Containers are walked
    when they hold their items (builtins and their subclasses, the stdlib's, the
    libraries of `_WALKABLE_MODULES`); any other Mapping or Sequence may fetch rows or
    pages when iterated (a query set, a lazy list): it gets its one bounded repr instead.
    """
    for base, kind in _BY_BASE:
        if issubclass(cls, base):
            return kind
    if issubclass(cls, tuple) and isinstance(getattr(cls, "_fields", None), tuple):
        return NAMEDTUPLE
    if issubclass(cls, Mapping):
        if issubclass(cls, dict) or cls in _PLAIN_MAPPINGS or walkable(cls):
            return MAPPING
        return REPR
    if issubclass(cls, (list, tuple)) or cls in _PLAIN_SEQUENCES:
        return SEQUENCE
    if issubclass(cls, (set, frozenset)) or (issubclass(cls, AbstractSet) and walkable(cls)):
        return SET
    if issubclass(cls, Sequence):
        return SEQUENCE if walkable(cls) else REPR
    if issubclass(cls, _OPAQUE):
        return REPR
    return OBJECT


def bytes_key(key: Union[bytes, bytearray, memoryview]) -> str:
    """Use a short UTF-8 bytes key as its text (so key rules see it), else a marker.

    The marker carries a keyed hash: binary keys of the same length stay distinct, and
    the hash cannot be checked against guessed keys.
    """
    data = raw_bytes(key)
    text = bytes_text(data)
    if text is not None:
        return text
    digest = hashlib.blake2b(data, digest_size=4, key=_BYTES_KEY_SALT).hexdigest()
    return f"<{type(key).__name__} len={len(data)} #{digest}>"


def bytes_marker(value: Union[bytes, bytearray, memoryview]) -> str:
    """Summarise binary data without showing it."""
    size = value.nbytes if isinstance(value, memoryview) else len(value)
    return f"<{type(value).__name__} len={size}>"


def field_items(value: object) -> Optional[tuple[Any, bool]]:
    """The (name, value) pairs of a structured object, and whether to add `__type__`.

    Dataclasses, attrs classes and pydantic models give their declared fields (read
    from the instance, so no validator or property runs); other objects their
    `__dict__`. None when the object has neither.
    """
    cls = type(value)
    if dataclasses.is_dataclass(cls):
        names = [f.name for f in dataclasses.fields(cls)]
        return [(n, getattr(value, n)) for n in names if hasattr(value, n)], False
    attrs_fields = getattr(cls, "__attrs_attrs__", None)
    if isinstance(attrs_fields, tuple):
        pairs = [
            (n, getattr(value, n))
            for a in attrs_fields
            if isinstance(n := getattr(a, "name", None), str) and hasattr(value, n)
        ]
        return pairs, False
    pydantic_fields = getattr(cls, "__pydantic_fields__", None)
    if isinstance(pydantic_fields, dict):
        data = object.__getattribute__(value, "__dict__")
        pairs = [(n, data[n]) for n in pydantic_fields if n in data]
        extra = getattr(value, "__pydantic_extra__", None)
        if isinstance(extra, dict):
            pairs.extend(extra.items())
        return pairs, False
    try:
        data = object.__getattribute__(value, "__dict__")
    except AttributeError:
        return None
    if not isinstance(data, dict):
        return None
    return list(data.items()), True


def unique_key(key: str, taken: Mapping[str, object]) -> str:
    """Number a converted key that equals one already taken: `a`, `a (2)`, `a (3)`."""
    n = 2
    while f"{key} ({n})" in taken:
        n += 1
    return f"{key} ({n})"


def more_items(container: object, shown: int) -> str:
    """The `[... N more items]` marker (N unknown when `len` fails)."""
    try:
        total = len(container)  # type: ignore[arg-type]
    except Exception:
        return "[... more items]"
    return f"[... {max(total - shown, 0)} more items]"


def flat_path(path: object) -> tuple[Union[str, int], ...]:
    """Turn the walker's `(parent, key)` chain into a tuple path (what a callback sees)."""
    parts: list[Union[str, int]] = []
    node = path
    while isinstance(node, tuple):
        node, part = node
        parts.append(part)
    parts.reverse()
    return tuple(parts)
