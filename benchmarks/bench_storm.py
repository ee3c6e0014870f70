"""Error storms: what one bug failing 100,000 times costs, and what it does to an event loop.

Side by side in one process (interleaved rounds, medians), with a real sentry-sdk client
(default integrations) whose transport works like the real one: a 100-slot background
worker that serialises and gzips each envelope and waits 2 ms (the network).

1. **Storm**: 100,000 identical failures of one decorated provider call into
   ``SentrySink``, default rate limit: how many events reach the transport.
2. **CPU per call**, above the floor of raising and catching: a suppressed capture
   (default limit, window saturated), an emitted capture (``rate_limit=None``) and a raw
   ``sentry_sdk.capture_exception``; ratios suppressed / emitted and suppressed / raw.
3. **Event-loop lag** while 16 tasks fail continuously for 1.5 s: a ticker sleeps 1 ms
   and records how late it wakes; p50 / p99 for raw Sentry, autocapture as of today
   (synchronous, no rate limit), background delivery alone (no rate limit: the queue of
   1,000 fills and drops) and autocapture's defaults (rate limit, and delivery in the
   background on the loop's thread).

Run: ``python benchmarks/bench_storm.py`` (about a minute).
"""

from __future__ import annotations

import asyncio
import gzip
import statistics
import sys
import time
from typing import Any

import sentry_sdk
from sentry_sdk.transport import Transport
from sentry_sdk.worker import BackgroundWorker

import autocapture
from autocapture import RateLimit, auto_capture_errors, configure
from autocapture import _ratelimit as ratelimit_state
from autocapture.sinks import SentrySink

STORM = 100_000
ROUNDS = 7
CALLS = 1_000
LAG_SECONDS = 1.5
TASKS = 16
API_KEY = "sk-or-v1-" + "5f0c8a2e9b7d4c1a" * 4
MESSAGES = [{"role": "user", "content": "Summarise the attached contract."}]


class WorkingTransport(Transport):
    """Like sentry-sdk's HTTP transport: a 100-slot worker serialises, gzips, 'sends'."""

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self._worker = BackgroundWorker(queue_size=100)
        self.sent = 0

    def capture_envelope(self, envelope: Any) -> None:
        self._worker.submit(lambda: self._send(envelope))

    def _send(self, envelope: Any) -> None:
        gzip.compress(envelope.serialize())
        time.sleep(0.002)
        self.sent += 1

    def flush(self, timeout: float, callback: Any = None) -> None:
        self._worker.flush(timeout)

    def kill(self) -> None:
        self._worker.kill()


def call_provider(model: str, messages: list[dict[str, str]], api_key: str) -> str:
    raise ConnectionError(f"upstream 503 for {model}: overloaded")


decorated = auto_capture_errors(sink=SentrySink())(call_provider)


def run_raise() -> None:
    try:
        call_provider("gpt-4o", MESSAGES, api_key=API_KEY)
    except ConnectionError:
        pass


def run_autocapture() -> None:
    try:
        decorated("gpt-4o", MESSAGES, api_key=API_KEY)
    except ConnectionError:
        pass


def run_sentry() -> None:
    try:
        call_provider("gpt-4o", MESSAGES, api_key=API_KEY)
    except ConnectionError as exc:
        sentry_sdk.capture_exception(exc)


def cpu_per_call(func: Any, calls: int) -> float:
    start = time.process_time()
    for _ in range(calls):
        func()
    return (time.process_time() - start) / calls


def storm(transport: WorkingTransport) -> tuple[int, float]:
    configure(rate_limit=RateLimit())
    ratelimit_state._reset()  # noqa: SLF001 - a fresh window for the storm
    before = transport.sent
    start = time.process_time()
    for _ in range(STORM):
        run_autocapture()
    cpu = time.process_time() - start
    autocapture.flush(30)
    sentry_sdk.flush(30)
    return transport.sent - before, cpu


