"""``instrument_modules``: every function of a package captured, with no edit to its code.

The functions and classes *defined* in a matching module (its ``__module__`` is the
module's name; names imported from elsewhere are left alone) are captured as
``@auto_capture_errors`` would, with the methods of a class as for a decorated class.
Functions already decorated keep their own options.

* Modules imported after the call: one finder at the front of ``sys.meta_path`` asks the
  other finders for the spec of a matching module and puts its own loader in front of the
  real one. A plain source module is compiled rewritten (``_rewrite``: each function
  reports its own errors through the module's ``Reporter``; nothing runs per function at
  import); any other loader's module runs as usual and is then wrapped in place. Either
  way the real loader is put back on the spec (``importlib.resources``, ``linecache``,
  ``reload`` see it).
* Modules imported before the call are wrapped in place.

What stays as it was for a module wrapped in place (documented in the README): a name
bound elsewhere before the module was instrumented (``from x import f`` done earlier)
keeps the original function, and so does a decorator that registered the original at
definition time (a route, a task). C extensions and namespace packages have no Python
functions. ``remove()`` stops instrumenting modules imported afterwards; what was
instrumented stays so.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import threading
import types
from collections.abc import Iterable, Sequence
from typing import Any

from autocapture._config import get_config
from autocapture._decorator import (
    decorate,
    decorate_members,
    is_decorated,
    is_plumbing,
    validate,
)
from autocapture._in_place import give_rewritten_code
from autocapture._log import report_failure
from autocapture._reporter import Reporter
from autocapture._rewrite import compiled
from autocapture._rewritten import REPORTER

__all__ = ["ModuleInstrumentation", "instrument_modules"]

# Options that make sense for a whole package; reraise=False would make every function
# of a library swallow its errors, and an operation is the name of one function's action.
_PACKAGE_OPTIONS = ("capture_args", "context_type", "ignore", "level", "sink", "tags")
_FUNCTION = types.FunctionType
_lock = threading.Lock()
_active: list[ModuleInstrumentation] = []


class ModuleInstrumentation:
    """The handle ``instrument_modules`` returns: what it covers, and how to stop it."""

    def __init__(self, prefixes: tuple[str, ...], exclude: tuple[str, ...], key: Any) -> None:
        """Keep what to match; ``key`` identifies an identical call (idempotence)."""
        self.prefixes = prefixes
        """The module prefixes instrumented (``"app.services"`` covers its submodules)."""
        self.exclude = exclude
        """Module prefixes left alone."""
        self.modules: list[str] = []
        """The modules instrumented so far, in order."""
        self.functions = 0
        """How many functions (methods included) were wrapped so far."""
        self._key = key
        self._options: dict[str, Any] = key[2]

    def covers(self, name: str) -> bool:
        """Tell whether module ``name`` is under a prefix and not excluded."""
        return _under(name, self.prefixes) and not _under(name, self.exclude)

    def remove(self) -> None:
        """Stop instrumenting modules imported from now on (idempotent)."""
        with _lock:
            if self in _active:
                _active.remove(self)
            if not _active and _FINDER in sys.meta_path:
                sys.meta_path.remove(_FINDER)

    @property
    def active(self) -> bool:
        """True until ``remove()`` is called."""
        return self in _active

    def __repr__(self) -> str:
        """Show the prefixes and what was instrumented."""
        return (
            f"<instrument_modules {', '.join(self.prefixes)}: {len(self.modules)} modules, "
            f"{self.functions} functions{'' if self.active else ', removed'}>"
        )

    def instrument(self, module: types.ModuleType, rewritten: int = 0) -> None:
        """Wrap the functions and classes defined in ``module``, in place.

        Args:
            module: The module.
            rewritten: How many of its functions were compiled to report their own
                errors (``_rewrite``); those are left as they are.
        """
        if not get_config().enabled:
            return
        if not rewritten:  # imported before: its functions get their rewritten code
            try:
                rewritten = give_rewritten_code(module, Reporter(self._options))
            except Exception as err:  # then they are wrapped, as any other loader's
                report_failure(f"rewriting {module.__name__} in place", err)
        count = _wrap_namespace(vars(module), module.__name__, self._options, rewritten)
        self.modules.append(_name_of(module))
        self.functions += count + rewritten


def _wrap_namespace(
    namespace: dict[str, Any], owner: str, options: dict[str, Any], rewritten: int
) -> int:
    # What is left to wrap: functions the source does not define (closures a factory
    # made, exec), and everything when nothing could be rewritten (another loader).
    done: dict[int, Any] = {}  # aliases of one function get one wrapper
    count = 0
    for name, value in list(namespace.items()):
        if type(value) is _FUNCTION:
            if REPORTER in value.__code__.co_names:  # rewritten: nothing to do
                continue
            if (
                value.__module__ != owner
                or is_decorated(value)
                or is_plumbing(value.__name__, in_class=False)
            ):
                continue  # elsewhere's, ours, or a module's __getattr__/__dir__
            wrapped = done.get(id(value))
            if wrapped is None:
                wrapped = done[id(value)] = decorate(value, options, None)
                count += 1
            namespace[name] = wrapped
        elif (
            isinstance(value, type)
            and getattr(value, "__module__", None) == owner
            and id(value) not in done
        ):
            done[id(value)] = value
            if not rewritten or _anything_to_wrap(value, owner):
                count += decorate_members(value, options, None, module=owner)
    return count


def _anything_to_wrap(cls: type, owner: str) -> bool:
    # A class of a rewritten module usually has nothing left to wrap (its methods report
    # their own errors): one cheap pass says so, instead of decorate_members' full one.
    for name, member in vars(cls).items():
        kind = type(member)
        if kind is _FUNCTION:
            if REPORTER in member.__code__.co_names or is_plumbing(name):
                continue
            return True
        if kind in (classmethod, staticmethod, property):
            return True
        if (
            isinstance(member, type)
            and member.__module__ == owner
            and member.__qualname__.startswith(f"{cls.__qualname__}.")
            and _anything_to_wrap(member, owner)
        ):
            return True
    return False


def instrument_modules(
    *prefixes: str, exclude: Iterable[str] = (), **decorator_options: Any
) -> ModuleInstrumentation:
    """Capture the errors of every function defined under the given module prefixes.

    Modules imported afterwards are instrumented by an import hook, modules already
    imported in place. Each function and method defined in a matching module (not the
    names it imports) behaves as if decorated with ``@auto_capture_errors``; functions
    already decorated keep their own options. Calling it again with the same arguments
    returns the same handle.

    Args:
        *prefixes: Module names; each covers the module and its submodules
            (``"app.services"`` covers ``app.services.billing``).
        exclude: Module prefixes to leave alone (``("app.db.migrations",)``).
        **decorator_options: Options applied to every function: ``context_type``,
            ``tags``, ``sink``, ``ignore``, ``level``, ``capture_args``.

    Returns:
        A handle with ``.remove()``, ``.modules`` and ``.functions``.

    Raises:
        TypeError: A prefix is not a str, ``exclude`` is a single str or holds a non-str,
            or an option is unknown or has the wrong type.
        ValueError: No prefix, a prefix that is not a dotted module name, a prefix that
            covers autocapture itself, or an option value that is not allowed.
    """
    covered, excluded, options = _check_arguments(prefixes, exclude, decorator_options)
    key = (covered, excluded, options)
    with _lock:
        for handle in _active:
            if handle._key == key:  # noqa: SLF001 - same class
                return handle
        handle = ModuleInstrumentation(covered, excluded, key)
        _active.insert(0, handle)  # the latest call wins where prefixes overlap
        if _FINDER not in sys.meta_path:
            sys.meta_path.insert(0, _FINDER)
    for module in list(sys.modules.values()):
        if handle.covers(_name_of(module)):
            try:
                handle.instrument(module)
            except Exception as err:
                report_failure(f"instrumenting {module.__name__}", err)
    return handle


def _check_arguments(
    prefixes: tuple[object, ...], exclude: object, decorator_options: dict[str, Any]
) -> tuple[tuple[str, ...], tuple[str, ...], dict[str, Any]]:
    where = "instrument_modules"
    if not prefixes:
        raise ValueError(f'{where}() needs at least one module prefix, e.g. "app.services"')
    covered = tuple(_check_module_name(f"{where}(...)", p) for p in prefixes)
    if isinstance(exclude, (str, bytes)) or not isinstance(exclude, Iterable):
        raise TypeError(
            f"{where}(exclude=...) takes an iterable of module names, e.g. "
            f"('app.db.migrations',); got {type(exclude).__name__} {exclude!r}"
        )
    excluded = tuple(_check_module_name(f"{where}(exclude=...)", e) for e in exclude)
    for prefix in covered:
        if _under("autocapture", (prefix,)) or _under(prefix, ("autocapture",)):
            raise ValueError(f"{where}() cannot instrument autocapture itself ({prefix!r})")
    unknown = sorted(set(decorator_options) - set(_PACKAGE_OPTIONS))
    if unknown:
        raise TypeError(
            f"{where}() got unknown option(s) {', '.join(unknown)}; the options that apply "
            f"to a whole package are {', '.join(_PACKAGE_OPTIONS)}"
        )
    options = validate(
        context_type=decorator_options.get("context_type"),
        operation=None,
        reraise=True,
        capture_args=decorator_options.get("capture_args", True),
        tags=decorator_options.get("tags"),
        sink=decorator_options.get("sink"),
        ignore=decorator_options.get("ignore"),
        level=decorator_options.get("level", "error"),
        where=where,
    )
    return covered, excluded, options


def _name_of(module: types.ModuleType) -> str:
    # A module run as ``python -m app.x`` is ``__main__``; its spec keeps its real name.
    spec = getattr(module, "__spec__", None)
    return str(getattr(spec, "name", None) or module.__name__)


def _under(name: str, prefixes: Sequence[str]) -> bool:
    return any(name == p or name.startswith(f"{p}.") for p in prefixes)


def _check_module_name(where: str, name: object) -> str:
    if not isinstance(name, str):
        raise TypeError(
            f"{where} takes module names (str), e.g. 'app.services'; "
            f"got {type(name).__name__} {name!r}"
        )
    if not name or not all(part.isidentifier() for part in name.split(".")):
        raise ValueError(
            f"{where}: {name!r} is not a module name; write a dotted name such as 'app.services'"
        )
    return name


def _handle_for(name: str) -> ModuleInstrumentation | None:
    return next((handle for handle in _active if handle.covers(name)), None)


class _Finder:
    """Finds nothing itself: asks the other finders, then wraps the loader it got."""

    @staticmethod
    def find_spec(
        fullname: str, path: Sequence[str] | None = None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        """Return the spec the other finders give, with an instrumenting loader."""
        handle = _handle_for(fullname)
        if handle is None:
            return None
        for finder in sys.meta_path:
            if finder is _FINDER:
                continue
            find = getattr(finder, "find_spec", None)
            if find is None:
                continue
            spec: importlib.machinery.ModuleSpec | None = find(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        if (
            loader is None  # a namespace package: no code
            or not hasattr(loader, "exec_module")
            or isinstance(loader, importlib.machinery.ExtensionFileLoader)  # C: no functions
        ):
            return spec
        # A plain source module is compiled rewritten (``_rewrite``); any other loader
        # (pytest's assertion rewriting, zip imports...) runs as is, then is wrapped.
        spec.loader = _Loader(loader, rewrite=type(loader) is importlib.machinery.SourceFileLoader)
        return spec

    @staticmethod
    def invalidate_caches() -> None:
        """Nothing cached here."""


class _Loader(importlib.abc.Loader):
    """Runs the real loader, then instruments the module and puts the real loader back."""

    def __init__(self, loader: Any, *, rewrite: bool) -> None:
        self._loader = loader
        self._rewrite = rewrite

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        """Let the real loader create the module."""
        create = getattr(self._loader, "create_module", None)
        return create(spec) if create is not None else None

    def exec_module(self, module: types.ModuleType) -> None:
        """Run the module's body, then wrap what it defined."""
        spec = module.__spec__
        if spec is not None and spec.loader is not self._loader:
            spec.loader = self._loader
        if getattr(module, "__loader__", None) is not self._loader:
            module.__loader__ = self._loader
        handle = _handle_for(_name_of(module))
        rewritten = None
        if handle is not None and self._rewrite and get_config().enabled:
            try:
                rewritten = compiled(self._loader, self._loader.name)
            except Exception as err:  # ours failed: the module is imported and wrapped
                report_failure(f"rewriting {module.__name__}", err)
        if rewritten is None:
            self._loader.exec_module(module)
            count = 0
        else:
            code, count = rewritten
            module.__dict__[REPORTER] = Reporter(handle._options)  # type: ignore[union-attr]  # noqa: SLF001
            exec(code, module.__dict__)  # noqa: S102 - the module's own code, rewritten
        if handle is not None:
            try:
                handle.instrument(module, count)
            except Exception as err:  # the import itself succeeded: never break it
                report_failure(f"instrumenting {module.__name__}", err)

    def __getattr__(self, name: str) -> Any:
        """Everything else is the real loader's (get_source, get_resource_reader...)."""
        return getattr(self._loader, name)


_FINDER = _Finder()
