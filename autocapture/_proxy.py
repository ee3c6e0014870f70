"""The wrapper of callables that are not Python functions: a ``wrapt`` proxy.

Callable objects, bound methods, partials, builtins, ``functools.lru_cache`` wrappers and
other proxies keep their attributes, ``isinstance`` answers and descriptor binding through
``wrapt.FunctionWrapper``. When the proxy is bound (a descriptor used as a method), the
call goes to the bound object wrapt hands over, so ``self`` is not lost. A proxy pickles
and copies when the object it wraps does: it is rebuilt around the unpickled (copied)
object with the same options. Imported only when such a callable is decorated.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Callable

import wrapt

from autocapture import _decorator, _wrappers

if TYPE_CHECKING:
    from autocapture._plan import Plan

__all__ = ["CaptureProxy"]


class CaptureProxy(wrapt.FunctionWrapper):  # type: ignore[type-arg]
    """A ``wrapt.FunctionWrapper`` whose wrapper captures what the call raises."""

    @classmethod
    def around(cls, func: Any, plan: Plan, options: dict[str, Any], default: Any) -> CaptureProxy:
        """Return a proxy for ``func`` that reports its failures through ``plan``."""
        kind = _wrappers.callable_kind(func)
        core = _wrappers.generic(kind, plan, default, func)
        proxy = cls(func, _call(core, kind, plan, default, func))
        proxy._self_options = (options, default)  # type: ignore[attr-defined]
        return proxy

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        """Pickle as "decorate the (pickled) original with the same options"."""
        options, default = self._self_options
        return (_decorator.decorate, (self.__wrapped__, options, default))

    def __copy__(self) -> Any:
        """Return a proxy around a copy of the original, with the same options."""
        options, default = self._self_options
        return _decorator.decorate(copy.copy(self.__wrapped__), options, default)

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        """Return a proxy around a deep copy of the original, with the same options."""
        options, default = self._self_options
        return _decorator.decorate(copy.deepcopy(self.__wrapped__, memo), options, default)


def _call(
    core: Callable[..., Any], kind: str, plan: Any, default: Any, func: Any
) -> Callable[..., Any]:
    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: Any) -> Any:
        if wrapped is func:
            return core(*args, **kwargs)

        # Bound by wrapt (a descriptor used as a method): call what it bound, and report
        # the arguments with the instance in front, as the plan's signature has them.
        def handle(exc: Exception, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
            return plan.handle(exc, (instance, *args), kwargs)  # type: ignore[no-any-return]

        bound = _wrappers.generic(kind, plan, default, wrapped, handle)
        return bound(*args, **kwargs)

    return wrapper
