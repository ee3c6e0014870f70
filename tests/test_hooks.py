"""``install_hooks`` / ``uninstall_hooks``: uncaught errors of threads, main thread, loops."""

from __future__ import annotations

import asyncio
import gc
import logging
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from types import TracebackType
from typing import Any

import pytest
import sentry_sdk

from autocapture import auto_capture_errors
from autocapture.sinks import MemorySink
from autocapture.tasks import install_hooks, uninstall_hooks
from tests.conftest import RecordingTransport


@pytest.fixture
def thread_hook_calls(monkeypatch: pytest.MonkeyPatch) -> list[threading.ExceptHookArgs]:
    """Stand in for the previous threading.excepthook (and keep pytest's out of the chain)."""
    calls: list[threading.ExceptHookArgs] = []
    monkeypatch.setattr(threading, "excepthook", calls.append)
    return calls


@pytest.fixture
def sys_hook_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """Stand in for the previous sys.excepthook."""
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(sys, "excepthook", lambda *args: calls.append(args))
    return calls


@pytest.fixture
def hooks(
    thread_hook_calls: list[threading.ExceptHookArgs], sys_hook_calls: list[tuple[Any, ...]]
) -> Iterator[None]:
    """Install the hooks for one test, and always uninstall them."""
    install_hooks()
    try:
        yield
    finally:
        uninstall_hooks()


def fail_in_thread(exc: BaseException, name: str = "worker-1") -> None:
    """Run a thread that dies with ``exc``."""

    def sync_quota(account_id: int) -> None:
        raise exc

    thread = threading.Thread(target=sync_quota, args=(7,), name=name)
    thread.start()
    thread.join()


def raise_and_get(exc: BaseException) -> tuple[type[BaseException], BaseException, TracebackType]:
    """Raise ``exc`` for real and return its exc_info, as the interpreter would pass it."""
    with pytest.raises(BaseException) as info:
        raise exc
    return info.type, info.value, info.tb


def test_a_thread_that_dies_is_reported_and_the_previous_hook_still_runs(
    hooks: None,
    thread_hook_calls: list[threading.ExceptHookArgs],
    captured_errors: MemorySink,
) -> None:
    """An uncaught error in a thread gives one event, then the previous hook is called."""
    error = ValueError("quota sync failed")
    fail_in_thread(error)
    [event] = captured_errors.events
    assert event.exception is error
    assert (event.level, event.handled) == ("error", False)
    # Before Python 3.11 a code object knows its name, not its qualified name.
    name = "fail_in_thread.<locals>.sync_quota" if sys.version_info >= (3, 11) else "sync_quota"
    assert event.function == f"{__name__}.{name}"
    assert event.arguments == {"account_id": 7}
    assert event.context["thread"] == "worker-1"
    assert event.tags["hook"] == "threading"
    assert [call.exc_value for call in thread_hook_calls] == [error]


def test_the_main_thread_hook_reports_fatal_and_chains(
    hooks: None, sys_hook_calls: list[tuple[Any, ...]], captured_errors: MemorySink
) -> None:
    """sys.excepthook reports a dying main thread at level fatal, then calls the previous one."""
    exc_info = raise_and_get(RuntimeError("boot failed"))
    sys.excepthook(*exc_info)
    [event] = captured_errors.events
    assert (event.exception, event.level, event.tags["hook"]) == (exc_info[1], "fatal", "sys")
    assert sys_hook_calls == [exc_info]


def test_keyboard_interrupt_and_system_exit_are_not_reported(
    hooks: None,
    sys_hook_calls: list[tuple[Any, ...]],
    thread_hook_calls: list[threading.ExceptHookArgs],
    captured_errors: MemorySink,
) -> None:
    """BaseExceptions that are not Exceptions pass through to the previous hooks only."""
    for exc in (KeyboardInterrupt(), SystemExit(3)):
        sys.excepthook(*raise_and_get(exc))
    fail_in_thread(KeyboardInterrupt())
    assert captured_errors.events == []
    assert len(sys_hook_calls) == 2
    assert len(thread_hook_calls) == 1


