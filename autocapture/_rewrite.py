"""Compile a module so that its own functions report their errors: no wrapper at all.

Wrapping costs per function at import: 2,000 wrappers cost more than importing the 2,000
functions themselves (``benchmarks/bench_instrumented_import.py``). So ``instrument_modules``
compiles a plain source module from a rewritten syntax tree instead, the way pytest
rewrites its assertions: the body of every function defined at module level or in a class
body (the functions a decorated class gets, §1) becomes ::

    try:
        <the body as written>
    except Exception:
        try:
            __autocapture__()   # the module's Reporter: reports the error being handled
        except Exception:       # at the recursion limit the call itself fails
            pass
        raise

and the result is cached beside the module's own ``.pyc``, under a tag of ours, so a
deployed app pays the rewrite once. At import, nothing runs per function; at run time,
the success path is the function's own (a ``try`` costs nothing in CPython 3.11+); a
traceback has no frame of ours. The docstring stays first, line numbers stay the
source's, and a parameter the body rebinds is kept under a name of ours at entry, so that
the error is reported with the arguments *as passed*, as the decorator does.

A function decorated with ``auto_capture_errors`` in the source keeps the decorator's
options (it is not rewritten); so do the methods of a class decorated with it.
"""

from __future__ import annotations

import ast
import contextlib
import importlib.util
import marshal
import sys
import types
from typing import Any, Union

from autocapture._decorator import is_plumbing
from autocapture._rewritten import REPORTER, original_name

__all__ = ["compiled", "rewrite"]

_VERSION = 2  # bump when the rewritten code changes: older caches are then ignored
_HEADER = 16  # magic, flags, source mtime, source size: a timestamp .pyc header
_DECORATOR = "auto_capture_errors"
_Function = Union[ast.FunctionDef, ast.AsyncFunctionDef]


def rewrite(tree: ast.Module) -> int:
    """Rewrite, in place, the functions of ``tree`` to report their errors.

    Returns:
        How many functions were rewritten.
    """
    count = _statements(tree.body, owner=None)
    ast.fix_missing_locations(tree)
    return count


def _statements(body: list[ast.stmt], *, owner: str | None) -> int:
    # ``owner``: the name of the class whose body this is, None at module level.
    count = 0
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if _wanted(node, in_class=owner is not None):
                _rewrite_function(node, owner)
                count += 1
        elif isinstance(node, ast.ClassDef):
            if not _decorated_by_us(node):
                count += _statements(node.body, owner=node.name)
        else:  # if/try/with/for blocks at this level define functions of this level too
            for block in _blocks(node):
                count += _statements(block, owner=owner)
    return count


def _blocks(node: ast.stmt) -> list[list[ast.stmt]]:
    blocks = [
        value
        for field in ("body", "orelse", "finalbody")
        if isinstance(value := getattr(node, field, None), list)
    ]
    blocks += [handler.body for handler in getattr(node, "handlers", ())]
    blocks += [case.body for case in getattr(node, "cases", ())]  # match statements
    return blocks


def _wanted(node: _Function, *, in_class: bool) -> bool:
    # Protocol plumbing is left alone, as for a decorated class.
    return not is_plumbing(node.name, in_class=in_class) and not _decorated_by_us(node)


def _decorated_by_us(node: _Function | ast.ClassDef) -> bool:
    # Decorated in the source: the decorator's own options win (API §12).
    return any(
        (isinstance(part, ast.Name) and part.id == _DECORATOR)
        or (isinstance(part, ast.Attribute) and part.attr == _DECORATOR)
        for decorator in node.decorator_list
        for part in ast.walk(decorator)
    )


# What every rewritten body becomes, ``pass`` standing for the body as written.
_GUARD = f"""
try:
    pass
except Exception:
    try:
        {REPORTER}()
    except Exception:  # at the recursion limit the call itself fails: the error goes on
        pass
    raise
"""


def _rewrite_function(node: _Function, owner: str | None) -> None:
    body = node.body
    head: list[ast.stmt] = []
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        head.append(body[0])  # the docstring stays the docstring
        body = body[1:]
    added = ast.parse(
        "".join(
            f"{original_name(_mangled(name, owner))} = {name}\n"
            for name in _rebound_parameters(node)
        )
        + _GUARD
    ).body
    for part in added:  # every added line sits on the ``def`` line: tracebacks show the body
        for each in ast.walk(part):
            if isinstance(each, (ast.stmt, ast.expr, ast.excepthandler)):
                each.lineno = each.end_lineno = node.lineno
                each.col_offset = each.end_col_offset = node.col_offset
    guard = added[-1]
    assert isinstance(guard, ast.Try)  # noqa: S101 - _GUARD is one try statement
    if body:  # a docstring alone cannot fail: the guard keeps its ``pass``
        guard.body = body
    node.body = [*head, *added]


