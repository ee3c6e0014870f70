"""Error-path cost: what one captured failure costs, against a raw Sentry capture.

Side by side in one process, per failing call of a provider-client function with
realistic arguments (a model, a short conversation, an API key):

* ``raise``: the undecorated function raises and the caller catches (the floor);
* ``memorysink``: ``@auto_capture_errors`` captures into a ``MemorySink`` and re-raises
  (argument binding, the claim, the snapshot of arguments, message, frame locals and
  callers, the event; a ``MemorySink``'s event is scrubbed at its first read);
* ``memorysink+read``: the same, the event then read once (its scrubbing, inference and
  event-wide redaction paid at that read): the whole cost of an event that is read;
* ``sentrysink``: ``@auto_capture_errors`` captures into a ``SentrySink`` (the event built,
  scrubbed, sent through the client of a plain ``sentry_sdk.init``, default integrations);
* ``sentrysink-bare``: the same with a client without integrations;
* ``sentry``: the undecorated function raises and the caller calls
  ``sentry_sdk.capture_exception`` with the client of a plain ``sentry_sdk.init`` (default
  integrations) whose transport drops envelopes;
* ``sentry-bare``: the same with a client without integrations, the cheapest baseline.

Every variant runs in every round, interleaved; the table gives medians per call and the
cost above the floor as a ratio to the matching raw Sentry capture (``sentrysink-bare``
against ``sentry-bare``, the others against ``sentry``). Targets: ``memorysink`` at most
0.03 of a raw capture, ``sentrysink`` at most 1.0 (bar 1.10). Run:
``python benchmarks/bench_capture.py``.

``python benchmarks/bench_capture.py --sections`` times the parts of the ``memorysink``
path instead (each part wrapped in a timer, minimum over rounds, wrappers included):
where a captured failure's time goes, and then where its first read's goes.
"""

from __future__ import annotations

import collections
import gc
import itertools
import statistics
import sys
import time
import timeit
from typing import Any, Callable

import sentry_sdk
from sentry_sdk.transport import Transport

from autocapture import _build as build
from autocapture import _capture as capture
from autocapture import _infer as infer
from autocapture import _pending as pending
from autocapture import _stack as stack
from autocapture import auto_capture_errors, configure
from autocapture._config import get_config
from autocapture.sinks import MemorySink, SentrySink

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


SINK = MemorySink()
to_memory = auto_capture_errors(sink=SINK)(chat_completion)
READ_SINK = MemorySink()
to_memory_read = auto_capture_errors(sink=READ_SINK)(chat_completion)
to_sentry = auto_capture_errors(sink=SentrySink())(chat_completion)


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


def run_memorysink() -> None:
    try:
        to_memory("openai/gpt-4o", conversation(), api_key=API_KEY, max_tokens=512)
    except ConnectionError:
        pass


def run_memorysink_read() -> None:
    # The event read once right away: the scrubbing a MemorySink's event defers to its
    # first read is paid here, so this is the whole cost of an event that is read.
    try:
        to_memory_read("openai/gpt-4o", conversation(), api_key=API_KEY, max_tokens=512)
    except ConnectionError:
        pass
    READ_SINK.events[0].message  # noqa: B018 - the read builds the event
    READ_SINK.clear()


def run_sentrysink() -> None:
    try:
        to_sentry("openai/gpt-4o", conversation(), api_key=API_KEY, max_tokens=512)
    except ConnectionError:
        pass


def run_sentry() -> None:
    try:
        chat_completion("openai/gpt-4o", conversation(), api_key=API_KEY, max_tokens=512)
    except ConnectionError as exc:
        sentry_sdk.capture_exception(exc)


def _timed(holder: Any, name: str, label: str, spent: collections.Counter[str]) -> None:
    # Replace holder.name by the same function timed into spent[label].
    func: Callable[..., Any] = getattr(holder, name)
    clock = time.perf_counter

    def timed(*args: Any, **kwargs: Any) -> Any:
        start = clock()
        try:
            return func(*args, **kwargs)
        finally:
            spent[label] += clock() - start

    setattr(holder, name, timed)


