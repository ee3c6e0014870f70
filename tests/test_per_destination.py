"""Reported once per destination: an error Sentry saw first still reaches every other sink."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Callable

import pytest
import sentry_sdk
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from autocapture import capture_error, configure
from autocapture.sinks import LoggingSink, MemorySink, MultiSink, OpenTelemetrySink, SentrySink
from tests.conftest import RecordingTransport

app_logger = logging.getLogger("tests.per_destination.app")


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class Destinations:
    """Every place an event can land, and how many events each received."""

    transport: RecordingTransport | None
    memory: MemorySink = field(default_factory=MemorySink)
    records: _Records = field(default_factory=_Records)
    spans: InMemorySpanExporter = field(default_factory=InMemorySpanExporter)

    def counts(self) -> dict[str, int]:
        exception_events = sum(
            1
            for span in self.spans.get_finished_spans()
            for e in span.events
            if e.name == "exception"
        )
        return {
            "sentry": len(self.transport.events) if self.transport is not None else 0,
            "memory": len(self.memory),
            "logging": len(self.records.records),
            "otel": exception_events,
        }


@pytest.fixture(params=["dsn", "no-dsn"])
def destinations(request: pytest.FixtureRequest) -> Iterator[Destinations]:
    """Sentry (default integrations) with an in-process transport, or with no DSN at all."""
    if request.param == "dsn":
        transport: RecordingTransport | None = RecordingTransport()
        sentry_sdk.init(dsn="https://public@sentry.example.invalid/1", transport=transport)
    else:
        transport = None
        sentry_sdk.init()  # what tests and local runs often do: a client that sends nothing
    found = Destinations(transport)
    sink_logger = logging.getLogger("tests.per_destination.sink")
    sink_logger.addHandler(found.records)
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(found.spans))
    found.provider = provider  # type: ignore[attr-defined]
    yield found
    sink_logger.removeHandler(found.records)
    provider.shutdown()
    sentry_sdk.get_global_scope().set_client(None)


SINKS: dict[str, Callable[[Destinations, Any], Any]] = {
    "Sentry": lambda d, p: SentrySink(),
    "Memory": lambda d, p: d.memory,
    "Logging": lambda d, p: LoggingSink("tests.per_destination.sink"),
    "OTel": lambda d, p: OpenTelemetrySink(tracer_provider=p),
    "Multi": lambda d, p: MultiSink(
        SentrySink(),
        d.memory,
        LoggingSink("tests.per_destination.sink"),
        OpenTelemetrySink(tracer_provider=p),
    ),
}
DESTINATIONS_OF = {
    "Sentry": {"sentry"},
    "Memory": {"memory"},
    "Logging": {"logging"},
    "OTel": {"otel"},
    "Multi": {"sentry", "memory", "logging", "otel"},
}


def _fail() -> ValueError:
    try:
        raise ValueError("the charge failed")
    except ValueError as exc:
        return exc


def _integration_reports(exc: BaseException) -> None:
    try:
        raise exc
    except ValueError:
        app_logger.exception("charge failed")  # Sentry's logging integration reports it


@pytest.mark.parametrize("order", ["integration-first", "autocapture-first"])
@pytest.mark.parametrize("sink_name", list(SINKS))
def test_exactly_one_event_per_destination(
    destinations: Destinations, sink_name: str, order: str
) -> None:
    """Whoever reports first, each destination gets one event: never zero, never two."""
    configure(sink=SINKS[sink_name](destinations, destinations.provider))  # type: ignore[attr-defined]
    exc = _fail()
    if order == "integration-first":
        _integration_reports(exc)
        event_id = capture_error(exc)
    else:
        event_id = capture_error(exc)
        _integration_reports(exc)
    assert capture_error(exc) == event_id  # and a third report is still the same one
    expected = dict.fromkeys(("sentry", "memory", "logging", "otel"), 0)
    for name in DESTINATIONS_OF[sink_name]:
        expected[name] = 1
    # Sentry's logging integration is a destination of its own whenever Sentry can send.
    expected["sentry"] = 1 if destinations.transport is not None else 0
    assert destinations.counts() == expected
    assert isinstance(event_id, str)


def test_an_error_sentry_sent_first_keeps_its_id_everywhere(
    sentry_transport: RecordingTransport,
) -> None:
    """The other sinks' event takes the id of the Sentry event already sent: one error, one id."""
    memory = MemorySink()
    configure(sink=MultiSink(SentrySink(), memory))
    exc = _fail()
    sentry_id = sentry_sdk.capture_exception(exc)
    assert capture_error(exc) == sentry_id
    assert ([sentry_id], [sentry_id]) == (
        [e.event_id for e in memory.events],
        [e["event_id"] for e in sentry_transport.events],
    )


def test_a_client_without_dsn_marks_nothing_and_the_default_sink_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With sentry_sdk.init() and no DSN, an error Sentry saw first still reaches the log."""
    sentry_sdk.init()
    exc = _fail()
    sentry_sdk.capture_exception(exc)
    with caplog.at_level(logging.ERROR, logger="autocapture"):
        event_id = capture_error(exc)
    assert isinstance(event_id, str)
    assert [event_id] == [
        r.autocapture_event_id  # type: ignore[attr-defined]
        for r in caplog.records
        if r.name == "autocapture" and hasattr(r, "autocapture_event_id")
    ]
