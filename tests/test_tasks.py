"""``autocapture.tasks.create_task``: asyncio tasks whose failure is captured when it happens."""

from __future__ import annotations

import asyncio
import gc
import traceback
import weakref
from typing import Any

import pytest
import sentry_sdk
from sentry_sdk.integrations.asyncio import AsyncioIntegration
from starlette.exceptions import HTTPException

from autocapture import auto_capture_errors, bind_context, use_sink
from autocapture._tasks import _running
from autocapture.sinks import MemorySink
from autocapture.tasks import create_task
from tests.conftest import RecordingTransport


class HTTPError(HTTPException):
    """A route's own Starlette/FastAPI HTTPException: an answer below 500, a bug from 500."""

    def __init__(self, status_code: int) -> None:
        super().__init__(status_code, detail=f"HTTP {status_code}")


async def refresh_quota(account_id: int, api_key: str = "") -> int:
    """Fail after one suspension, like real background work."""
    await asyncio.sleep(0)
    if account_id < 0:
        raise ValueError(f"no account {account_id}")
    return account_id


async def settle(task: asyncio.Task[Any]) -> None:
    """Wait until ``task`` is done without retrieving its result or exception."""
    await asyncio.wait({task})
    await asyncio.sleep(0)  # let the done callbacks run


async def test_failure_is_captured_when_it_happens_not_when_awaited(
    captured_errors: MemorySink,
) -> None:
    """The event exists as soon as the task failed, before anyone awaits the task."""
    task = create_task(refresh_quota(-1))
    await settle(task)
    [event] = captured_errors.events
    assert isinstance(event.exception, ValueError)
    assert task.exception() is event.exception


async def test_awaiting_the_task_raises_the_same_exception_with_its_traceback(
    captured_errors: MemorySink,
) -> None:
    """Awaiting the task raises the captured object, whose traceback ends where it was raised."""
    task = create_task(refresh_quota(-1))
    with pytest.raises(ValueError, match="no account -1") as info:
        await task
    [event] = captured_errors.events
    assert event.exception is info.value
    assert traceback.extract_tb(info.value.__traceback__)[-1].name == "refresh_quota"


async def test_event_names_the_coroutine_and_carries_its_scrubbed_arguments(
    captured_errors: MemorySink,
) -> None:
    """The event's function is the coroutine's module.qualname; its arguments are scrubbed."""
    await settle(create_task(refresh_quota(-1, api_key="sk-live-abcdefghijklmnop")))
    [event] = captured_errors.events
    assert event.function == f"{__name__}.refresh_quota"
    assert event.module == __name__
    assert event.arguments == {"account_id": -1, "api_key": "[REDACTED]"}
    assert event.handled is False


async def test_success_returns_the_value_and_captures_nothing(
    captured_errors: MemorySink,
) -> None:
    """A task that succeeds returns its value and emits no event."""
    assert await create_task(refresh_quota(3)) == 3
    assert captured_errors.events == []


async def test_the_creators_bound_context_and_sink_apply_after_the_blocks_exit() -> None:
    """The task runs in a copy of the creator's context: its bind_context and use_sink apply."""
    sink = MemorySink()
    with use_sink(sink), bind_context(request_id="r-42"):
        task = create_task(refresh_quota(-1))
    await settle(task)
    [event] = sink.events
    assert event.context["request_id"] == "r-42"


async def test_options_are_the_decorators(captured_errors: MemorySink) -> None:
    """context_type, operation, tags, level and capture_args work as on the decorator."""
    task = create_task(
        refresh_quota(-1, api_key="x"),
        context_type="provider",
        operation="refresh",
        tags={"team": "billing"},
        level="warning",
        capture_args=["account_id"],
    )
    await settle(task)
    [event] = captured_errors.events
    assert (event.context_type, event.operation, event.level) == ("provider", "refresh", "warning")
    assert event.tags["team"] == "billing"
    assert event.arguments == {"account_id": -1}


async def test_reraise_false_makes_default_the_result(captured_errors: MemorySink) -> None:
    """With reraise=False the failure is captured (handled) and the task returns default."""
    assert await create_task(refresh_quota(-1), reraise=False, default=0) == 0
    [event] = captured_errors.events
    assert event.handled is True


async def test_ignored_and_4xx_errors_are_not_captured_but_still_raised(
    captured_errors: MemorySink,
) -> None:
    """ignore= and HTTP errors below 500 are raised by the task without any event."""

    async def not_found() -> None:
        raise HTTPError(404)

    with pytest.raises(ValueError):
        await create_task(refresh_quota(-1), ignore=ValueError)
    with pytest.raises(HTTPError):
        await create_task(not_found())
    assert captured_errors.events == []


async def test_cancellation_is_not_an_error(captured_errors: MemorySink) -> None:
    """A cancelled task is cancelled, and nothing is captured."""
    task = create_task(asyncio.sleep(60))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert task.cancelled()
    assert captured_errors.events == []
    assert task not in _running


