"""Build a thin wrapper from a template, shaped like the function it wraps.

A ``def wrapper(*args, **kwargs)`` closure written in this package differs from the
function it stands for in ways tools see: its ``__globals__`` (so every frame's
``f_globals``) are ours, not the function's module (FastAPI and ``typing.get_type_hints``
resolve string annotations there, trio names async generators from them); a generator or
coroutine wrapper accepts any arguments, so a wrong call fails at the first ``next()`` or
``await`` instead of at the call; ``inspect.getfullargspec`` (Celery's argument check)
sees ``(*args, **kwargs)``.

So a wrapper is made here from the template's code object, with the function's own
globals and the function's own parameter list:

* A template (given by the decorator, one per kind of callable) is written for
  ``(*args, **kwargs)``. For each *arity* (how many positional-only, positional,
  keyword-only parameters, and whether there are ``*args``/``**kwargs``) it is compiled
  once with placeholder names, then each function gets a copy of that code object with its
  real parameter names (``code.replace``, cached per list of names). Bytecode addresses
  locals by index, so renaming them changes nothing else.
* The template's own names (``func``, ``handle``, ``Exception``...) are closure cells, never
  globals: the function's module cannot shadow them.
* Parameter defaults are the function's own (``__defaults__``, ``__kwdefaults__``) and every
  parameter is passed on explicitly, which is what the call would have done.

A parameter named like one of the template's own names (``func``, ``exc``...) falls back to
the template as written, ``(*args, **kwargs)``.
"""

from __future__ import annotations

import inspect
import linecache
import sys
import types
from typing import Any, Callable, Optional, Union

__all__ = ["Template"]

_VARARGS = inspect.CO_VARARGS
_VARKEYWORDS = inspect.CO_VARKEYWORDS
_ITERABLE_COROUTINE = inspect.CO_ITERABLE_COROUTINE
_CODE_CACHE_SIZE = 256

# The tokens a template writes for ``(*args, **kwargs)``, in its four places.
_SIGNATURE = "(*args, **kwargs):"
_CALL = "(*args, **kwargs)"
_PACK = "args, kwargs)"
_DELETE = "del args, kwargs"

_Arity = tuple[int, int, int]
_Free = tuple[tuple[str, Optional[types.CellType]], ...]
"""The closure of a wrapper: each free name, with its shared cell for a constant."""
_Source = Union[int, slice, None]
"""Where a constant's parameter names come from: a position, a run of them, or anywhere."""
_Shaped = tuple[types.CodeType, tuple[str, ...], tuple[tuple[int, _Source], ...], _Free]
"""A template compiled for one arity: code, placeholders, constants to rename, closure."""
_Shape = tuple[int, int, int, int]
"""A parameter list's shape: argument count, positional-only, keyword-only, code flags."""
_Rename = Callable[[tuple[str, ...]], types.CodeType]
"""For one shape: gives its code a list of parameter names."""
_Key = tuple[tuple[str, ...], int, int, int, int]
"""A parameter list: its names, then its shape."""
_SHAPE_FLAGS = _VARARGS | _VARKEYWORDS | _ITERABLE_COROUTINE
_STAR_FLAGS = _VARARGS | _VARKEYWORDS
_STARS = tuple(bin(flags & _STAR_FLAGS).count("1") for flags in range(_STAR_FLAGS + 1))
"""How many of ``*args``, ``**kwargs`` a code object's flags say it has: one lookup."""
_Function = types.FunctionType
_TYPE_PARAMS = sys.version_info >= (3, 12)
_LAZY_ANNOTATIONS = sys.version_info >= (3, 14)
_Cell = types.CellType


