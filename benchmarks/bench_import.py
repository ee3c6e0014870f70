"""What ``import autocapture`` adds to the start-up of a process that imports sentry_sdk.

In fresh interpreters, interleaved: time ``import sentry_sdk`` and then ``import
autocapture`` (sentry_sdk already loaded: what autocapture itself costs). The table shows
medians (target: autocapture adds at most 30 ms). Run: ``python benchmarks/bench_import.py``.
"""

from __future__ import annotations

import statistics
import subprocess
import sys

ROUNDS = 15
CHILD = """
import time
began = time.perf_counter()
import sentry_sdk
middle = time.perf_counter()
import autocapture
print(middle - began, time.perf_counter() - middle)
"""


def main() -> int:
    subprocess.run([sys.executable, "-c", CHILD], check=True, capture_output=True)  # .pyc
    sentry: list[float] = []
    ours: list[float] = []
    for _ in range(ROUNDS):
        out = subprocess.run(
            [sys.executable, "-c", CHILD], capture_output=True, text=True, check=True
        ).stdout.split()
        sentry.append(float(out[0]))
        ours.append(float(out[1]))
    print(f"Python {sys.version.split()[0]}, {ROUNDS} fresh interpreters")
    print(f"  {'import':<34} {'median ms':>10}")
    print(f"  {'sentry_sdk':<34} {statistics.median(sentry) * 1e3:>10.1f}")
    print(f"  {'autocapture (after sentry_sdk)':<34} {statistics.median(ours) * 1e3:>10.1f}")
    print("\nTarget: autocapture adds at most 30 ms.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