def sections() -> int:
    """Time the parts of the memorysink path (minimum over rounds, per call)."""
    configure(rate_limit=None)
    sentry_sdk.init(dsn="https://public@example.invalid/1", transport=DropTransport())
    spent: collections.Counter[str] = collections.Counter()
    parts = [
        # Plan.handle loads the capture core at its first failure (_plan._Core), so the
        # parts are timed where they are defined, before that first failure.
        (capture, "emit_error", "emit_error (all but the exclusions)"),
        (capture, "_claim", "  claim (lock, once marks, id)"),
        (capture, "defer", "  snapshot (all of it)"),
        (pending, "plain_copy", "    arguments' containers copied"),
        (stack, "raw_callers", "    callers (raw)"),
        (pending, "secret_locals", "    frame locals' secrets (read)"),
        (pending, "message_text", "    str(exc)"),
        (pending, "bound_context", "    bound context"),
        (pending, "bound_tags", "    bound tags"),
        (capture, "_new_event", "  _new_event"),
        (capture, "_deliver", "  deliver"),
        # At the first read of the event (not part of the failing call; timed apart).
        (pending.Pending, "fill", "first read: the whole build"),
        (get_config().scrubber, "scrub_mapping", "  scrub_mapping (arguments)"),
        (infer, "context_fields", "  context_fields"),
        (build, "_message", "  message scrub"),
        (build, "track_secret_locals", "  frame locals' secrets (applied)"),
        (build, "user_of", "  user_of"),
        (pending, "resolve", "  callers' lines"),
    ]
    for holder, name, label in parts:
        _timed(holder, name, label, spent)
    for _ in range(300):
        run_memorysink()
    rounds = []
    gc.disable()  # as timeit does
    for _ in range(ROUNDS):
        spent.clear()
        SINK.clear()
        start = time.perf_counter()
        for _ in range(CALLS // 2):
            run_memorysink()
        spent["total (the failing call)"] = time.perf_counter() - start
        for event in SINK.events:  # each event read once, outside the failing calls' total
            event.message  # noqa: B018 - the read builds the event
        rounds.append(dict(spent))
    gc.enable()
    best = {label: min(r.get(label, 0.0) for r in rounds) / (CALLS // 2) for label in rounds[0]}
    total = best["total (the failing call)"]
    order = ["total (the failing call)", *(label for _, _, label in parts)]
    read = order.index("first read: the whole build")
    for title, labels, whole in (
        ("the failing call", order[:read], total),
        ("the event's first read", order[read:], best.get(order[read], 0.0)),
    ):
        print(f"| {title:<38}| {'us/call':>8} | {'share':>6} |")
        print(f"|{'-' * 39}|{'-' * 9}:|{'-' * 7}:|")
        for label in labels:
            cost = best.get(label, 0.0)
            print(f"| {label:<38}| {cost * 1e6:>8.1f} | {cost / whole:>6.1%} |")
        print()
    return 0


def main() -> int:
    # Every call here is an emitted event: the cost of one, not of a rate-limited storm.
    configure(rate_limit=None)
    # Two Sentry baselines, swapped in per round: the client a plain ``sentry_sdk.init``
    # gives (default integrations on, frame variables included), and a bare client
    # without integrations (the cheapest Sentry capture there is).
    sentry_sdk.init(dsn="https://public@example.invalid/1", transport=DropTransport())
    clients = {
        "sentry": sentry_sdk.get_client(),
        "bare": sentry_sdk.Client(
            dsn="https://public@example.invalid/1",
            transport=DropTransport(),
            default_integrations=False,
        ),
    }
    # Each variant: its function, the client it runs with, the raw capture it is measured by.
    variants = {
        "raise": (run_raise, "sentry", None),
        "memorysink": (run_memorysink, "sentry", "sentry"),
        "memorysink+read": (run_memorysink_read, "sentry", "sentry"),
        "sentrysink": (run_sentrysink, "sentry", "sentry"),
        "sentrysink-bare": (run_sentrysink, "bare", "sentry-bare"),
        "sentry": (run_sentry, "sentry", None),
        "sentry-bare": (run_sentry, "bare", None),
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(ROUNDS):
        for name, (func, client, _base) in variants.items():
            sentry_sdk.get_global_scope().set_client(clients[client])
            times[name].append(timeit.timeit(func, number=CALLS) / CALLS)
            SINK.clear()
    medians = {name: statistics.median(values) for name, values in times.items()}
    floor = medians["raise"]
    print(
        f"Python {sys.version.split()[0]}, sentry-sdk {sentry_sdk.VERSION}, "
        f"{ROUNDS} rounds x {CALLS} failing calls"
    )
    print(f"| {'variant':<16}| {'median us/call':>15} | {'above floor us':>15} | {'ratio':>17} |")
    print(f"|{'-' * 17}|{'-' * 17}:|{'-' * 17}:|{'-' * 19}:|")
    for name, (_func, _client, base) in variants.items():
        cost = median = medians[name]
        cost = median - floor
        ratio = f"{cost / (medians[base] - floor):.3f} {base}" if base else "-"
        print(f"| {name:<16}| {median * 1e6:>15.2f} | {cost * 1e6:>15.2f} | {ratio:>17} |")
    print(
        "\nTargets: memorysink <= 0.03 of a raw sentry_sdk.capture_exception; sentrysink <= 1.0"
        " of it (bar 1.10), with default integrations and without (bare)."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(sections() if "--sections" in sys.argv[1:] else main())