def _mangled(name: str, owner: str | None) -> str:
    # In a class body Python renames ``__label`` to ``_Owner__label`` (the frame's and the
    # signature's name), but not the name kept for it, which ends with two underscores.
    # The reporter looks the kept value up by the frame's name.
    if owner is None or not name.startswith("__") or name.endswith("__"):
        return name
    stripped = owner.lstrip("_")
    return f"_{stripped}{name}" if stripped else name


def _rebound_parameters(node: _Function) -> list[str]:
    # Over-approximated on purpose (a name stored anywhere in the body, nested scopes
    # included): keeping a value that was not rebound costs one store, missing one would
    # report a changed argument.
    arguments = node.args
    parameters = [
        a.arg
        for a in (
            *arguments.posonlyargs,
            *arguments.args,
            *([arguments.vararg] if arguments.vararg else []),
            *arguments.kwonlyargs,
            *([arguments.kwarg] if arguments.kwarg else []),
        )
    ]
    stored: set[str] = set()
    for statement in node.body:
        for part in ast.walk(statement):
            if isinstance(part, ast.Name) and not isinstance(part.ctx, ast.Load):
                stored.add(part.id)
            elif isinstance(part, ast.ExceptHandler) and part.name:
                stored.add(part.name)
            elif isinstance(part, (ast.Import, ast.ImportFrom)):
                stored.update((a.asname or a.name).partition(".")[0] for a in part.names)
            elif isinstance(part, ast.Nonlocal):
                stored.update(part.names)
            elif isinstance(part, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                stored.add(part.name)
            elif type(part).__name__ in ("MatchAs", "MatchStar"):  # Python 3.10+
                stored.add(getattr(part, "name", None) or "")
            elif type(part).__name__ == "MatchMapping":
                stored.add(getattr(part, "rest", None) or "")
    return [name for name in parameters if name in stored]


# --------------------------------------------------------------------------- the cache


def _tag() -> str:
    # The optimisation level is part of it: a cache built under -O has no asserts.
    level = sys.flags.optimize
    return f"autocapture{_VERSION}" + (f"opt{level}" if level else "")


def compiled(loader: Any, fullname: str) -> tuple[types.CodeType, int] | None:
    """The rewritten code of a plain source module, from the cache or freshly compiled.

    Args:
        loader: The module's ``SourceFileLoader``.
        fullname: The module's name.

    Returns:
        The code and how many functions it instruments; None when the source does not
        compile (the real loader then raises the user's own ``SyntaxError``).
    """
    path = loader.get_filename(fullname)
    stats = loader.path_stats(path)
    mtime, size = int(stats["mtime"]) & 0xFFFFFFFF, int(stats.get("size", 0)) & 0xFFFFFFFF
    header = (
        importlib.util.MAGIC_NUMBER
        + (0).to_bytes(4, "little")
        + mtime.to_bytes(4, "little")
        + size.to_bytes(4, "little")
    )
    # None on an interpreter without .pyc files (typeshed says str; PEP 421 allows None).
    python_tag: str | None = getattr(sys.implementation, "cache_tag", None)
    cache = (
        None if python_tag is None else importlib.util.cache_from_source(path, optimization=_tag())
    )
    if cache is not None:
        found = _cached(loader, cache, header)
        if found is not None:
            return found
    try:
        tree = ast.parse(loader.get_data(path), path)
        count = rewrite(tree)
        # dont_inherit: this module's own ``from __future__`` must not reach the user's.
        code = compile(tree, path, "exec", dont_inherit=True)
    except SyntaxError:
        return None
    if cache is not None and not sys.dont_write_bytecode:
        with contextlib.suppress(OSError):  # a read-only tree: compiled again next time
            loader.set_data(cache, header + marshal.dumps((count, code)))
    return code, count


def _cached(loader: Any, cache: str, header: bytes) -> tuple[types.CodeType, int] | None:
    try:
        data = loader.get_data(cache)
    except OSError:
        return None
    if data[:_HEADER] != header:  # another source, or another Python: compile again
        return None
    try:
        # Our own file, trusted as Python trusts the .pyc beside it.
        count, code = marshal.loads(data[_HEADER:])  # noqa: S302
    except (EOFError, ValueError, TypeError):  # cut short
        return None
    if isinstance(code, types.CodeType) and isinstance(count, int):
        return code, count
    return None
