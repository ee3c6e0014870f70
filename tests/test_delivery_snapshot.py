"""Background delivery sends what was true at the capture (API §6 "Storms").

The worker emits later, from another thread: by then the failing frames are dead, their
locals may be cleared (``traceback.clear_frames``), the exception may have lost its
traceback (``exc.with_traceback(None)``), and the objects its locals and arguments held
may have changed. The event is a snapshot taken on the caller, frames included.
"""

from __future__ import annotations

import builtins
import logging
import subprocess
import sys
import textwrap
import threading
import traceback
from pathlib import Path

import pytest

import autocapture
from autocapture import auto_capture_errors, configure
from autocapture.sinks import LoggingSink, MultiSink, SentrySink
from tests.conftest import RecordingTransport
from tests.test_delivery import BlockingSink

ExceptionGroup = builtins.ExceptionGroup  # Python 3.11+, as the suite runs it


def _fail_then_change_everything(sink: autocapture.Sink) -> BaseException:
    @auto_capture_errors(sink=sink)
    def call_model(messages: list[str]) -> None:
        attempt = {"step": "sending"}
        raise RuntimeError(f"provider down at {attempt['step']}")

    messages = ["first question"]
    with pytest.raises(RuntimeError) as info:
        call_model(messages)
    caught = info.value
    messages.append("asked after the failure")
    tb = caught.__traceback__
    while tb is not None:  # the failing frame's local object changes after the capture
        local = tb.tb_frame.f_locals.get("attempt")
        if isinstance(local, dict):
            local["step"] = "changed later"
        tb = tb.tb_next
    traceback.clear_frames(caught.__traceback__)
    caught.with_traceback(None)
    return caught


def test_a_background_sentry_event_has_the_frames_as_they_were(
    sentry_transport: RecordingTransport,
) -> None:
    configure(delivery="background")
    blocker = BlockingSink()
    _fail_then_change_everything(MultiSink(blocker, SentrySink()))
    blocker.release.set()
    assert autocapture.flush(10)
    [event] = sentry_transport.events
    [value] = event["exception"]["values"]
    assert value["value"] == "provider down at sending"
    frames = value["stacktrace"]["frames"]
    [failing] = [f for f in frames if f["function"] == "call_model"]
    assert failing["vars"] == {"messages": ["first question"], "attempt": {"step": "sending"}}
    assert failing["lineno"] > 0
    assert failing["context_line"].strip() == (
        """raise RuntimeError(f"provider down at {attempt['step']}")"""
    )
    assert event["extra"]["arguments"] == {"messages": ["first question"]}


def test_a_background_logging_record_has_the_frames_as_they_were(
    caplog: pytest.LogCaptureFixture,
) -> None:
    configure(delivery="background")
    blocker = BlockingSink()
    caught = _fail_then_change_everything(MultiSink(blocker, LoggingSink("snapshot.test")))
    assert caught.__traceback__ is None
    blocker.release.set()
    with caplog.at_level(logging.ERROR, logger="snapshot.test"):
        assert autocapture.flush(10)
    [record] = [r for r in caplog.records if r.name == "snapshot.test"]
    assert record.exc_info is not None
    text = "".join(traceback.format_exception(*record.exc_info))
    assert "in call_model" in text
    assert "provider down at sending" in text
    frames = []
    tb = record.exc_info[2]
    while tb is not None:
        frames.append((tb.tb_frame.f_code.co_name, dict(tb.tb_frame.f_locals)))
        tb = tb.tb_next
    [local_vars] = [v for name, v in frames if name == "call_model"]
    assert local_vars == {"messages": ["first question"], "attempt": {"step": "sending"}}


def test_a_background_opentelemetry_span_has_the_stacktrace_as_it_was() -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from autocapture.sinks import OpenTelemetrySink

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    configure(delivery="background")
    blocker = BlockingSink()
    _fail_then_change_everything(MultiSink(blocker, OpenTelemetrySink(tracer_provider=provider)))
    blocker.release.set()
    assert autocapture.flush(10)
    [span] = exporter.get_finished_spans()
    [event] = [e for e in span.events if e.name == "exception"]
    stacktrace = str(event.attributes["exception.stacktrace"])
    assert "in call_model" in stacktrace
    assert "provider down at sending" in stacktrace


def test_a_background_custom_sink_gets_the_original_exception() -> None:
    # API §4: ``exception`` is the original object, also when a worker delivers it, so
    # a sink's isinstance checks hold; the built-in sinks read the snapshot.
    configure(delivery="background")
    blocker = BlockingSink()
    seen: list[BaseException] = []

    class Keep:
        def emit(self, event: autocapture.CapturedError) -> None:
            seen.append(event.exception)

    caught = _fail_then_change_everything(MultiSink(blocker, Keep()))
    blocker.release.set()
    assert autocapture.flush(10)
    assert seen == [caught]
    assert isinstance(seen[0], RuntimeError)