class Template:
    """One kind of wrapper: source text for ``(*args, **kwargs)`` and its closure names."""

    __slots__ = (
        "_by_arity",
        "_by_names",
        "_by_shape",
        "_closure",
        "_free",
        "_own",
        "constants",
        "filename",
        "source",
    )

    def __init__(self, name: str, source: str, constants: dict[str, Any]) -> None:
        """Register ``source`` (shown in tracebacks) under a file name of its own.

        Args:
            name: What the wrapper is, for its file name (``"plain wrapper"``).
            source: An empty line, then a ``def wrapper(*args, **kwargs):`` (or
                ``async def``) block.
            constants: Closure names with the same value for every wrapper (builtins).
        """
        self.source = source
        self.filename = f"<autocapture {name}>"
        self.constants = {key: types.CellType(value) for key, value in constants.items()}
        self._own: frozenset[str] | None = None
        self._by_arity: dict[tuple[Any, ...], _Shaped] = {}
        self._by_names: dict[_Key, types.CodeType] = {}
        self._by_shape: dict[_Shape, _Rename] = {}
        self._closure: Callable[..., tuple[types.CellType, ...]] | None = None
        self._free: _Free = ()
        # Tracebacks show the template's line as written, ``return func(*args, **kwargs)``.
        lines = source.splitlines(keepends=True)
        linecache.cache[self.filename] = (len(source), None, lines, self.filename)

    def build(
        self,
        func: Callable[..., Any],
        call: Any,
        handle: Any,
        default: Any = None,
        reraise: bool = True,
        wrap_result: Any = None,
    ) -> Callable[..., Any]:
        """Return a wrapper around ``func`` with its globals, name and parameters.

        Args:
            func: A Python function (it has ``__code__`` and ``__globals__``).
            call: What the wrapper calls (the template's ``func``): usually ``func``.
            handle: The error core, ``handle(exc, args, kwargs) -> bool``.
            default: What a captured error returns when not re-raising.
            reraise: Whether a captured error propagates.
            wrap_result: For the deferred templates: wraps a coroutine or generator result.

        Returns:
            The wrapper function; ``functools.update_wrapper``'s attributes are set.
        """
        # The one path every decoration takes (bench_decoration.py): few steps, each
        # cheap, and only the attributes a new function does not already have right.
        code = func.__code__
        flags = code.co_flags
        count = code.co_argcount
        kwonly = code.co_kwonlyargcount
        names = code.co_varnames[: count + kwonly + _STARS[flags & _STAR_FLAGS]]
        key = (names, count, code.co_posonlyargcount, kwonly, flags)
        shaped = self._by_names.get(key)
        if shaped is None:
            shaped = self._renamed(key)
        make = self._closure
        if make is None:
            make = self._closure = _closure_maker(self._free)
        wrapper = _Function(
            shaped,
            func.__globals__,
            func.__name__,
            func.__defaults__,
            make(call, handle, default, reraise, wrap_result),
        )
        kwdefaults = func.__kwdefaults__
        if kwdefaults is not None:
            wrapper.__kwdefaults__ = kwdefaults
        wrapper.__qualname__ = func.__qualname__
        # A new function's module is its globals' ``__name__``, and its doc None (the
        # template has no docstring): set only when the function's differ.
        if wrapper.__module__ != func.__module__:
            wrapper.__module__ = func.__module__
        doc = func.__doc__
        if doc is not None:
            wrapper.__doc__ = doc
        if _LAZY_ANNOTATIONS:  # pragma: no cover - Python 3.14
            wrapper.__annotate__ = func.__annotate__  # type: ignore[attr-defined]
        else:
            wrapper.__annotations__ = func.__annotations__
        if _TYPE_PARAMS and func.__type_params__:  # type: ignore[attr-defined]  # pragma: no cover
            wrapper.__type_params__ = func.__type_params__  # type: ignore[attr-defined]
        attributes = func.__dict__
        if attributes:
            wrapper.__dict__.update(attributes)
        wrapper.__wrapped__ = func  # type: ignore[attr-defined]
        return wrapper

    def code_for(self, code: types.CodeType) -> tuple[types.CodeType, _Free]:
        """Return the template's code with the parameter list of ``code``, and its cells."""
        flags = code.co_flags
        count = code.co_argcount
        kwonly = code.co_kwonlyargcount
        names = code.co_varnames[: count + kwonly + _STARS[flags & _STAR_FLAGS]]
        key = (names, count, code.co_posonlyargcount, kwonly, flags)
        found = self._by_names.get(key)
        if found is None:
            found = self._renamed(key)
        return found, self._free

    def _renamed(self, key: _Key) -> types.CodeType:
        # The template compiled for the shape in ``key``, with the parameter names.
        own = self._own if self._own is not None else self.own_names()
        names = key[0]
        shape: _Shape = key[1:]
        if not own.isdisjoint(names):  # a parameter named like a template name
            shape, names = (0, 0, 0, _VARARGS | _VARKEYWORDS), ("args", "kwargs")
        rename = self._by_shape.get(shape)
        if rename is None:
            rename = self._by_shape[shape] = self._renaming(shape)
        found = rename(names)
        if len(self._by_names) >= _CODE_CACHE_SIZE:
            # Full of one-off parameter lists: start afresh, so that the lists that
            # repeat (``self, session``...) are cached again at their next use. Small:
            # a large cache of one-off lists costs more to fill than it saves.
            self._by_names.clear()
        self._by_names[key] = found
        return found

    def _renaming(self, shape: _Shape) -> _Rename:
        # A function giving the code compiled for one shape its parameter names: its
        # locals, and the constants holding parameter names (a call's keyword names),
        # in one ``replace``.
        count, posonly, kwonly, flags = shape
        code, placeholders, renamed, _ = self._compiled(
            (posonly, count - posonly, kwonly),
            varargs=bool(flags & _VARARGS),
            varkw=bool(flags & _VARKEYWORDS),
            coroutine=bool(flags & _ITERABLE_COROUTINE),
        )
        namespace: dict[str, Any] = {
            "_code": code,
            "_rename": _rename,
            "_placeholders": placeholders,
            "_consts": code.co_consts,
            "_tail": code.co_varnames[len(placeholders) :],
        }
        items = [f"_consts[{i}]" for i in range(len(code.co_consts))]
        for index, source in renamed:
            if isinstance(source, slice):
                items[index] = f"names[{source.start}:{source.stop}]"
            elif source is not None:
                items[index] = f"names[{source}]"
            else:  # anything else holding names (never seen from CPython)
                items[index] = f"_rename(_consts[{index}], dict(zip(_placeholders, names)))"
        consts = f", co_consts=({', '.join(items)},)" if renamed else ""
        source_text = (
            f"def rename(names):\n    return _code.replace(co_varnames=names + _tail{consts})\n"
        )
        exec(compile(source_text, "<autocapture renaming>", "exec"), namespace)  # noqa: S102
        return namespace["rename"]  # type: ignore[no-any-return]

    def own_names(self) -> frozenset[str]:
        """Return the names the template uses itself, which no parameter may take."""
        if self._own is None:
            code = self._compiled((0, 0, 0), varargs=True, varkw=True, coroutine=False)[0]
            self._own = frozenset((*code.co_freevars, *code.co_varnames[2:], *code.co_names))
        return self._own

    def _compiled(self, arity: _Arity, *, varargs: bool, varkw: bool, coroutine: bool) -> _Shaped:
        # Compiled once per arity, with placeholder parameter names (returned in
        # parameter order, the order of ``co_varnames``).
        cache_key = (arity, varargs, varkw, coroutine)
        found = self._by_arity.get(cache_key)
        if found is not None:
            return found
        posonly, positional, kwonly = arity
        pos = [f"_ac_p{i}" for i in range(posonly + positional)]
        kws = [f"_ac_k{i}" for i in range(kwonly)]
        star = ["_ac_va"] if varargs else []
        dstar = ["_ac_vk"] if varkw else []
        signature = [*pos[:posonly], *(["/"] if posonly else []), *pos[posonly:]]
        signature += [f"*{n}" for n in star] or (["*"] if kws else [])
        signature += kws + [f"**{n}" for n in dstar]
        positional_values = pos + [f"*{n}" for n in star]
        keyword_values = [f"{k}={k}" for k in kws] + [f"**{n}" for n in dstar]
        packed_keywords = [f"{k!r}: {k}" for k in kws] + [f"**{n}" for n in dstar]
        every = (*pos, *kws, *star, *dstar)
        text = (
            self.source.replace(_SIGNATURE, f"({', '.join(signature)}):")
            .replace(_CALL, f"({', '.join(positional_values + keyword_values)})")
            .replace(
                _PACK,
                f"({''.join(v + ', ' for v in positional_values)}), "
                f"{{{', '.join(packed_keywords)}}})",
            )
            .replace(_DELETE, f"del {', '.join(every)}" if every else "pass")
        )
        # The template's own names become closure cells of an outer function; its
        # ``def`` takes the template's first (empty) line, so line numbers stay the
        # template's.
        probe = compile(text, self.filename, "exec")
        inner = next(c for c in probe.co_consts if isinstance(c, types.CodeType))
        free = sorted(set(inner.co_names) | _free_of(inner))
        outer = f"def _outer({', '.join(free)}):" + "".join(
            f"    {line}" if line.strip() else line for line in text.splitlines(keepends=True)
        )
        outer += "\n    return wrapper\n"
        namespace: dict[str, Any] = {}
        exec(compile(outer, self.filename, "exec"), namespace)  # noqa: S102 - our own template
        code: types.CodeType = namespace["_outer"](*free).__code__
        if coroutine:
            code = code.replace(co_flags=code.co_flags | _ITERABLE_COROUTINE)
        # Where each constant that holds parameter names takes them from, decided once
        # here so that giving a code object its names is a few index lookups.
        position = {name: i for i, name in enumerate(every)}
        renamed = tuple(
            (i, _source_of(c, position))
            for i, c in enumerate(code.co_consts)
            if _rename(c, dict.fromkeys(position, "")) != c
        )
        closure: _Free = tuple((name, self.constants.get(name)) for name in code.co_freevars)
        shaped = (code, every, renamed, closure)
        self._by_arity[cache_key] = shaped
        self._free = closure  # the same names for every arity: the template's own
        return shaped


