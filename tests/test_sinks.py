"""Sinks, their failures, and the capture core's guarantees around them."""

from __future__ import annotations

import io
import logging
import sys
import threading
import traceback

import pytest
import sentry_sdk

from autocapture import CapturedError, auto_capture_errors, configure, use_sink
from autocapture.sinks import LoggingSink, MemorySink, MultiSink, SentrySink, Sink
from tests.conftest import RecordingTransport


class ExplodingSink:
    """A sink that always fails."""

    def __init__(self) -> None:
        self.calls = 0

    def emit(self, event: CapturedError) -> None:
        self.calls += 1
        raise OSError("disk full")


def test_builtin_sinks_satisfy_the_protocol() -> None:
    """Every built-in sink is a ``Sink``."""
    for sink in (MemorySink(), LoggingSink(), SentrySink(), MultiSink()):
        assert isinstance(sink, Sink)


def test_memory_sink_is_thread_safe() -> None:
    """8 threads x 1 000 failing calls give 8 000 events with unique ids."""
    configure(rate_limit=None)  # about the sink's lock, not storms
    sink = MemorySink()

    @auto_capture_errors(sink=sink)
    def fail(n: int) -> None:
        raise ValueError(n)

    def worker() -> None:
        for n in range(1_000):
            try:
                fail(n)
            except ValueError:
                pass

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    events = sink.events
    assert len(events) == 8_000
    assert len({e.event_id for e in events}) == 8_000


