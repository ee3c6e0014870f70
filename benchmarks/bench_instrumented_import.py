"""Importing a 2,000-function module with ``instrument_modules`` against importing it plainly.

Generates a package with one module of 2,000 functions (plain, async, generators and
methods of classes, with parameter names of a typical service), then imports it in fresh
interpreters, alternately plain and instrumented (``instrument_modules`` called before
the import), and times the import alone, with the module's ``.pyc`` written as a
deployed app has it (``PYTHONDONTWRITEBYTECODE`` is dropped for the children: compiling
the source would be most of what is measured). The table shows medians and the ratio
(target: at most 1.5x). ``--compare DIR`` interleaves a second checkout (``DIR`` holding
its ``autocapture`` package). Run: ``python benchmarks/bench_instrumented_import.py``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

FUNCTIONS = 2_000
ROUNDS = 15
NAMES = ("user_id", "session", "request", "amount", "key", "value", "limit", "order", "db")

CHILD = """
import sys, time
sys.path.insert(0, {root!r})
import autocapture
if {instrumented!r}:
    autocapture.instrument_modules("benchpkg")
began = time.perf_counter()
import benchpkg.services
print(time.perf_counter() - began)
"""


def module_source() -> str:
    lines = ['"""A generated service module."""', ""]
    per_class = 10
    for i in range(0, FUNCTIONS, per_class * 2):
        for j in range(i, i + per_class):
            a, b = NAMES[j % len(NAMES)], NAMES[(j * 7 + 3) % len(NAMES)]
            kind = j % 4
            head = "async def" if kind == 1 else "def"
            body = f"    yield {a}" if kind == 2 else f"    return ({a}, {b}_2)"
            lines += [
                f"{head} function_{j}({a}, {b}_2=None, *, flag=False):",
                f'    """Do step {j}."""',
                f"    if flag:\n        raise ValueError({a})",
                body,
                "",
            ]
        lines += [f"class Service{i}:", f'    """Service {i}."""', ""]
        for j in range(i + per_class, i + 2 * per_class):
            a = NAMES[j % len(NAMES)]
            lines += [f"    def method_{j}(self, {a}, count=1):", f"        return {a}", ""]
    return "\n".join(lines) + "\n"


def run(root: str, *, instrumented: bool, path: str | None = None) -> float:
    code = CHILD.format(root=root, instrumented=instrumented)
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if path is not None:
        env["PYTHONPATH"] = path
    # From ``root``: ``-c`` puts the current directory first on sys.path, so run from a
    # checkout it would shadow the compared one.
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env, cwd=root
    ).stdout
    return float(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", help="a directory holding another autocapture package")
    args = parser.parse_args()
    variants: dict[str, tuple[bool, str | None]] = {
        "plain": (False, None),
        "instrumented": (True, None),
    }
    if args.compare:
        variants["instrumented (compared)"] = (True, str(Path(args.compare).resolve()))
    with tempfile.TemporaryDirectory() as tmp:
        package = Path(tmp) / "benchpkg"
        package.mkdir()
        (package / "__init__.py").write_text("")
        (package / "services.py").write_text(module_source())
        run(tmp, instrumented=False)  # writes the .pyc, as a deployed app has it
        for instrumented, path in variants.values():
            run(tmp, instrumented=instrumented, path=path)
        times: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(ROUNDS):
            for name, (instrumented, path) in variants.items():
                times[name].append(run(tmp, instrumented=instrumented, path=path))
    plain = statistics.median(times["plain"])
    print(f"Python {sys.version.split()[0]}, {FUNCTIONS} functions, {ROUNDS} interleaved rounds")
    print(f"  {'import':<26} {'median ms':>10} {'vs plain':>9}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:<26} {median * 1e3:>10.2f} {median / plain:>8.2f}x")
    print("\nTarget: instrumented at most 1.5x plain.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
