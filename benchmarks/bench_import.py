"""What autocapture adds to the start-up of a process that imports sentry_sdk.

In fresh interpreters, interleaved, each step timed after the one before it:

* ``import sentry_sdk`` (the reference: autocapture depends on it);
* ``import autocapture`` (sentry_sdk already loaded: what autocapture itself costs);
* ``configure()`` and ``@auto_capture_errors`` on one function: a realistic start-up;
* the first failure of that function, captured (default sink: logging, no Sentry
  client): what a lazy start moves there, paid once per process;
* a second failure, for comparison.

The table shows medians (target: ``import autocapture`` and the realistic start-up add at
most 30 ms over ``import sentry_sdk``). ``--compare DIR`` interleaves a second checkout
(``DIR`` holding its ``autocapture`` package, e.g. ``git archive main``) to compare.
Run: ``python benchmarks/bench_import.py [--compare DIR]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROUNDS = 15
CHILD = """
import time
began = time.perf_counter()
import sentry_sdk
t_sentry = time.perf_counter()
import autocapture
t_import = time.perf_counter()
autocapture.configure()

@autocapture.auto_capture_errors
def charge_card(user_id, amount):
    raise ConnectionError("gateway down")

t_start = time.perf_counter()
for _ in range(2):
    try:
        charge_card(7, amount=12.5)
    except ConnectionError:
        pass
    if _ == 0:
        t_first = time.perf_counter()
t_second = time.perf_counter()
print(t_sentry - began, t_import - t_sentry, t_start - t_sentry, t_first - t_start,
      t_second - t_first)
"""
STEPS = (
    "import sentry_sdk",
    "import autocapture",
    "+ configure() + decorate 1",
    "first capture (cold)",
    "second capture",
)


def run(path: str | None) -> list[float]:
    env = dict(os.environ)
    # With the .pyc files, as a deployed app has them (compiling the sources would be
    # most of what is measured).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if path is not None:
        env["PYTHONPATH"] = path
    # Not from the current directory: ``-c`` puts it first on sys.path, so run from a
    # checkout it would shadow the compared one.
    out = subprocess.run(
        [sys.executable, "-c", CHILD],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=tempfile.gettempdir(),
    ).stdout.split()
    return [float(value) for value in out]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", help="a directory holding another autocapture package")
    args = parser.parse_args()
    variants: dict[str, str | None] = {"this checkout": None}
    if args.compare:
        variants["compared"] = str(Path(args.compare).resolve())
    for path in variants.values():
        run(path)  # writes the .pyc files, as a deployed app has them
    times: dict[str, list[list[float]]] = {name: [] for name in variants}
    for _ in range(ROUNDS):
        for name, path in variants.items():
            times[name].append(run(path))
    print(f"Python {sys.version.split()[0]}, {ROUNDS} fresh interpreters, interleaved")
    header = "".join(f"{name:>16}" for name in variants)
    print(f"  {'median ms':<30}{header}")
    for index, step in enumerate(STEPS):
        cells = "".join(
            f"{statistics.median(r[index] for r in rounds) * 1e3:>16.1f}"
            for rounds in times.values()
        )
        print(f"  {step:<30}{cells}")
    print("\nTarget: import autocapture, and the start-up with it, add at most 30 ms.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