def test_a_raising_sink_never_changes_what_the_caller_sees(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The user's exception propagates unchanged and the failure is logged by autocapture."""
    sink = ExplodingSink()
    original = KeyError("user error")

    @auto_capture_errors(sink=sink)
    def f() -> None:
        raise original

    with caplog.at_level(logging.WARNING, logger="autocapture"):
        with pytest.raises(KeyError) as info:
            f()
    assert info.value is original
    assert sink.calls == 1
    [record] = [r for r in caplog.records if r.name == "autocapture"]
    assert "ExplodingSink.emit" in record.getMessage()
    assert "OSError" in record.getMessage()


def test_a_sink_failure_is_reported_without_the_secrets_in_its_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A user's sink failing with its credentials in the message: the log line is scrubbed."""
    token = "ghp_" + "R4nd0mT0k3nW1thEn0ughCh4rs5678abcd"

    class LeakySink:
        def emit(self, event: CapturedError) -> None:
            raise ConnectionError(f"POST https://ops:{token}@tracker.internal/api failed")

    @auto_capture_errors(sink=LeakySink(), reraise=False)
    def f() -> None:
        raise RuntimeError("x")

    with caplog.at_level(logging.WARNING, logger="autocapture"):
        f()
    [record] = [r for r in caplog.records if r.name == "autocapture"]
    message = record.getMessage()
    assert "LeakySink.emit" in message
    assert "ConnectionError: POST https://ops:" in message
    assert "@tracker.internal/api failed" in message
    assert token not in message


def test_sink_failures_do_not_flood_the_log(caplog: pytest.LogCaptureFixture) -> None:
    """A sink failing 100 times produces one log record in the rate-limit window."""
    configure(rate_limit=None)  # every one of the 100 events reaches the sink
    sink = ExplodingSink()

    @auto_capture_errors(sink=sink, reraise=False)
    def f() -> None:
        raise RuntimeError("x")

    with caplog.at_level(logging.WARNING, logger="autocapture"):
        for _ in range(100):
            f()
    assert sink.calls == 100
    assert len([r for r in caplog.records if r.name == "autocapture"]) == 1


def test_a_sink_that_calls_failing_decorated_code_does_not_recurse() -> None:
    """A sink whose emit() calls a decorated function that fails ends after one level."""
    seen: list[str] = []

    @auto_capture_errors
    def helper() -> None:
        raise RuntimeError("inside the sink")

    class RecursiveSink:
        def emit(self, event: CapturedError) -> None:
            seen.append(event.message)
            helper()

    configure(sink=RecursiveSink())

    @auto_capture_errors(reraise=False)
    def f() -> None:
        raise ValueError("outer")

    f()
    assert seen == ["outer"]


def test_multi_sink_continues_after_a_failing_sink() -> None:
    """One failing sink in a MultiSink does not stop the others."""
    first, last = MemorySink(), MemorySink()
    exploding = ExplodingSink()

    @auto_capture_errors(sink=MultiSink(first, exploding, last), reraise=False)
    def f() -> None:
        raise RuntimeError("x")

    f()
    assert (len(first), exploding.calls, len(last)) == (1, 1, 1)


def test_multi_sink_rejects_non_sinks() -> None:
    """MultiSink says which argument is not a sink."""
    with pytest.raises(TypeError, match=r"MultiSink argument 1 must be a sink"):
        MultiSink(MemorySink(), "not a sink")  # type: ignore[arg-type]


def _logger_with_stream(name: str) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    logger = logging.getLogger(name)
    logger.handlers[:] = [logging.StreamHandler(stream)]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger, stream


def test_logging_sink_writes_one_record_with_exc_info_and_fields() -> None:
    """LoggingSink logs one record per event, exc_info set, fields in ``extra``."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("tests.logging_sink")
    logger.handlers[:] = [Keep()]
    logger.propagate = False

    @auto_capture_errors(sink=LoggingSink(logger), context_type="database", operation="select")
    def get_user(user_id: int) -> None:
        raise LookupError("missing")

    with pytest.raises(LookupError) as info:
        get_user(3)
    [record] = records
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
    # The type and traceback are the error's; the exception is a scrubbed stand-in.
    assert record.exc_info[0] is LookupError
    assert record.exc_info[1] is not info.value
    assert str(record.exc_info[1]) == str(info.value)
    assert record.exc_info[1].__traceback__ is record.exc_info[2]
    frames = [frame.f_code.co_name for frame, _ in traceback.walk_tb(record.exc_info[2])]
    assert frames[-1] == "get_user"  # down to where it was raised
    assert record.autocapture_context_type == "database"  # type: ignore[attr-defined]
    assert record.autocapture_operation == "select"  # type: ignore[attr-defined]
    assert record.autocapture_arguments == {"user_id": 3}  # type: ignore[attr-defined]
    assert "get_user failed (database, select): LookupError: missing" in record.getMessage()


def test_logging_sink_accepts_a_logger_name_and_maps_levels() -> None:
    """A logger name works, and a warning-level event is logged at WARNING."""
    logger, stream = _logger_with_stream("tests.logging_sink_levels")

    @auto_capture_errors(sink=LoggingSink("tests.logging_sink_levels"), level="warning")
    def f() -> None:
        raise RuntimeError("soft failure")

    with pytest.raises(RuntimeError):
        f()
    assert logger.name == "tests.logging_sink_levels"
    assert "soft failure" in stream.getvalue()


def test_logging_sink_output_has_no_secret_even_in_the_traceback() -> None:
    """The formatted record, traceback included, carries no secret from the message."""
    _, stream = _logger_with_stream("tests.logging_sink_secret")
    secret = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"

    @auto_capture_errors(sink=LoggingSink("tests.logging_sink_secret"))
    def charge(api_key: str) -> None:
        raise PermissionError(f"Stripe rejected key {secret}")

    with pytest.raises(PermissionError):
        charge(secret)
    output = stream.getvalue()
    assert "PermissionError" in output
    assert "[REDACTED]" in output
    assert secret not in output


def test_a_formatter_that_formats_exc_info_itself_sees_no_secret() -> None:
    """JSON formatters format record.exc_info, not exc_text: the chain prints scrubbed."""
    secret = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
    password = "hunter" + "2-" + "Qz8pLm4X"

    class ExcInfoFormatter(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            assert record.exc_info is not None
            return self.formatException(record.exc_info)

    logger, stream = _logger_with_stream("tests.logging_sink_exc_info")
    logger.handlers[0].setFormatter(ExcInfoFormatter())

    class GatewayError(Exception):
        pass

    @auto_capture_errors(sink=LoggingSink(logger))
    def charge() -> None:
        try:
            raise ConnectionError(f"postgresql://app:{password}@db/app refused")
        except ConnectionError as exc:
            error = GatewayError(f"Stripe rejected key {secret}")
            if sys.version_info >= (3, 11):
                error.add_note(f"retry with {secret}")
            raise error from exc

    with pytest.raises(GatewayError):
        charge()
    output = stream.getvalue()
    assert secret not in output
    assert password not in output
    qualname = f"{__name__}.{charge.__qualname__.replace('charge', 'GatewayError')}"
    assert f"{qualname}: Stripe rejected key [REDACTED]" in output
    assert "ConnectionError: postgresql://app:[REDACTED]@db/app refused" in output
    assert "The above exception was the direct cause of the following exception" in output
    assert 'raise ConnectionError(f"postgresql' in output  # the traceback's source lines


def test_logging_sink_validates_its_arguments() -> None:
    """Bad logger or level values are rejected with a clear message."""
    with pytest.raises(TypeError, match=r"logging\.Logger or a logger name"):
        LoggingSink(logger=42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="logging level"):
        LoggingSink(level="ERROR")  # type: ignore[arg-type]


def test_default_sink_without_sentry_is_logging(caplog: pytest.LogCaptureFixture) -> None:
    """With no sink configured and no Sentry client, events go to the autocapture logger."""

    @auto_capture_errors(reraise=False)
    def f() -> None:
        raise RuntimeError("to the log")

    with caplog.at_level(logging.ERROR, logger="autocapture"):
        f()
    [record] = [r for r in caplog.records if r.name == "autocapture"]
    assert "to the log" in record.getMessage()


def test_use_sink_is_isolated_between_threads() -> None:
    """Each thread's use_sink block only sees that thread's events."""
    configure(rate_limit=None)  # 200 failures of one line: about isolation, not storms
    sinks = [MemorySink() for _ in range(4)]

    @auto_capture_errors
    def fail(n: int) -> None:
        raise RuntimeError(str(n))

    barrier = threading.Barrier(4)

    def worker(n: int) -> None:
        with use_sink(sinks[n]):
            barrier.wait()
            for _ in range(50):
                try:
                    fail(n)
                except RuntimeError:
                    pass

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for n, sink in enumerate(sinks):
        assert {e.message for e in sink.events} == {str(n)}
        assert len(sink) == 50


def test_captured_errors_fixture_sees_events_from_other_threads(
    captured_errors: MemorySink,
) -> None:
    """The pytest fixture receives events captured in any thread."""

    @auto_capture_errors(reraise=False)
    def fail() -> None:
        raise RuntimeError("in a thread")

    thread = threading.Thread(target=fail)
    thread.start()
    thread.join()
    assert [e.message for e in captured_errors.events] == ["in a thread"]


@pytest.mark.parametrize("order", ["logging first", "sentry first", "logging only"])
def test_with_sentrys_logging_integration_each_error_is_one_sentry_event(
    sentry_transport: RecordingTransport, order: str
) -> None:
    """A LoggingSink record that Sentry's logging integration picks up is not a second event."""
    logger, _ = _logger_with_stream(f"tests.logging_sink_sentry.{order.replace(' ', '_')}")
    sinks = {
        "logging first": MultiSink(LoggingSink(logger), SentrySink()),
        "sentry first": MultiSink(SentrySink(), LoggingSink(logger)),
        "logging only": LoggingSink(logger),
    }[order]

    @auto_capture_errors(sink=sinks)
    def sync_ledger() -> None:
        raise RuntimeError("ledger out of balance")

    with pytest.raises(RuntimeError):
        sync_ledger()
    sentry_sdk.flush()
    [event] = sentry_transport.events
    mechanism = event["exception"]["values"][-1]["mechanism"]["type"]
    assert mechanism == ("logging" if order == "logging only" else "autocapture")
    assert event["exception"]["values"][-1]["value"] == "ledger out of balance"
