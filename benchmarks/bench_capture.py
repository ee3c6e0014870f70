"""Error-path cost: what one captured failure costs, against a raw Sentry capture.

Side by side in one process, per failing call of a provider-client function with
realistic arguments (a model, a short conversation, an API key):

* ``raise``: the undecorated function raises and the caller catches (the floor);
* ``autocapture``: ``@auto_capture_errors`` captures into a ``MemorySink`` and re-raises
  (argument binding, inference, scrubbing of arguments and message, the event);
* ``sentry``: the undecorated function raises and the caller calls
  ``sentry_sdk.capture_exception`` with the client of a plain ``sentry_sdk.init`` (default
  integrations) whose transport drops envelopes;
* ``sentry-bare``: the same with a client without integrations, the cheapest baseline.

The table gives medians per call and the cost above the floor as a ratio to each Sentry
baseline (target: autocapture <= 0.05 of a raw Sentry capture). Run:
``python benchmarks/bench_capture.py``.
"""

from __future__ import annotations

import itertools
import statistics
import sys
import timeit
from typing import Any

import sentry_sdk
from sentry_sdk.transport import Transport

from autocapture import auto_capture_errors, configure
from autocapture.sinks import MemorySink

ROUNDS = 9
CALLS = 2_000

MESSAGES = [
    {"role": "system", "content": "You are a careful assistant."},
    {"role": "user", "content": "Summarise the attached contract in three bullet points."},
]
API_KEY = "sk-or-v1-" + "5f0c8a2e9b7d4c1a" * 4


class DropTransport(Transport):
    """A transport that accepts every envelope and sends nothing."""

    def capture_envelope(self, envelope: Any) -> None:
        pass

    def flush(self, timeout: float, callback: Any = None) -> None:
        pass

    def kill(self) -> None:
        pass


def chat_completion(
    model: str, messages: list[dict[str, str]], api_key: str, max_tokens: int
) -> str:
    raise ConnectionError(f"upstream 503 for {model}: overloaded")


decorated = auto_capture_errors(chat_completion)


_counter = itertools.count()


def conversation() -> list[dict[str, str]]:
    # A new user message per call, as in production: nothing can be served from a cache.
    n = next(_counter)
    return [*MESSAGES, {"role": "user", "content": f"Follow-up question number {n}?"}]


def run_raise() -> None:
    try:
        chat_completion("openai/gpt-4o", conversation(), api_key=API_KEY, max_tokens=512)
    except ConnectionError:
        pass


def run_autocapture() -> None:
    try:
        decorated("openai/gpt-4o", conversation(), api_key=API_KEY, max_tokens=512)
    except ConnectionError:
        pass


def run_sentry() -> None:
    try:
        chat_completion("openai/gpt-4o", conversation(), api_key=API_KEY, max_tokens=512)
    except ConnectionError as exc:
        sentry_sdk.capture_exception(exc)


def main() -> int:
    sink = MemorySink()
    configure(sink=sink)
    # Two Sentry baselines, swapped in per round: the client a plain ``sentry_sdk.init``
    # gives (default integrations on, frame variables included), and a bare client
    # without integrations (the cheapest Sentry capture there is).
    sentry_sdk.init(dsn="https://public@example.invalid/1", transport=DropTransport())
    clients = {
        "sentry": sentry_sdk.get_client(),
        "sentry-bare": sentry_sdk.Client(
            dsn="https://public@example.invalid/1",
            transport=DropTransport(),
            default_integrations=False,
        ),
    }
    variants = {
        "raise": run_raise,
        "autocapture": run_autocapture,
        "sentry": run_sentry,
        "sentry-bare": run_sentry,
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(ROUNDS):
        for name, func in variants.items():
            sentry_sdk.get_global_scope().set_client(clients.get(name, clients["sentry"]))
            times[name].append(timeit.timeit(func, number=CALLS) / CALLS)
            sink.clear()
    medians = {name: statistics.median(values) for name, values in times.items()}
    floor = medians["raise"]
    print(
        f"Python {sys.version.split()[0]}, sentry-sdk {sentry_sdk.VERSION}, "
        f"{ROUNDS} rounds x {CALLS} failing calls"
    )
    print(
        f"  {'variant':<12} {'median us/call':>15} {'above floor us':>15} "
        f"{'vs sentry':>10} {'vs bare':>8}"
    )
    for name, median in medians.items():
        cost = median - floor
        if name == "raise":
            ratios = ("-", "-")
        else:
            ratios = tuple(
                f"{cost / (medians[base] - floor):.3f}" for base in ("sentry", "sentry-bare")
            )
        print(
            f"  {name:<12} {median * 1e6:>15.2f} {cost * 1e6:>15.2f} {ratios[0]:>10} {ratios[1]:>8}"
        )
    print(
        "\nTarget: autocapture's error path at most 0.05 of a raw sentry_sdk.capture_exception"
        " (vs sentry: a default init; vs bare: a client without integrations)."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