async def test_cancelled_before_its_first_step_the_coroutine_is_closed_silently(
    captured_errors: MemorySink,
) -> None:
    """As with asyncio.create_task: no "coroutine was never awaited" warning, no event."""
    started: list[str] = []

    async def job() -> None:
        started.append("job")
        await asyncio.sleep(0)

    coro = job()
    task = create_task(coro, name="n")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert coro.cr_frame is None  # closed: nothing left to warn about when collected
    del coro
    gc.collect()  # under filterwarnings=error, a RuntimeWarning here fails the test
    assert started == []
    assert captured_errors.events == []


async def test_a_decorated_coroutine_is_reported_once(captured_errors: MemorySink) -> None:
    """A decorated coroutine run with create_task gives one event, not two."""
    decorated = auto_capture_errors(refresh_quota)
    await settle(create_task(decorated(-1)))
    assert len(captured_errors.events) == 1


async def test_no_task_exception_was_never_retrieved(captured_errors: MemorySink) -> None:
    """A failed task nobody awaits is collected without asyncio's "never retrieved" report."""
    loop = asyncio.get_running_loop()
    reports: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: reports.append(context))
    try:
        plain = asyncio.ensure_future(refresh_quota(-2))
        await settle(plain)
        del plain
        task = create_task(refresh_quota(-1))
        await settle(task)
        del task
        gc.collect()
    finally:
        loop.set_exception_handler(None)
    # The plain task proves the check works: asyncio reports it, not ours.
    assert [str(r["exception"]) for r in reports] == ["no account -2"]
    assert [str(e.exception) for e in captured_errors.events] == ["no account -1"]


async def test_a_running_task_is_kept_alive_until_done() -> None:
    """A fire-and-forget task nobody references is not collected mid-flight."""
    done: list[str] = []
    gate = asyncio.Event()

    async def wait_then_record() -> None:
        await gate.wait()
        done.append("finished")

    ref = weakref.ref(create_task(wait_then_record()))
    await asyncio.sleep(0)
    gc.collect()
    assert ref() is not None
    assert ref() in _running
    gate.set()
    for _ in range(5):
        await asyncio.sleep(0)
    assert done == ["finished"]
    gc.collect()
    assert ref() is None


async def test_name_and_repr_name_the_task_and_the_users_coroutine() -> None:
    """name= names the task, and the task's coroutine carries the user's qualname."""
    task = create_task(refresh_quota(1), name="quota-refresh")
    assert task.get_name() == "quota-refresh"
    assert "refresh_quota" in repr(task)
    await task


async def test_bad_options_raise_clearly_and_close_the_coroutine() -> None:
    """A bad option is a TypeError/ValueError naming create_task; the coroutine is closed."""
    coro = refresh_quota(1)
    with pytest.raises(TypeError, match=r"create_task\(tags=\.\.\.\) must be a mapping"):
        create_task(coro, tags={"team": 1})  # type: ignore[dict-item]
    assert coro.cr_frame is None  # type: ignore[attr-defined]  # closed: no "coroutine was never awaited" warning
    with pytest.raises(ValueError, match=r"create_task\(level=\.\.\.\) must be one of"):
        create_task(refresh_quota(1), level="critical")
    with pytest.raises(TypeError, match=r"create_task\(name=\.\.\.\) must be a str"):
        create_task(refresh_quota(1), name=7)  # type: ignore[arg-type]


async def test_a_coroutine_function_instead_of_a_coroutine_is_rejected() -> None:
    """Passing the function instead of calling it is a TypeError that says what to do."""
    with pytest.raises(TypeError, match=r"takes a coroutine object \(call the coroutine"):
        create_task(refresh_quota)  # type: ignore[arg-type]


def test_without_a_running_loop_it_raises_and_closes_the_coroutine() -> None:
    """Outside an event loop create_task raises RuntimeError and closes the coroutine."""
    coro = refresh_quota(1)
    with pytest.raises(RuntimeError, match="no running event loop"):
        create_task(coro)
    assert coro.cr_frame is None  # type: ignore[attr-defined]


async def test_with_sentrys_asyncio_integration_one_sentry_event() -> None:
    """Sentry's AsyncioIntegration and create_task together send exactly one Sentry event."""
    transport = RecordingTransport()
    sentry_sdk.init(
        dsn="https://public@sentry.example.invalid/1",
        transport=transport,
        integrations=[AsyncioIntegration()],
        auto_enabling_integrations=False,
    )
    try:
        await settle(create_task(refresh_quota(-1)))
        sentry_sdk.flush()
        [event] = transport.events
        assert event["exception"]["values"][-1]["mechanism"]["type"] == "autocapture"
    finally:
        loop = asyncio.get_running_loop()
        loop.set_task_factory(None)