def per_call_costs() -> dict[str, float]:
    samples: dict[str, list[float]] = {"raise": [], "suppressed": [], "emitted": [], "raw": []}
    for _ in range(ROUNDS):
        samples["raise"].append(cpu_per_call(run_raise, CALLS * 10))
        configure(rate_limit=RateLimit())
        for _ in range(20):  # saturate the window: every further call is suppressed
            run_autocapture()
        samples["suppressed"].append(cpu_per_call(run_autocapture, CALLS * 10))
        configure(rate_limit=None)
        samples["emitted"].append(cpu_per_call(run_autocapture, CALLS))
        samples["raw"].append(cpu_per_call(run_sentry, CALLS))
        sentry_sdk.flush(30)
    return {name: statistics.median(values) for name, values in samples.items()}


async def loop_lag(fail: Any) -> tuple[float, float, int]:
    stop = time.perf_counter() + LAG_SECONDS
    lags: list[float] = []
    failures = 0

    async def failing() -> None:
        nonlocal failures
        while time.perf_counter() < stop:
            fail()
            failures += 1
            await asyncio.sleep(0)

    async def ticker() -> None:
        while time.perf_counter() < stop:
            start = time.perf_counter()
            await asyncio.sleep(0.001)
            lags.append(time.perf_counter() - start - 0.001)

    await asyncio.gather(ticker(), *(failing() for _ in range(TASKS)))
    lags.sort()
    return lags[len(lags) // 2], lags[int(len(lags) * 0.99)], failures


def lag_table() -> dict[str, tuple[float, float, int]]:
    variants = {
        "raw sentry": (run_sentry, {}),
        "autocapture sync, no limit": (run_autocapture, {"rate_limit": None, "delivery": "sync"}),
        "autocapture background, no limit": (
            run_autocapture,
            {"rate_limit": None, "delivery": "background"},
        ),
        "autocapture defaults": (run_autocapture, {"rate_limit": RateLimit(), "delivery": "auto"}),
    }
    results: dict[str, list[tuple[float, float, int]]] = {name: [] for name in variants}
    for _ in range(3):
        for name, (fail, options) in variants.items():
            configure(**options)
            ratelimit_state._reset()  # noqa: SLF001
            results[name].append(asyncio.run(loop_lag(fail)))
            autocapture.flush(30)
            sentry_sdk.flush(30)
    return {
        name: (
            statistics.median(r[0] for r in runs),
            statistics.median(r[1] for r in runs),
            int(statistics.median(r[2] for r in runs)),
        )
        for name, runs in results.items()
    }


def main() -> int:
    transport = WorkingTransport()
    sentry_sdk.init(dsn="https://public@example.invalid/1", transport=transport)
    print(f"Python {sys.version.split()[0]}, sentry-sdk {sentry_sdk.VERSION}")
    emitted, storm_cpu = storm(transport)
    print(
        f"\nstorm: {STORM:,} identical failures -> {emitted} events sent "
        f"({storm_cpu:.2f} s CPU, {storm_cpu / STORM * 1e6:.1f} us per failure)"
    )
    costs = per_call_costs()
    floor = costs["raise"]
    above = {name: costs[name] - floor for name in ("suppressed", "emitted", "raw")}
    print(f"\nCPU per failing call, above raise+catch ({floor * 1e6:.2f} us), medians:")
    print(f"  {'variant':<24} {'us/call':>9} {'vs emitted':>11} {'vs raw':>8}")
    for name, label in (
        ("suppressed", "autocapture suppressed"),
        ("emitted", "autocapture emitted"),
        ("raw", "raw capture_exception"),
    ):
        print(
            f"  {label:<24} {above[name] * 1e6:>9.2f} "
            f"{above[name] / above['emitted']:>10.4f}x {above[name] / above['raw']:>7.4f}x"
        )
    print(f"\nevent-loop lag, {TASKS} tasks failing for {LAG_SECONDS} s (medians of 3 runs):")
    print(f"  {'variant':<34} {'p50 ms':>8} {'p99 ms':>8} {'failures':>9}")
    for name, (p50, p99, failures) in lag_table().items():
        print(f"  {name:<34} {p50 * 1e3:>8.2f} {p99 * 1e3:>8.2f} {failures:>9,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
