"""Scrubbing throughput: autocapture's `Scrubber.scrub` vs logfire's scrubber.

Both scrub the same realistic payload, built here: a ~20 KB chat-completion request
(model, 20 messages, 6 tools with JSON schemas, headers with an `Authorization` bearer
token, nested metadata and usage counters). autocapture checks key words *and* value
shapes (JWTs, API keys, card numbers, URL passwords, PII) in every string; logfire
checks its key/value regex. Each is run in this process, warmed up, then timed in turn
with the garbage collector off; the table prints the median per call, the throughput in
MB/s of JSON-encoded payload, and the ratio of our throughput to logfire's (issue 10's
target: >= 5x with event-wide tracking on, the row the error path uses).

Run: `python benchmarks/bench_scrub.py` (logfire is optional: `pip install logfire`).

`--first` times instead the first scrub of a fresh interpreter (the text rules' patterns
are compiled then), with bytecode caching on, as the median of 9 interpreters;
`--first --compare DIR` alternates them with interpreters that import the autocapture
source tree in DIR (e.g. main's checkout), so that both see the same load.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Optional

from autocapture._scrub import EventSecrets, Scrubber

ROUNDS = 200
WARMUP = 50


def build_payload() -> dict[str, Any]:
    """Build a chat-completion request of about 20 KB (JSON-encoded)."""
    paragraph = (
        "Could you help me refactor this function so that it handles retries with "
        "exponential backoff? The current implementation at line 42 swallows the error and "
        "returns None, which makes debugging hard. We deploy on 3 regions and the p99 "
        "latency went from 180ms to 2.4s after the last release on 2024-05-14T10:22:31Z. "
    )
    request = "Please keep the public API unchanged, add a test for the retry path, thanks."
    messages: list[dict[str, Any]] = [
        {
            "role": "user" if i % 2 == 0 else "assistant",
            "content": paragraph * 2 + f"(turn {i}) " + request,
            "name": None if i % 3 else f"agent-{i}",
        }
        for i in range(20)
    ]
    messages[5]["tool_calls"] = [
        {
            "id": "call_9a8b7c6d5e",
            "type": "function",
            "function": {
                "name": "lookup_order_1",
                "arguments": json.dumps({"order_id": "ORD-2024-000123", "include_items": True}),
            },
        }
    ]
    tools = [
        {
            "type": "function",
            "function": {
                "name": f"lookup_order_{t}",
                "description": "Look up an order by id and return its status, items and "
                "shipping information.",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "order_id": {"type": "string", "description": "e.g. ORD-2024-000123."},
                        "include_items": {"type": "boolean", "default": True},
                        "max_results": {"type": "integer", "minimum": 1, "maximum": 100},
                        "region": {"type": "string", "enum": ["eu-west-1", "us-east-1"]},
                    },
                    "required": ["order_id"],
                },
            },
        }
        for t in range(6)
    ]
    return {
        "model": "openai/gpt-4o-mini",
        "messages": messages,
        "tools": tools,
        "tool_choice": "auto",
        "temperature": 0.7,
        "max_tokens": 1024,
        "stream": False,
        "headers": {
            "Authorization": "Bearer " + "abcDEF123456" * 4,
            "Content-Type": "application/json",
            "User-Agent": "openai-python/1.30.1",
            "X-Request-Id": "7f3c2b1a-9d8e-4f6a-b5c4-3e2d1f0a9b8c",
            "HTTP-Referer": "https://example.com/app",
            "X-Title": "Acme Chat",
        },
        "metadata": {
            "user_id": "u-12345",
            "session_count": 3,
            "trace": {
                "span_id": "a1b2c3d4e5f60718",
                "parent": {"service": "gateway", "version": "2.3.1", "region": "eu-west-1"},
            },
            "usage": {"prompt_tokens": 1523, "completion_tokens": 377, "total_tokens": 1900},
            "tags": ["prod", "chat", "beta"],
        },
    }


def _known_secrets() -> EventSecrets:
    known = EventSecrets()
    for n in range(8):
        known.add(f"Zq9xLm2Pw7Rt4Vb8-{n}")
    return known


def interleaved_medians(funcs: dict[str, Callable[[], object]]) -> dict[str, float]:
    """Median wall time of one call of each, run in turn round after round (fair under load).

    The garbage collector is off while timing (as `timeit` does): a collection triggered
    by one scrubber's garbage would otherwise be charged to whichever runs next.
    """
    for func in funcs.values():
        for _ in range(WARMUP):
            func()
    times: dict[str, list[float]] = {name: [] for name in funcs}
    gc.collect()
    gc.disable()
    try:
        order = list(funcs.items())
        for _ in range(ROUNDS):
            order.append(order.pop(0))  # each goes first in turn, after the collection
            for name, func in order:
                start = time.perf_counter()
                func()
                times[name].append(time.perf_counter() - start)
            gc.collect()
    finally:
        gc.enable()
    return {name: statistics.median(t) for name, t in times.items()}


def main() -> None:
    payload = build_payload()
    size = len(json.dumps(payload).encode())
    ours = Scrubber()  # default limits: nothing in this payload is cut
    result = ours.scrub(payload)
    assert result["headers"]["Authorization"] == "[REDACTED]"
    assert result["max_tokens"] == 1024
    assert result["messages"] == payload["messages"]  # nothing cut, nothing lost
    ours_pii = Scrubber(send_pii=True)
    funcs: dict[str, Callable[[], object]] = {
        "autocapture Scrubber.scrub": lambda: ours.scrub(payload),
        "autocapture Scrubber.scrub (send_pii=True)": lambda: ours_pii.scrub(payload),
        # Event-wide tracking on, as on the error path: a fresh set per event, which
        # fills with what it redacts (the bearer token) and checks every later string.
        "autocapture scrub, event-wide tracking": lambda: ours.scrub(
            payload, secrets=EventSecrets()
        ),
        "autocapture scrub, 8 secrets already known": lambda: ours.scrub(
            payload, secrets=_known_secrets()
        ),
    }
    try:
        from logfire._internal.scrubbing import Scrubber as LogfireScrubber
    except ImportError:
        pass
    else:
        theirs = LogfireScrubber(None)
        funcs["logfire Scrubber.scrub_value"] = lambda: theirs.scrub_value(
            ("attributes",), payload
        )
    medians = interleaved_medians(funcs)
    logfire_time = medians.get("logfire Scrubber.scrub_value")

    print(f"payload: {size:,} bytes of JSON; interleaved medians of {ROUNDS} rounds")
    print(f"{'scrubber':<44} {'median':>10} {'MB/s':>8} {'vs logfire':>11}")
    for name, seconds in medians.items():
        ratio = f"{logfire_time / seconds:.2f}x" if logfire_time else "n/a"
        print(f"{name:<44} {seconds * 1e6:>8.1f}us {size / seconds / 1e6:>8.2f} {ratio:>11}")


# A fresh interpreter's first scrub: one chat message and its headers.
_FIRST_SCRUB = """
import time
from autocapture._scrub import Scrubber
scrubber = Scrubber()
started = time.perf_counter()
scrubber.scrub({"content": "at 2024-05-14T10:22:31Z, retry", "Authorization": "Bearer x"})
print(time.perf_counter() - started)
"""
FIRST_RUNS = 9


def _first_scrub(tree: Path) -> float:
    """Run one fresh interpreter in `tree` (its `autocapture` comes first on the path)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(tree)
    done = subprocess.run(
        [sys.executable, "-c", _FIRST_SCRUB],
        env=env,
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout)


def first(compare: Optional[str]) -> None:
    """Print the median first-scrub time of fresh interpreters (alternated with `compare`)."""
    trees = {"this tree": Path(__file__).resolve().parents[1]}
    if compare is not None:
        trees[compare] = Path(compare).resolve()
    for tree in trees.values():
        _first_scrub(tree)  # writes the bytecode caches
    times: dict[str, list[float]] = {name: [] for name in trees}
    for _ in range(FIRST_RUNS):
        for name, tree in trees.items():
            times[name].append(_first_scrub(tree))
    for name, measured in times.items():
        print(f"first scrub, {name}: median {statistics.median(measured) * 1e3:.1f} ms")


if __name__ == "__main__":
    args = sys.argv[1:]
    if "--first" in args:
        first(args[args.index("--compare") + 1] if "--compare" in args else None)
    else:
        main()
