"""Decorated functions as background work: executors, Starlette background tasks."""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.background import BackgroundTasks
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from autocapture import auto_capture_errors, bind_context, capture_error, configure
from autocapture._event import CapturedError
from autocapture.sinks import MemorySink


@auto_capture_errors
def resize_image(image_id: int, api_key: str = "") -> int:
    """Fail for negative ids, like a job in a pool."""
    if image_id < 0:
        raise ValueError(f"no image {image_id}")
    return image_id * 2


def test_thread_pool_job_is_captured_once_and_the_future_raises_it(
    captured_errors: MemorySink,
) -> None:
    """In a ThreadPoolExecutor the failure is captured once; future.result() raises it."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        ok = pool.submit(resize_image, 2)
        failed = pool.submit(resize_image, -1, api_key="sk-live-abcdefghijklmnop")
        assert ok.result() == 4
        with pytest.raises(ValueError, match="no image -1") as info:
            failed.result()
    [event] = captured_errors.events
    assert event.exception is info.value
    assert event.arguments == {"image_id": -1, "api_key": "[REDACTED]"}


def test_many_jobs_each_failure_captured_once(captured_errors: MemorySink) -> None:
    """Concurrent jobs: one event per failed job, each future raising its own exception."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(resize_image, i) for i in range(-20, 20)]
        wait(futures)
    failures = [f.exception() for f in futures if f.exception() is not None]
    assert len(failures) == 20
    assert {id(e.exception) for e in captured_errors.events} == {id(e) for e in failures}
    assert len(captured_errors.events) == 20


def test_an_executor_wrapped_again_by_a_decorated_caller_is_one_event(
    captured_errors: MemorySink,
) -> None:
    """A decorated caller re-raising the future's exception does not report it twice."""

    @auto_capture_errors
    def resize_all() -> None:
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(resize_image, -1).result()

    with pytest.raises(ValueError):
        resize_all()
    assert [e.function.rsplit(".", 1)[-1] for e in captured_errors.events] == ["resize_image"]


async def test_to_thread_and_run_in_executor(captured_errors: MemorySink) -> None:
    """Both capture once and raise to the awaiter; only to_thread carries bound context."""
    loop = asyncio.get_running_loop()
    with bind_context(request_id="r-7"), pytest.raises(ValueError):
        # run_in_executor does not copy contextvars; asyncio.to_thread does.
        await asyncio.to_thread(resize_image, -1)
    with pytest.raises(ValueError):
        await loop.run_in_executor(None, resize_image, -3)
    first, second = captured_errors.events
    assert first.context["request_id"] == "r-7"
    assert "request_id" not in second.context


class FileSink:
    """A sink a child process can use: one line per event in a file."""

    def __init__(self, path: str) -> None:
        self.path = path

    def emit(self, event: CapturedError) -> None:
        with Path(self.path).open("a", encoding="utf-8") as out:
            out.write(f"{event.event_id} {event.function} {event.arguments['image_id']}\n")


def configure_worker(path: str) -> None:
    """A ProcessPoolExecutor initializer: the child's own autocapture configuration."""
    configure(sink=FileSink(path))


def test_process_pool_job_is_captured_in_the_child_and_known_in_the_parent(
    tmp_path: Path, captured_errors: MemorySink
) -> None:
    """In a process pool the child captures with its sink; the parent's copy keeps the id."""
    log = tmp_path / "events.txt"
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=1, mp_context=context, initializer=configure_worker, initargs=(str(log),)
    ) as pool:
        with pytest.raises(ValueError, match="no image -5") as info:
            pool.submit(resize_image, -5).result()
    [line] = log.read_text(encoding="utf-8").splitlines()
    event_id, function, image_id = line.split()
    assert (function, image_id) == (f"{__name__}.resize_image", "-5")
    # The "reported once" mark travels with the pickled exception: the parent sees the
    # child's event id and emits nothing new.
    assert capture_error(info.value) == event_id
    assert captured_errors.events == []


@auto_capture_errors
async def send_receipt(order_id: int) -> None:
    """An async background task that fails."""
    raise ConnectionError(f"mail server down for order {order_id}")


@auto_capture_errors
def write_audit_log(order_id: int) -> None:
    """A sync background task that fails (Starlette runs it in a thread)."""
    raise OSError(f"disk full for order {order_id}")


def background_app(task: Any) -> Starlette:
    """A Starlette app whose one route answers, then runs ``task`` in the background."""

    async def checkout(_request: Request) -> JSONResponse:
        tasks = BackgroundTasks()
        tasks.add_task(task, order_id=42)
        return JSONResponse({"status": "ok"}, background=tasks)

    return Starlette(routes=[Route("/checkout", checkout, methods=["POST"])])


@pytest.mark.parametrize("task", [send_receipt, write_audit_log])
async def test_starlette_background_task_is_captured_once(
    task: Any, captured_errors: MemorySink
) -> None:
    """A decorated background task that fails after the response is captured once."""
    transport = httpx.ASGITransport(app=background_app(task), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
        response = await client.post("/checkout")
    assert response.status_code == 200
    [event] = captured_errors.events
    assert event.function == f"{__name__}.{task.__name__}"
    assert event.arguments == {"order_id": 42}
