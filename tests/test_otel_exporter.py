"""ScrubbingSpanExporter: no span leaves the process with a secret, whoever recorded it."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, SpanKind, StatusCode

from autocapture import REDACTED, auto_capture_errors
from autocapture.sinks import OpenTelemetrySink, ScrubbingSpanExporter

# Built from parts, far from any failing frame: only the running values carry them whole.
STRIPE_KEY = "sk_" + "live_" + "51Hx" + "Qa9ZLrT2vYpWm4Kc8dN3"
DB_PASSWORD = "hunter" + "2-" + "Qz8pLm4X"
DB_URL = "postgresql://app:" + DB_PASSWORD + "@db.internal:5432/app"
HEADER_TOKEN = "plain" + "opaque" + "Tk93Lw"
SECRETS = (STRIPE_KEY, DB_PASSWORD, HEADER_TOKEN)


def pipeline(*, scrubbing: bool) -> tuple[TracerProvider, InMemorySpanExporter]:
    memory = InMemorySpanExporter()
    exporter = ScrubbingSpanExporter(memory) if scrubbing else memory
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, memory


@pytest.fixture
def scrubbed() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    """A provider whose spans go through ScrubbingSpanExporter into memory."""
    provider, memory = pipeline(scrubbing=True)
    yield provider, memory
    provider.shutdown()


def fail_in_a_span(provider: TracerProvider) -> None:
    """The SDK's own recording: an exception escaping start_as_current_span."""
    tracer = provider.get_tracer("app")
    with pytest.raises(ConnectionError), tracer.start_as_current_span("charge"):
        raise ConnectionError(f"gateway reset {DB_URL} with key {STRIPE_KEY}")


def leaked(span: ReadableSpan) -> list[str]:
    exported = span.to_json()
    return [secret for secret in SECRETS if secret in exported]


def test_the_sdk_records_an_escaping_exception_raw() -> None:
    """Why the exporter exists: without it, the SDK exports the message as it was."""
    provider, memory = pipeline(scrubbing=False)
    fail_in_a_span(provider)
    [span] = memory.get_finished_spans()
    assert set(leaked(span)) == {DB_PASSWORD, STRIPE_KEY}
    provider.shutdown()


def test_an_escaping_exception_is_exported_scrubbed(
    scrubbed: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    """Message, traceback and status description are scrubbed; the rest is kept."""
    provider, memory = scrubbed
    fail_in_a_span(provider)
    [span] = memory.get_finished_spans()
    assert leaked(span) == []
    [event] = span.events
    assert event.name == "exception"
    assert event.attributes is not None
    assert event.attributes["exception.type"] == "ConnectionError"
    message = event.attributes["exception.message"]
    assert isinstance(message, str)
    assert message.startswith("gateway reset postgresql://app:")
    assert "@db.internal:5432/app" in message
    assert REDACTED in message
    stacktrace = event.attributes["exception.stacktrace"]
    assert isinstance(stacktrace, str)
    assert "fail_in_a_span" in stacktrace
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description is not None
    assert span.status.description.startswith("ConnectionError: gateway reset")


def test_everything_else_about_the_span_is_kept(
    scrubbed: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    """Ids, parent, kind, times, scope and resource survive; only secrets change."""
    provider, memory = scrubbed
    tracer = provider.get_tracer("app", "1.2")
    with tracer.start_as_current_span("parent") as parent:
        linked = parent.get_span_context()
        with tracer.start_as_current_span(
            f"GET {DB_URL}",
            kind=SpanKind.CLIENT,
            links=[Link(linked, {"api_key": STRIPE_KEY, "why": "retry"})],
            attributes={
                "http.request.header.authorization": HEADER_TOKEN,
                "http.request.header.x_request_id": "req-1",
                "db.statement": f"SELECT 1 -- {STRIPE_KEY}",
                "retries": 3,
                "cached": False,
                "hosts": ("db.internal", DB_URL),
            },
        ) as child:
            child.add_event("sent", {"password": DB_PASSWORD, "bytes": 12})
    child_span, parent_span = memory.get_finished_spans()
    assert leaked(child_span) == []
    assert child_span.name.startswith("GET postgresql://app:")
    assert child_span.context == child.get_span_context()
    assert child_span.parent == parent.get_span_context()
    assert child_span.kind is SpanKind.CLIENT
    assert child_span.start_time is not None
    assert child_span.end_time is not None
    assert child_span.start_time <= child_span.end_time
    assert child_span.instrumentation_scope is not None
    assert (child_span.instrumentation_scope.name, child_span.instrumentation_scope.version) == (
        "app",
        "1.2",
    )
    assert child_span.resource == parent_span.resource
    attributes = dict(child_span.attributes or {})
    assert attributes["http.request.header.authorization"] == REDACTED
    assert attributes["http.request.header.x_request_id"] == "req-1"
    assert attributes["db.statement"] == f"SELECT 1 -- {REDACTED}"
    assert (attributes["retries"], attributes["cached"]) == (3, False)
    hosts = attributes["hosts"]
    assert isinstance(hosts, tuple)
    assert hosts[0] == "db.internal"
    [event] = child_span.events
    assert dict(event.attributes or {}) == {"password": REDACTED, "bytes": 12}
    [link] = child_span.links
    assert link.context == linked
    assert dict(link.attributes or {}) == {"api_key": REDACTED, "why": "retry"}


def test_with_the_sink_nothing_secret_leaves_by_either_path(
    scrubbed: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    """A decorated function failing inside a span: our event and the SDK's, both scrubbed."""
    provider, memory = scrubbed

    @auto_capture_errors(context_type="payment", sink=OpenTelemetrySink(tracer_provider=provider))
    def charge(api_key: str) -> None:
        raise RuntimeError(f"declined for {api_key} via {DB_URL}")

    tracer = provider.get_tracer("app")
    with pytest.raises(RuntimeError), tracer.start_as_current_span("checkout"):
        charge(STRIPE_KEY)
    [span] = memory.get_finished_spans()
    assert leaked(span) == []
    assert [e.name for e in span.events] == ["exception", "exception"]
    assert (span.attributes or {})["autocapture.context_type"] == "payment"


def test_a_span_that_cannot_be_read_is_dropped_not_sent(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Fail closed: the unreadable span is reported and left out; the others go on."""
    memory = InMemorySpanExporter()
    exporter = ScrubbingSpanExporter(memory)
    good = ReadableSpan(name="ok", attributes={"token": HEADER_TOKEN})
    with caplog.at_level(logging.WARNING, logger="autocapture"):
        assert exporter.export([object(), good]) is SpanExportResult.SUCCESS
        assert exporter.export([object()]) is SpanExportResult.FAILURE
    assert [s.name for s in memory.get_finished_spans()] == ["ok"]
    assert dict(memory.get_finished_spans()[0].attributes or {}) == {"token": REDACTED}
    assert "ScrubbingSpanExporter.export" in caplog.text


def test_flush_and_shutdown_reach_the_wrapped_exporter() -> None:
    """The wrapper is transparent to the span processor's lifecycle calls."""
    memory = InMemorySpanExporter()
    exporter = ScrubbingSpanExporter(memory)
    assert exporter.force_flush() is True
    exporter.shutdown()
    assert exporter.export([ReadableSpan(name="late")]) is SpanExportResult.FAILURE
    assert "InMemorySpanExporter" in repr(exporter)


def test_a_non_exporter_is_rejected_with_its_type_and_value() -> None:
    """The constructor says what it got and what it takes."""
    with pytest.raises(TypeError, match=r"SpanExporter, got str 'otlp'"):
        ScrubbingSpanExporter("otlp")
