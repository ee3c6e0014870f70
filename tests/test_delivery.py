"""Delivery: a slow sink does not hold the caller on an event loop; the queue is bounded."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
import sentry_sdk

import autocapture
from autocapture import auto_capture_errors, configure
from autocapture._delivery import QUEUE_SIZE, dropped
from autocapture.sinks import MemorySink, MultiSink, SentrySink
from tests.conftest import RecordingTransport


class BlockingSink:
    """A sink that waits for the test to release it, recording who emitted and when."""

    def __init__(self, log: list[str] | None = None) -> None:
        self.release = threading.Event()
        self.threads: list[int] = []
        self.log = log if log is not None else []

    def emit(self, event: autocapture.CapturedError) -> None:
        self.threads.append(threading.get_ident())
        self.release.wait(10)
        self.log.append(f"emitted {event.message}")


async def test_on_an_event_loop_a_slow_sink_does_not_hold_the_caller() -> None:
    """By default, a failing call on the loop returns before its sink has finished."""
    log: list[str] = []
    sink = BlockingSink(log)

    @auto_capture_errors(sink=sink)
    async def call_model() -> None:
        raise RuntimeError("down")

    with pytest.raises(RuntimeError):
        await call_model()
    log.append("caller went on")
    sink.release.set()
    assert autocapture.flush(10)
    assert log == ["caller went on", "emitted down"]
    assert sink.threads != [threading.get_ident()]


def test_off_the_loop_the_sink_emits_on_the_caller() -> None:
    """By default, a thread without a running loop delivers before the error propagates."""
    sink = BlockingSink()
    sink.release.set()

    @auto_capture_errors(sink=sink)
    def call_model() -> None:
        raise RuntimeError("down")

    with pytest.raises(RuntimeError):
        call_model()
    assert (sink.log, sink.threads) == (["emitted down"], [threading.get_ident()])


@pytest.mark.parametrize(("delivery", "on_caller"), [("sync", True), ("background", False)])
async def test_delivery_option_decides(delivery: str, on_caller: bool) -> None:
    """configure(delivery="sync") stays on the loop's thread; "background" never does."""
    configure(delivery=delivery)
    sink = BlockingSink()
    sink.release.set()

    @auto_capture_errors(sink=sink)
    async def call_model() -> None:
        raise RuntimeError("down")

    with pytest.raises(RuntimeError):
        await call_model()
    assert autocapture.flush(10)
    assert (sink.threads == [threading.get_ident()]) is on_caller


async def test_a_memory_sink_receives_on_the_caller() -> None:
    """A MemorySink (alone or in a MultiSink) has the event when the call returns."""
    memory, slow = MemorySink(), BlockingSink()

    @auto_capture_errors(sink=MultiSink(memory, slow))
    async def call_model() -> None:
        raise RuntimeError("down")

    with pytest.raises(RuntimeError):
        await call_model()
    assert [e.message for e in memory.events] == ["down"]
    assert slow.log == []
    slow.release.set()
    assert autocapture.flush(10)
    assert slow.log == ["emitted down"]


def test_full_queue_drops_and_counts(caplog: pytest.LogCaptureFixture) -> None:
    """Past QUEUE_SIZE waiting events, the next ones are dropped, counted and reported."""
    configure(delivery="background", rate_limit=None)
    sink = BlockingSink()

    @auto_capture_errors(sink=sink, reraise=False)
    def call_model(n: int) -> None:
        raise RuntimeError(str(n))

    with caplog.at_level(logging.WARNING, logger="autocapture"):
        for n in range(QUEUE_SIZE + 5):
            call_model(n)
    assert dropped() == 5
    assert autocapture.flush(0.05) is False
    sink.release.set()
    assert autocapture.flush(30)
    assert len(sink.log) == QUEUE_SIZE
    [record] = [r for r in caplog.records if "background delivery" in r.getMessage()]
    assert "dropped" in record.getMessage()


def test_flush_is_validated() -> None:
    """flush(timeout) takes seconds or None."""
    with pytest.raises(TypeError, match="seconds or None"):
        autocapture.flush("1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must not be negative"):
        autocapture.flush(-1)
    assert autocapture.flush(0) is True


