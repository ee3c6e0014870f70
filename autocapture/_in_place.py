"""A module imported before ``instrument_modules``: its functions get the rewritten code.

A module that already ran cannot be compiled rewritten before it runs; but its functions
can be given, in place, the code ``_rewrite`` compiles for them (``function.__code__``
is writable). The function objects stay the ones every name holds, so a binding made
earlier (``from app.db import get_user`` before the call) reports its errors too, and no
wrapper frame stands between a caller and the function (code that reads its caller's
frame, like anyio's lazy importer, keeps working).

Only a function whose code is exactly what its module's source compiles to *now* is
given new code: a source edited since the import (a deploy in progress) could otherwise
swap in a body that never ran. Everything else (no source, another loader, a function
defined by ``exec``, a closure made by a factory) is left to the wrapping pass.
"""

from __future__ import annotations

import importlib.machinery
import types
from collections.abc import Iterator
from typing import Any

from autocapture._rewrite import compiled
from autocapture._rewritten import REPORTER

__all__ = ["defined_functions", "give_rewritten_code"]

_Key = tuple[str, int]
"""A function's code by its name and first line: unique within one source file."""
_FUNCTION = types.FunctionType


def give_rewritten_code(module: types.ModuleType, reporter: Any) -> int:
    """Give the functions ``module`` defined the rewritten code of its source.

    Args:
        module: A module already imported from a plain source file.
        reporter: What its rewritten functions call (installed as ``__autocapture__``
            unless the module has one).

    Returns:
        How many functions now report their own errors; 0 when the module is not a plain
        source module, or its source does not compile.
    """
    spec = getattr(module, "__spec__", None)
    loader = getattr(spec, "loader", None)
    if spec is None or type(loader) is not importlib.machinery.SourceFileLoader:
        return 0
    rewritten = compiled(loader, spec.name)
    if rewritten is None:
        return 0
    plain = loader.get_code(spec.name)  # what the source compiles to now (cached .pyc)
    if plain is None:
        return 0
    now = {_key(code): code for code in _codes(plain)}
    new = {_key(code): code for code in _codes(rewritten[0]) if REPORTER in code.co_names}
    owner = module.__name__
    count = 0
    installed = False
    for function in defined_functions(vars(module), owner):
        code = function.__code__
        key = _key(code)
        replacement = new.get(key)
        if replacement is None or now.get(key) != code:
            continue  # not rewritten (decorated in the source), or not this source's
        if not installed:
            vars(module).setdefault(REPORTER, reporter)
            installed = True
        function.__code__ = replacement
        count += 1
    return count


def _key(code: types.CodeType) -> _Key:
    return code.co_name, code.co_firstlineno


def _codes(code: types.CodeType) -> Iterator[types.CodeType]:
    # The code objects of the functions the rewrite reaches: the module's, and the class
    # bodies' (recursively); not those nested in functions.
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield const
            yield from _codes(const) if not _is_function(const) else ()


def _is_function(code: types.CodeType) -> bool:
    # A class body's code has no arguments and is named after the class; telling the two
    # apart by flags: a function's code is "optimized" (fast locals), a class body's not.
    return bool(code.co_flags & 0x1)  # CO_OPTIMIZED


def defined_functions(namespace: dict[str, Any], owner: Any) -> Iterator[Any]:
    """The functions module ``owner`` defined, as its namespace reaches them.

    Module-level functions (and those under ``functools.wraps`` decorators), the methods,
    class and static methods and property accessors of its classes, nested classes too.
    """
    return _functions(namespace, owner, set())


def _functions(namespace: dict[str, Any], owner: Any, seen: set[int]) -> Iterator[Any]:
    for value in list(namespace.values()):
        if type(value) is _FUNCTION:
            function: Any = value
            while type(function) is _FUNCTION and function.__module__ == owner:
                yield function
                function = getattr(function, "__wrapped__", None)  # under functools.wraps
        elif isinstance(value, (classmethod, staticmethod)):
            if type(value.__func__) is _FUNCTION and value.__func__.__module__ == owner:
                yield value.__func__
        elif isinstance(value, property):
            for accessor in (value.fget, value.fset, value.fdel):
                if type(accessor) is _FUNCTION and accessor.__module__ == owner:
                    yield accessor
        elif isinstance(value, type) and value.__module__ == owner and id(value) not in seen:
            seen.add(id(value))
            yield from _functions(dict(vars(value)), owner, seen)
