"""What decorating costs: ``@auto_capture_errors`` against a ``functools.wraps`` closure.

Decorates fresh functions (each its own parameter names, as in a real module) with:

* ``closure``: a hand-written ``functools.wraps`` closure with ``try/except``;
* ``autocapture``: ``@auto_capture_errors`` (bare), on functions whose parameter names are
  all distinct (the worst case: no two wrappers share a code object) and on functions with
  the parameter names of a typical module (``self``, ``user_id``, ``session``...);
* ``autocapture(tags=...)``: with options, validated per call of the decorator (here one
  call per function);
* ``autocapture(tags=...), one decorator``: one decorator with options applied to every
  function (``instrument_modules``, a decorated class, a shared ``capture = ...``): the
  per-function part alone.

Rounds are interleaved; the table shows the median time per decoration and its ratio to
the closure's (target: at most 3x). ``--compare DIR`` (``DIR`` holding another
``autocapture`` package, e.g. a checkout of main) runs this checkout and that one in
alternating fresh interpreters, each measuring its own closure, and shows both side by side.
Run: ``python benchmarks/bench_decoration.py [--compare DIR]``.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

from autocapture import auto_capture_errors

FUNCTIONS = 2_000
ROUNDS = 9


def closure(func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except Exception:
            raise

    return wrapper


# Parameter names of a typical service module: they repeat from function to function.
COMMON = ("order", "user_id", "session", "request", "amount", "key", "value", "db", "limit")


def make_functions(count: int, start: int, *, distinct: bool = True) -> list[Callable[..., Any]]:
    # distinct: every function has parameter names of its own (the worst case: no two
    # wrappers share a code object); else names drawn from COMMON, as in real code.
    namespace: dict[str, Any] = {}

    def names(i: int) -> tuple[str, str, str]:
        if distinct:
            return f"item_{i}", f"count_{i}", f"flag_{i}"
        picked = [COMMON[(i * k) % len(COMMON)] for k in (1, 2, 5)]
        return picked[0], f"{picked[1]}_2", f"{picked[2]}_3"

    source = "\n".join(
        "def f{0}(self, {1}, {2}=1, *, {3}=False):\n    return {1}\n".format(i, *names(i))
        for i in range(start, start + count)
    )
    exec(compile(source, "<bench>", "exec"), namespace)  # noqa: S102 - generated functions
    return [namespace[f"f{i}"] for i in range(start, start + count)]


def with_tags(func: Callable[..., Any]) -> Callable[..., Any]:
    return auto_capture_errors(tags={"team": "billing"})(func)


shared_tags = auto_capture_errors(tags={"team": "billing"})


VARIANTS: dict[str, tuple[Callable[[Callable[..., Any]], Any], bool]] = {
    "closure": (closure, True),
    "autocapture, distinct names": (auto_capture_errors, True),
    "autocapture, common names": (auto_capture_errors, False),
    "autocapture(tags=...)": (with_tags, True),
    "autocapture(tags=...), one decorator": (shared_tags, True),
}


def measure() -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in VARIANTS}
    start = 0
    for _ in range(ROUNDS):
        for name, (decorate, distinct) in VARIANTS.items():
            functions = make_functions(FUNCTIONS, start, distinct=distinct)
            start += FUNCTIONS
            began = time.perf_counter()
            for func in functions:
                decorate(func)
            times[name].append((time.perf_counter() - began) / FUNCTIONS)
    return times


def child(path: str | None) -> dict[str, float]:
    # One fresh interpreter, importing autocapture from ``path`` (None: this checkout):
    # the median time of each variant over its rounds.
    env = dict(os.environ)
    if path is not None:
        env["PYTHONPATH"] = path
    out = subprocess.run(
        [sys.executable, __file__, "--child"], capture_output=True, text=True, check=True, env=env
    ).stdout
    return json.loads(out)  # type: ignore[no-any-return]


def compare(path: str, runs: int) -> None:
    checkouts = {"this checkout": None, "compared": str(Path(path).resolve())}
    ratios: dict[str, dict[str, list[float]]] = {name: {} for name in checkouts}
    for _ in range(runs):
        for checkout, where in checkouts.items():
            medians = child(where)
            for name, median in medians.items():
                ratios[checkout].setdefault(name, []).append(median / medians["closure"])
    print(f"Python {sys.version.split()[0]}, {runs} interleaved interpreters per checkout,")
    print(f"each {ROUNDS} rounds x {FUNCTIONS} fresh functions; median ratio to its own closure")
    print(f"  {'variant':<38}" + "".join(f"{name:>16}" for name in checkouts))
    for name in VARIANTS:
        cells = "".join(f"{statistics.median(ratios[c][name]):>15.2f}x" for c in checkouts)
        print(f"  {name:<38}{cells}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", help="a directory holding another autocapture package")
    parser.add_argument("--runs", type=int, default=5, help="interpreters per checkout")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps({name: statistics.median(v) for name, v in measure().items()}))
        return 0
    if args.compare:
        compare(args.compare, args.runs)
    else:
        print(f"Python {sys.version.split()[0]}, {ROUNDS} rounds x {FUNCTIONS} fresh functions")
        times = measure()
        base = statistics.median(times["closure"])
        print(f"  {'variant':<38} {'median us/decoration':>21} {'vs closure':>11}")
        for name, values in times.items():
            median = statistics.median(values)
            print(f"  {name:<38} {median * 1e6:>21.2f} {median / base:>10.2f}x")
    print("\nTarget: autocapture at most 3x the closure.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