def test_an_error_already_reported_is_not_reported_again(
    hooks: None, captured_errors: MemorySink
) -> None:
    """A decorated function failing in a thread is reported once, by the decorator."""

    @auto_capture_errors
    def job() -> None:
        raise ValueError("once")

    thread = threading.Thread(target=job)
    thread.start()
    thread.join()
    assert [e.function.rsplit(".", 1)[-1] for e in captured_errors.events] == ["job"]


def test_install_is_idempotent_and_uninstall_restores_exactly(
    thread_hook_calls: list[threading.ExceptHookArgs],
    sys_hook_calls: list[tuple[Any, ...]],
    captured_errors: MemorySink,
) -> None:
    """Installing twice reports once; uninstalling restores the very hooks found before."""
    before = (threading.excepthook, sys.excepthook)
    install_hooks()
    installed = (threading.excepthook, sys.excepthook)
    install_hooks()
    assert (threading.excepthook, sys.excepthook) == installed
    try:
        fail_in_thread(ValueError("one event"))
        assert len(captured_errors.events) == 1
        assert len(thread_hook_calls) == 1
    finally:
        uninstall_hooks()
    assert threading.excepthook is before[0]
    assert sys.excepthook is before[1]
    uninstall_hooks()  # a second uninstall does nothing
    fail_in_thread(ValueError("not reported"))
    assert len(captured_errors.events) == 1


def test_a_hook_chained_on_top_of_ours_is_kept_and_ours_goes_quiet(
    thread_hook_calls: list[threading.ExceptHookArgs], captured_errors: MemorySink
) -> None:
    """Uninstalling under someone else's hook leaves theirs; ours then only passes on."""
    install_hooks()
    ours = threading.excepthook
    theirs_calls: list[threading.ExceptHookArgs] = []

    def theirs(args: threading.ExceptHookArgs) -> None:
        theirs_calls.append(args)
        ours(args)

    threading.excepthook = theirs
    try:
        uninstall_hooks()
        assert threading.excepthook is theirs
        fail_in_thread(ValueError("after uninstall"))
        install_hooks()  # a new installation chains on top: still one report per error
        fail_in_thread(ValueError("reinstalled"))
    finally:
        uninstall_hooks()
    assert threading.excepthook is theirs
    assert [str(e.exception) for e in captured_errors.events] == ["reinstalled"]
    assert len(theirs_calls) == len(thread_hook_calls) == 2


def test_install_hooks_rejects_a_non_loop() -> None:
    """loop= must be an asyncio event loop."""
    with pytest.raises(TypeError, match=r"install_hooks\(loop=\.\.\.\) takes an asyncio"):
        install_hooks(loop="main")  # type: ignore[arg-type]


def run_in_a_new_loop(coro: Any) -> None:
    """Run ``coro`` in a loop created now, as ``asyncio.run`` does, without replacing
    the thread's current loop (on Python 3.9, that would orphan pytest-asyncio's)."""
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(coro)
    finally:
        loop.close()


async def failing_job(job_id: int) -> None:
    """A fire-and-forget job that fails."""
    await asyncio.sleep(0)
    raise ValueError(f"job {job_id} failed")


async def forget_failing_task() -> None:
    """Start a failing task, never retrieve its exception, and let it be collected."""
    task = asyncio.ensure_future(failing_job(3))
    await asyncio.wait({task})
    del task
    gc.collect()


async def test_a_never_retrieved_task_exception_is_captured_instead_of_logged(
    hooks: None, captured_errors: MemorySink, caplog: pytest.LogCaptureFixture
) -> None:
    """On the running loop, "Task exception was never retrieved" becomes one capture."""
    install_hooks()  # the fixture ran outside the loop: this call adds the loop's handler
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        await forget_failing_task()
    [event] = captured_errors.events
    assert str(event.exception) == "job 3 failed"
    assert event.function == f"{__name__}.failing_job"
    assert event.arguments == {"job_id": 3}
    assert event.tags["hook"] == "asyncio"
    assert event.context["asyncio_message"] == "Task exception was never retrieved"
    assert "never retrieved" not in caplog.text


