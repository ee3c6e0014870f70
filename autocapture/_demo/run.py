"""Run the example service, let it fail, and print what autocapture reports.

Each scenario calls the service the way production would; every event goes to a
``MemorySink`` and is printed field by field, so a new user sees in one screen what would
reach Sentry: the context type and operation, the function, the arguments with secrets
``[REDACTED]``, the context fields and the tags; and that an error is reported once.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable

from autocapture import CapturedError, bind_context, configure
from autocapture.sinks import MemorySink

_WIDTH = 78


@dataclass(frozen=True)
class _Scenario:
    title: str
    call: str
    run: Callable[[], object]


def _secrets() -> dict[str, str]:
    # Fake credentials made at run time, shaped like real ones so the scrubber must work.
    return {
        "api_key": "sk-or-v1-" + "5f0c8a2e9b7d4c1a" * 4,
        "password": "correct-horse-battery-staple",
        "card_number": "4242 4242 4242 4242",
    }


def _scenarios(secrets: dict[str, str]) -> list[_Scenario]:
    from autocapture._demo.service.db import users
    from autocapture._demo.service.routes import chat
    from autocapture._demo.service.services import cache, openrouter_client, payments
    from autocapture._demo.service.tasks import jobs

    def in_background() -> object:
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(jobs.sync_model_catalog, "openrouter", 2.5).result()

    return [
        _Scenario(
            "An LLM provider is overloaded (and echoes the API key in its error)",
            "chat_completion('openai/gpt-4o', [...], api_key=...)",
            lambda: openrouter_client.chat_completion(
                "openai/gpt-4o",
                [{"role": "user", "content": "Summarise this contract"}],
                api_key=secrets["api_key"],
                max_tokens=512,
            ),
        ),
        _Scenario(
            "A user lookup misses",
            "users.get_user(42)",
            lambda: users.get_user(42),
        ),
        _Scenario(
            "A sign-up hits a unique constraint (the password is an argument)",
            "users.insert_user('ada@example.com', password=...)",
            lambda: users.insert_user("ada@example.com", password=secrets["password"]),
        ),
        _Scenario(
            "A card is declined",
            "payments.charge_customer('u-1', 49.0, 'EUR', card_number=...)",
            lambda: payments.charge_customer(
                "u-1", 49.0, "EUR", card_number=secrets["card_number"]
            ),
        ),
        _Scenario(
            "The cache is down (reraise=False: the call serves a default)",
            "cache.get_cached_models('models:all')",
            lambda: cache.get_cached_models("models:all"),
        ),
        _Scenario(
            "A background job times out in a thread pool",
            "executor.submit(jobs.sync_model_catalog, 'openrouter', 2.5)",
            in_background,
        ),
        _Scenario(
            "A route turns a provider failure into a 503 `from` it",
            "chat.create_chat_completion({'model': ...}, api_key=...)",
            lambda: chat.create_chat_completion(
                {"model": "anthropic/claude-sonnet"}, api_key=secrets["api_key"]
            ),
        ),
        _Scenario(
            "A route answers 404 for an unknown model (an answer, not a bug)",
            "chat.get_model('gpt-5-ultra')",
            lambda: chat.get_model("gpt-5-ultra"),
        ),
    ]


class _Style:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.enabled else text


def _value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."  # noqa: PLR2004


def _pairs(mapping: Any) -> str:
    return "  ".join(f"{k}={_value(v)}" for k, v in mapping.items()) or "-"


def _field(style: _Style, name: str, text: str) -> list[str]:
    label = style(f"{name:<10}", "2")
    lines = textwrap.wrap(text, _WIDTH - 15, break_long_words=False) or ["-"]
    return [f"    {label} {lines[0]}"] + [f"    {' ' * 10} {line}" for line in lines[1:]]


def _describe(style: _Style, event: CapturedError) -> list[str]:
    out = ["  " + style("captured", "1;31")]
    out += _field(style, "error", f"{type(event.exception).__name__}: {event.message}")
    kind = event.context_type + (f" / {event.operation}" if event.operation else "")
    out += _field(style, "type", kind)
    out += _field(style, "function", event.function)
    out += _field(style, "arguments", _pairs(event.arguments))
    fields = {k: v for k, v in event.context.items() if k != "operation"}
    out += _field(style, "context", _pairs(fields))
    out += _field(style, "user", _pairs(event.user))
    tags = {k: v for k, v in event.tags.items() if k not in ("function", "module")}
    out += _field(style, "tags", _pairs(tags))
    out += _field(style, "event id", f"{event.event_id}  (level {event.level})")
    return out


def main(argv: Sequence[str] = ()) -> int:
    """Run the demo and print every captured event.

    Args:
        argv: The arguments after ``autocapture demo``.

    Returns:
        0 when every scenario behaved as documented, 1 otherwise, 2 on bad usage.
    """
    parser = argparse.ArgumentParser(
        prog="autocapture demo",
        description="Run a small example service whose failures autocapture reports.",
    )
    parser.add_argument("--no-color", action="store_true", help="plain text output")
    parser.add_argument("--json", action="store_true", help="print the events as JSON lines")
    try:
        args = parser.parse_args(list(argv))
    except SystemExit as exit_:
        return 0 if exit_.code == 0 else 2
    style = _Style(sys.stdout.isatty() and not args.no_color and "NO_COLOR" not in os.environ)
    secrets = _secrets()
    sink = MemorySink()
    # Process-wide, not use_sink(): the job scenario runs in an executor thread, which
    # does not inherit the caller's context variables.
    configure(sink=sink)
    if not args.json:
        print(style("autocapture demo", "1"))
        print(
            "An example backend (provider client, database, payments, cache, jobs, routes)\n"
            "fails in the ways the audited service does. This is what reaches the tracker.\n"
        )
    scenarios = _scenarios(secrets)
    counts = [
        len(_run(style, sink, number, scenario, as_json=args.json))
        for number, scenario in enumerate(scenarios, 1)
    ]
    once = all(count <= 1 for count in counts)
    shipped = [
        json.dumps([e.message, e.arguments, e.context, e.tags, e.user], default=str)
        for e in sink.events
    ]
    leaked = [name for name, value in secrets.items() if any(value in s for s in shipped)]
    ok = once and not leaked and len(sink) == len(scenarios) - 1
    if not args.json:
        _summary(style, len(scenarios), len(sink), leaked, len(secrets))
    return 0 if ok else 1


def _run(
    style: _Style, sink: MemorySink, number: int, scenario: _Scenario, *, as_json: bool
) -> list[CapturedError]:
    before = len(sink)
    with bind_context(request_id=f"req-{number:04d}", user_id="u-1"):
        try:
            result = scenario.run()
            outcome = f"returned {result!r}"
        except Exception as exc:  # the demo shows what each call raised
            outcome = f"raised {type(exc).__name__} to the caller"
    new = sink.events[before:]
    if as_json:
        for event in new:
            print(json.dumps(_as_json(event), default=str))
        return new
    print(style(f"[{number}] {scenario.title}", "1;36"))
    print(f"  {style('call', '2')}      {scenario.call}")
    print(f"  {style('result', '2')}    {outcome}")
    for event in new:
        print("\n".join(_describe(style, event)))
    if not new:
        print("  " + style("not captured", "1;32") + ": a 4xx HTTP error is an answer, not a bug")
    print()
    return new


def _summary(style: _Style, calls: int, events: int, leaked: list[str], planted: int) -> None:
    print(style("Summary", "1"))
    print(f"  {calls} calls, {events} events: each failure reported once,")
    print("  the 503 raised `from` the provider error made no second event, the 404 none.")
    if leaked:
        print("  " + style("LEAK", "1;31") + f": {', '.join(leaked)} reached an event")
    else:
        print(
            f"  None of the {planted} planted secrets (an API key, a password, a card "
            "number)\n  appears in any field a sink ships."
        )
    print("\nNext: `autocapture audit PATH` tells you which errors your own code loses.")


def _as_json(event: CapturedError) -> dict[str, Any]:
    return {
        "event_id": event.event_id,
        "exception_type": type(event.exception).__name__,
        "message": event.message,
        "context_type": event.context_type,
        "operation": event.operation,
        "function": event.function,
        "arguments": dict(event.arguments),
        "context": dict(event.context),
        "user": dict(event.user),
        "tags": dict(event.tags),
        "level": event.level,
        "timestamp": event.timestamp.isoformat(),
    }