def test_on_the_caller_the_sink_gets_the_exception_itself() -> None:
    configure(delivery="sync")
    seen: list[BaseException] = []

    class Keep:
        def emit(self, event: autocapture.CapturedError) -> None:
            seen.append(event.exception)

    @auto_capture_errors(sink=Keep())
    def call_model() -> None:
        raise RuntimeError("down")

    with pytest.raises(RuntimeError) as info:
        call_model()
    assert seen == [info.value]


def _group_values(transport: RecordingTransport, delivery: str) -> list[tuple[str, str]]:
    configure(delivery=delivery)
    blocker = BlockingSink()

    @auto_capture_errors(sink=MultiSink(blocker, SentrySink()))
    def call_models() -> None:
        errors: list[Exception] = []
        for provider in ("openai", "anthropic"):
            try:
                try:
                    raise TimeoutError(f"{provider} timed out")
                except TimeoutError as timeout:
                    raise ConnectionError(f"{provider} unreachable") from timeout
            except ConnectionError as err:
                errors.append(err)
        raise ExceptionGroup("every provider failed", errors)

    blocker.release.set()  # sync: the worker would otherwise wait on the caller
    with pytest.raises(ExceptionGroup) as info:
        call_models()
    for error in (info.value, *info.value.exceptions):
        traceback.clear_frames(error.__traceback__)
    assert autocapture.flush(10)
    [event] = transport.events
    transport.envelopes.clear()
    return [
        (v["type"], v["value"], len(v.get("stacktrace", {}).get("frames", [])))
        for v in event["exception"]["values"]
    ]


def test_a_background_sentry_event_keeps_the_cause_chain_and_group_members(
    sentry_transport: RecordingTransport,
) -> None:
    on_the_caller = _group_values(sentry_transport, "sync")
    assert [v[:2] for v in on_the_caller] == [
        ("TimeoutError", "anthropic timed out"),
        ("ConnectionError", "anthropic unreachable"),
        ("TimeoutError", "openai timed out"),
        ("ConnectionError", "openai unreachable"),
        ("ExceptionGroup", "every provider failed (2 sub-exceptions)"),
    ]
    in_the_background = _group_values(sentry_transport, "background")
    assert in_the_background == on_the_caller


def _queued_behind(blocker: BlockingSink, sink: autocapture.Sink) -> None:
    configure(delivery="background")

    @auto_capture_errors(sink=MultiSink(blocker, sink), reraise=False)
    def call_model() -> None:
        raise RuntimeError("provider down")

    call_model()
    threading.Timer(0.3, blocker.release.set).start()  # the worker is still busy


def test_sentry_sink_flush_first_waits_for_the_background_queue(
    sentry_transport: RecordingTransport,
) -> None:
    """SentrySink.flush() after a failure: the queued event reaches Sentry's transport."""
    _queued_behind(BlockingSink(), SentrySink())
    SentrySink().flush(10)
    assert len(sentry_transport.envelopes) == 1


def test_multi_sink_flush_first_waits_for_the_background_queue() -> None:
    """MultiSink.flush() drains the queue before its sinks flush."""
    reached: list[str] = []

    class Recorder:
        def emit(self, event: autocapture.CapturedError) -> None:
            reached.append(event.message)

        def flush(self, timeout: float | None = None) -> None:
            reached.append("flushed")

    sink = MultiSink(Recorder())
    _queued_behind(BlockingSink(), sink)
    sink.flush(10)
    assert reached == ["provider down", "flushed"]


def test_the_queue_is_drained_before_sentry_closes_at_exit(tmp_path: Path) -> None:
    """A process ending right after a queued Sentry capture: the event is sent."""
    out = tmp_path / "envelopes.txt"
    script = textwrap.dedent(
        f"""
        import time
        import sentry_sdk
        from sentry_sdk.transport import Transport
        import autocapture
        from autocapture.sinks import LoggingSink, MultiSink, SentrySink

        class FileTransport(Transport):
            def capture_envelope(self, envelope):
                with open({str(out)!r}, "a") as f:
                    f.write(envelope.get_event()["exception"]["values"][-1]["value"] + "\\n")

        class Slow:
            def emit(self, event):
                time.sleep(0.3)

        sentry_sdk.init(dsn="https://public@example.invalid/1", transport=FileTransport())
        autocapture.configure(delivery="background", sink=MultiSink(Slow(), SentrySink()))

        @autocapture.auto_capture_errors(reraise=False)
        def call_model():
            raise RuntimeError("down at exit")

        call_model()
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    assert out.read_text() == "down at exit\n"