async def test_without_hooks_asyncio_logs_it(
    captured_errors: MemorySink, caplog: pytest.LogCaptureFixture
) -> None:
    """The control: without the hooks, asyncio logs the error and nothing is captured."""
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        await forget_failing_task()
    assert captured_errors.events == []
    assert "Task exception was never retrieved" in caplog.text


async def test_a_custom_loop_handler_is_chained_and_restored(
    thread_hook_calls: list[threading.ExceptHookArgs],
    sys_hook_calls: list[tuple[Any, ...]],
    captured_errors: MemorySink,
) -> None:
    """A handler set before install_hooks still runs, and comes back after uninstall."""
    loop = asyncio.get_running_loop()
    seen: list[dict[str, Any]] = []

    def handler(_loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        seen.append(context)

    loop.set_exception_handler(handler)
    try:
        install_hooks()
        install_hooks()  # idempotent for the loop too
        await forget_failing_task()
        uninstall_hooks()
        assert loop.get_exception_handler() is handler
    finally:
        uninstall_hooks()
        loop.set_exception_handler(None)
    assert len(captured_errors.events) == 1
    assert [str(c["exception"]) for c in seen] == ["job 3 failed"]


async def test_callback_errors_and_messages_without_exception(
    hooks: None, captured_errors: MemorySink, caplog: pytest.LogCaptureFixture
) -> None:
    """A failing loop callback is captured; a context without exception is still logged."""
    install_hooks()
    loop = asyncio.get_running_loop()

    def on_timer() -> None:
        raise KeyError("timer")

    with caplog.at_level(logging.ERROR, logger="asyncio"):
        loop.call_soon(on_timer)
        await asyncio.sleep(0)
        loop.call_exception_handler({"message": "a plain asyncio complaint"})
    [event] = captured_errors.events
    assert isinstance(event.exception, KeyError)
    assert "a plain asyncio complaint" in caplog.text
    assert "Exception in callback" not in caplog.text


def test_a_loop_created_later_is_hooked_with_loop_or_from_inside(
    thread_hook_calls: list[threading.ExceptHookArgs],
    sys_hook_calls: list[tuple[Any, ...]],
    captured_errors: MemorySink,
) -> None:
    """Outside a loop only thread hooks go in; loop= or a call inside the loop adds it."""
    install_hooks()
    try:
        loop = asyncio.new_event_loop()
        try:
            assert loop.get_exception_handler() is None
            install_hooks(loop=loop)
            loop.run_until_complete(forget_failing_task())
            other = asyncio.new_event_loop()
            try:

                async def main() -> None:
                    install_hooks()
                    await forget_failing_task()

                other.run_until_complete(main())
            finally:
                other.close()
        finally:
            loop.close()
    finally:
        uninstall_hooks()
    assert len(captured_errors.events) == 2


def test_installed_once_at_startup_it_covers_loops_created_later(
    hooks: None, captured_errors: MemorySink, caplog: pytest.LogCaptureFixture
) -> None:
    """install_hooks() before run_in_a_new_loop(): asyncio's reports become captures, not logs."""

    async def main() -> None:
        await forget_failing_task()

        def on_timer() -> None:
            raise KeyError("timer")

        asyncio.get_running_loop().call_soon(on_timer)
        await asyncio.sleep(0)

    with caplog.at_level(logging.DEBUG, logger="asyncio"):
        run_in_a_new_loop(main())
    first, second = captured_errors.events
    assert (str(first.exception), first.function, first.arguments) == (
        "job 3 failed",
        f"{__name__}.failing_job",
        {"job_id": 3},
    )
    assert first.tags["hook"] == "asyncio"
    assert first.context["asyncio_message"] == "Task exception was never retrieved"
    assert isinstance(second.exception, KeyError)
    assert second.context["asyncio_message"].startswith("Exception in callback")
    assert "never retrieved" not in caplog.text
    assert "Exception in callback" not in caplog.text


def test_asyncio_records_that_are_not_uncaught_errors_are_left_alone(
    hooks: None, captured_errors: MemorySink, caplog: pytest.LogCaptureFixture
) -> None:
    """Warnings, debug tracebacks and BaseExceptions on the asyncio logger stay logs."""
    asyncio_logger = logging.getLogger("asyncio")
    with caplog.at_level(logging.DEBUG, logger="asyncio"):
        for level, exc in (
            (logging.DEBUG, ConnectionResetError("peer went away")),
            (logging.WARNING, ValueError("slow callback")),
            (logging.ERROR, KeyboardInterrupt()),
        ):
            try:
                raise exc
            except BaseException:
                asyncio_logger.log(level, "transport complaint", exc_info=True)
        asyncio_logger.error("no traceback here")
    assert captured_errors.events == []
    assert caplog.text.count("transport complaint") == 3
    assert "no traceback here" in caplog.text


def test_after_uninstall_asyncio_logs_again(
    thread_hook_calls: list[threading.ExceptHookArgs],
    sys_hook_calls: list[tuple[Any, ...]],
    captured_errors: MemorySink,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """uninstall_hooks() takes the asyncio filter away with the other hooks."""
    install_hooks()
    uninstall_hooks()
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        run_in_a_new_loop(forget_failing_task())
    assert captured_errors.events == []
    assert "Task exception was never retrieved" in caplog.text
    assert logging.getLogger("asyncio").filters == []


def test_with_sentry_a_thread_error_is_one_sentry_event(
    sentry_transport: RecordingTransport, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With Sentry's default (threading, excepthook) integrations, one event per error."""
    monkeypatch.setattr(threading, "excepthook", lambda args: None)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # Sentry's: it prints to stderr
    install_hooks()
    try:
        fail_in_thread(ValueError("thread"))
        sys.excepthook(*raise_and_get(RuntimeError("main")))
    finally:
        uninstall_hooks()
    sentry_sdk.flush()
    values = [e["exception"]["values"][-1]["value"] for e in sentry_transport.events]
    assert sorted(values) == ["main", "thread"]


def test_a_dying_main_thread_in_a_real_process_is_reported() -> None:
    """A subprocess whose main thread raises logs our fatal event, then the traceback."""
    script = textwrap.dedent(
        """
        import logging, sys
        from autocapture import configure
        from autocapture.sinks import LoggingSink
        from autocapture.tasks import install_hooks

        logging.basicConfig(stream=sys.stderr, format="%(levelname)s %(message)s")
        configure(sink=LoggingSink("app.errors"))
        install_hooks()

        def load_settings(path):
            raise FileNotFoundError(f"no settings at {path}")

        load_settings("/etc/app.toml")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith("CRITICAL __main__.load_settings failed (general, load): ")
    assert "FileNotFoundError: no settings at /etc/app.toml [event " in lines[0]
    # Our record carries the traceback once, then the previous hook prints it again.
    assert result.stderr.count("Traceback (most recent call last)") == 2
    assert lines[-1] == "FileNotFoundError: no settings at /etc/app.toml"


def test_with_sentry_a_loop_created_later_gives_one_sentry_event(
    sentry_transport: RecordingTransport, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sentry's logging integration would report asyncio's log line too: one event, ours."""
    monkeypatch.setattr(threading, "excepthook", lambda args: None)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    install_hooks()
    try:
        run_in_a_new_loop(forget_failing_task())
    finally:
        uninstall_hooks()
    sentry_sdk.flush()
    [event] = sentry_transport.events
    assert event["exception"]["values"][-1]["value"] == "job 3 failed"
    assert event["tags"]["hook"] == "asyncio"
