"""Never executed: mypy checks that the public API keeps the decorated functions' types."""

from __future__ import annotations

from collections.abc import AsyncIterator, Coroutine, Iterator
from typing import Any

from typing_extensions import assert_type

from autocapture import (
    CapturedError,
    RateLimit,
    auto_capture_errors,
    bind_context,
    capture_error,
    capture_provider_error,
    configure,
    flush,
    scrub,
    use_sink,
)
from autocapture.sinks import LoggingSink, MemorySink, MultiSink, SentrySink, Sink


@auto_capture_errors
def get_user(user_id: int, *, active: bool = True) -> dict[str, int]:
    return {"id": user_id}


@auto_capture_errors(context_type="provider", reraise=True, tags={"team": "infra"})
async def call_model(provider: str, model: str, api_key: str) -> str:
    return model


@auto_capture_errors
def numbers() -> Iterator[int]:
    yield 1


@auto_capture_errors(level="warning")
async def anumbers() -> AsyncIterator[int]:
    yield 1


class Repository:
    @auto_capture_errors
    def get(self, key: str) -> bytes:
        return key.encode()


assert_type(get_user(1), dict[str, int])
assert_type(get_user(1, active=False), dict[str, int])
assert_type(numbers(), Iterator[int])
assert_type(anumbers(), AsyncIterator[int])
assert_type(Repository().get("k"), bytes)


async def use() -> None:
    coroutine = assert_type(call_model("openrouter", "gpt-4", "k"), Coroutine[Any, Any, str])
    assert_type(await coroutine, str)


event_id = capture_error(ValueError("x"), context_type="general", tags={"a": "b"})
assert_type(event_id, "str | None")
assert_type(capture_provider_error(ValueError("x"), provider="openrouter"), "str | None")

sink: Sink = MemorySink()
sinks: Sink = MultiSink(MemorySink(), LoggingSink("app"), SentrySink())
configure(sink=sink, enabled=True, send_pii=False)
configure(rate_limit=RateLimit(burst=10, per_seconds=60.0), delivery="auto")
configure(rate_limit=None)
assert_type(flush(2.0), bool)
with use_sink(sink), bind_context(user_id="u-1"):
    pass
events: list[CapturedError] = MemorySink().events
scrubbed: Any = scrub({"password": "x"})
