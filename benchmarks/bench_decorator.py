"""Success-path overhead of ``@auto_capture_errors`` against what users would write instead.

Compares, side by side in one process, per call of a trivial function (sync and async):

* ``bare``: the undecorated function (the floor);
* ``closure``: a hand-written ``functools.wraps`` closure with ``try/except``;
* ``wrapt``: a ``wrapt.decorator`` pass-through (what "built on wrapt" costs naively);
* ``autocapture``: ``@auto_capture_errors``;
* ``instrumented``: the function as ``instrument_modules`` compiles it (no wrapper: its
  body inside a ``try``).

Rounds are interleaved so that machine noise hits every variant alike; the table shows
the median time per call and the overhead above ``bare`` as a ratio to the closure's
overhead (target: at most 1.5x). Run: ``python benchmarks/bench_decorator.py``.
"""

from __future__ import annotations

import ast
import asyncio
import functools
import inspect
import statistics
import sys
import textwrap
import timeit
from typing import Any, Callable

import wrapt

from autocapture import auto_capture_errors, configure
from autocapture.sinks import MemorySink

CALLS = 200_000
ROUNDS = 15


def closure(func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except Exception:
            raise

    return wrapper


def async_closure(func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return await func(*args, **kwargs)
        except Exception:
            raise

    return wrapper


@wrapt.decorator
def passthrough(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    return wrapped(*args, **kwargs)


@wrapt.decorator
async def async_passthrough(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    return await wrapped(*args, **kwargs)


def get_user(user_id: int, active: bool = True) -> int:
    return user_id


async def aget_user(user_id: int, active: bool = True) -> int:
    return user_id


def instrumented(func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` compiled as ``instrument_modules`` compiles a module's functions."""
    from autocapture._decorator import _bare_options
    from autocapture._reporter import Reporter
    from autocapture._rewrite import rewrite
    from autocapture._rewritten import REPORTER

    tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    rewrite(tree)
    namespace: dict[str, Any] = {REPORTER: Reporter(_bare_options()), "__name__": __name__}
    exec(compile(tree, __file__, "exec", dont_inherit=True), namespace)  # noqa: S102
    return namespace[func.__name__]  # type: ignore[no-any-return]


def sync_variants() -> dict[str, Callable[..., Any]]:
    return {
        "bare": get_user,
        "closure": closure(get_user),
        "wrapt": passthrough(get_user),
        "autocapture": auto_capture_errors(get_user),
        "instrumented": instrumented(get_user),
    }


def async_variants() -> dict[str, Callable[..., Any]]:
    return {
        "bare": aget_user,
        "closure": async_closure(aget_user),
        "wrapt": async_passthrough(aget_user),
        "autocapture": auto_capture_errors(aget_user),
        "instrumented": instrumented(aget_user),
    }


def measure_sync(funcs: dict[str, Callable[..., Any]]) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in funcs}
    for _ in range(ROUNDS):
        for name, func in funcs.items():
            timer = timeit.Timer("f(7, active=False)", globals={"f": func})
            times[name].append(timer.timeit(CALLS) / CALLS)
    return times


def measure_async(funcs: dict[str, Callable[..., Any]]) -> dict[str, list[float]]:
    # Drive the coroutine by hand (send(None)) so the event loop's cost does not drown
    # the wrapper's: what is measured is creating and running the coroutine chain.
    times: dict[str, list[float]] = {name: [] for name in funcs}
    for _ in range(ROUNDS):
        for name, func in funcs.items():
            code = (
                "c = f(7, active=False)\ntry:\n    c.send(None)\nexcept StopIteration:\n    pass"
            )
            timer = timeit.Timer(code, globals={"f": func})
            times[name].append(timer.timeit(CALLS // 2) / (CALLS // 2))
    return times


def table(title: str, times: dict[str, list[float]]) -> list[str]:
    medians = {name: statistics.median(values) for name, values in times.items()}
    bare = medians["bare"]
    closure_overhead = medians["closure"] - bare
    lines = [
        title,
        f"  {'variant':<12} {'median ns/call':>15} {'overhead ns':>12} {'vs closure':>11}",
    ]
    for name, median in medians.items():
        overhead = median - bare
        ratio = overhead / closure_overhead if closure_overhead > 0 else float("nan")
        ratio_text = "-" if name == "bare" else f"{ratio:.2f}x"
        lines.append(
            f"  {name:<12} {median * 1e9:>15.1f} {overhead * 1e9:>12.1f} {ratio_text:>11}"
        )
    return lines


def main() -> int:
    # A sink is configured so no Sentry or logging setup is involved; no call fails anyway.
    configure(sink=MemorySink())
    print(
        f"Python {sys.version.split()[0]}, wrapt {wrapt.__version__}, {ROUNDS} rounds x {CALLS} calls"
    )
    print("\n".join(table("sync: f(7, active=False)", measure_sync(sync_variants()))))
    print()
    print("\n".join(table("async: await f(7, active=False)", measure_async(async_variants()))))
    print("\nTarget: autocapture's overhead at most 1.5x the closure's, sync and async.")
    asyncio.run(aget_user(1))  # sanity: the coroutines are real
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