def test_delivery_option_is_validated() -> None:
    """configure(delivery=...) names the allowed values."""
    with pytest.raises(ValueError, match="'auto', 'sync', 'background'"):
        configure(delivery="later")
    with pytest.raises(TypeError, match="must be a str, one of"):
        configure(delivery=True)  # type: ignore[arg-type]


async def test_background_sentry_event_is_the_capture_and_is_sent_once(
    sentry_transport: RecordingTransport,
) -> None:
    """Delivered later, the Sentry event has the capturing call's scope, and only it is sent."""
    blocker = BlockingSink()

    @auto_capture_errors(sink=blocker, reraise=False)
    async def first() -> None:
        raise ValueError("queued first")

    @auto_capture_errors(sink=SentrySink())
    async def call_model() -> None:
        raise RuntimeError("provider down")

    await first()  # holds the worker: the Sentry event waits behind it
    with sentry_sdk.isolation_scope():
        sentry_sdk.set_tag("phase", "at capture")
        try:
            await call_model()
        except RuntimeError as exc:
            sentry_sdk.set_tag("phase", "after")
            sentry_sdk.capture_exception(exc)  # what an integration does as it propagates
            caught = exc
    assert sentry_transport.envelopes == []
    blocker.release.set()
    [event] = sentry_transport.events
    assert event["tags"]["phase"] == "at capture"
    assert event["event_id"] == caught.__dict__["__autocapture_event_id__"]
    assert event["exception"]["values"][-1]["mechanism"]["type"] == "autocapture"


def test_queued_events_are_delivered_at_exit(tmp_path: Path) -> None:
    """A process that ends right after a capture still hands the event to its sink."""
    out = tmp_path / "events.txt"
    script = textwrap.dedent(
        f"""
        import time
        import autocapture

        class FileSink:
            def emit(self, event):
                time.sleep(0.2)
                with open({str(out)!r}, "a") as f:
                    f.write(event.message + "\\n")

        autocapture.configure(delivery="background", sink=FileSink())

        @autocapture.auto_capture_errors(reraise=False)
        def call_model():
            raise RuntimeError("down at exit")

        call_model()
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    assert out.read_text() == "down at exit\n"


@pytest.mark.parametrize("earlier_capture", [False, True])
def test_a_capture_in_an_atexit_handler_is_delivered(
    tmp_path: Path, earlier_capture: bool
) -> None:
    """An error captured in an atexit handler reaches the sink, even with background delivery.

    The exit drain has run by then (threading's exit hooks come first): the event is
    delivered on the caller, whether or not the worker was started before.
    """
    out = tmp_path / "events.txt"
    script = textwrap.dedent(
        f"""
        import atexit
        import autocapture

        class FileSink:
            def emit(self, event):
                with open({str(out)!r}, "a") as f:
                    f.write(event.message + "\\n")

        autocapture.configure(delivery="background", sink=FileSink())

        @autocapture.auto_capture_errors(reraise=False)
        def clean_up(what):
            raise OSError(f"{{what}} failed")

        atexit.register(clean_up, "clean-up at exit")
        if {earlier_capture!r}:
            clean_up("earlier")
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    expected = "earlier failed\n" * earlier_capture + "clean-up at exit failed\n"
    assert out.read_text() == expected


def test_loop_keeps_running_while_a_sink_sleeps() -> None:
    """16 failing tasks and a sink that blocks: the loop's other tasks go on meanwhile."""
    finished: list[int] = []
    seen_by_ticker: list[int] = []
    release = threading.Event()

    class SleepySink:
        def emit(self, event: autocapture.CapturedError) -> None:
            release.wait(5)
            finished.append(1)

    configure(sink=SleepySink(), rate_limit=None)

    @auto_capture_errors(reraise=False)
    async def call_model() -> None:
        raise RuntimeError("down")

    async def main() -> None:
        async def ticker() -> None:
            for _ in range(5):
                await asyncio.sleep(0)
            seen_by_ticker.append(len(finished))

        await asyncio.gather(*(call_model() for _ in range(16)), ticker())

    asyncio.run(main())
    # Delivered on the loop, each failing task would hold it until its sink returned.
    assert seen_by_ticker == [0]
    release.set()
    assert autocapture.flush(30)
    assert len(finished) == 16