_PER_FUNCTION = ("func", "handle", "default", "reraise", "wrap_result")
"""The template names with a value per wrapper, in the order ``build`` passes them."""


def _closure_maker(free: _Free) -> Callable[..., tuple[types.CellType, ...]]:
    # One function per template that makes a wrapper's closure in a single expression:
    # a tuple display of new cells and shared constant ones, several times cheaper than
    # building it item by item.
    namespace: dict[str, Any] = {"_Cell": _Cell}
    items = []
    for index, (name, cell) in enumerate(free):
        if cell is None:
            if name not in _PER_FUNCTION:
                raise ValueError(f"a template name without a value: {name!r}")
            items.append(f"_Cell({name})")
        else:
            namespace[f"_shared{index}"] = cell
            items.append(f"_shared{index}")
    source = f"def make({', '.join(_PER_FUNCTION)}):\n    return ({', '.join(items)},)\n"
    exec(compile(source, "<autocapture closure>", "exec"), namespace)  # noqa: S102 - ours
    return namespace["make"]  # type: ignore[no-any-return]


def _free_of(code: types.CodeType) -> set[str]:
    names = set(code.co_freevars)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _free_of(const)
    return names


def _source_of(const: object, position: dict[str, int]) -> _Source:
    # A placeholder name (a dict key), or a run of them (a call's keyword names, which
    # are the keyword-only parameters in order): ``names[source]`` is the renamed const.
    if isinstance(const, str):
        return position[const]
    if (
        isinstance(const, tuple)
        and const
        and all(isinstance(c, str) and c in position for c in const)
    ):
        first = position[const[0]]
        if [position[c] for c in const] == list(range(first, first + len(const))):
            return slice(first, first + len(const))
    return None


def _rename(const: object, real: dict[str, str]) -> object:
    if isinstance(const, str):
        return real.get(const, const)
    if isinstance(const, tuple):
        return tuple(_rename(item, real) for item in const)
    return const
