"""OpenTelemetrySink with the real OpenTelemetry SDK and its in-memory span exporter."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from autocapture import auto_capture_errors, bind_context, capture_payment_error, use_sink
from autocapture.sinks import OpenTelemetrySink

# Built from parts, far from any failing frame: only the running values carry them whole.
STRIPE_KEY = "sk_" + "live_" + "51Hx" + "Qa9ZLrT2vYpWm4Kc8dN3"
BEARER = "otel" + "tok" + "X9fQ2mLp7Rz4Vw8Ks1Jd"
DB_PASSWORD = "hunter" + "2-" + "Qz8pLm4X"
DB_URL = "postgresql://app:" + DB_PASSWORD + "@db.internal:5432/app"
SECRETS = (STRIPE_KEY, BEARER, DB_PASSWORD)


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    """An in-memory exporter; spans finish into it synchronously."""
    return InMemorySpanExporter()


@pytest.fixture
def provider(exporter: InMemorySpanExporter) -> Iterator[TracerProvider]:
    """A real SDK TracerProvider, passed explicitly (the global one is never set)."""
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider
    provider.shutdown()


@pytest.fixture
def sink(provider: TracerProvider) -> OpenTelemetrySink:
    """The sink under test, bound to the test's provider."""
    return OpenTelemetrySink(tracer_provider=provider)


def _charge(sink: OpenTelemetrySink) -> Any:
    @auto_capture_errors(context_type="payment", operation="charge", sink=sink, tags={"psp": "x"})
    def charge(user_id: str, amount: int, api_key: str) -> None:
        header = "Bearer " + BEARER  # a frame local; tracebacks show no locals, only lines
        try:
            raise ConnectionError("gateway reset " + DB_URL)
        except ConnectionError as exc:
            raise RuntimeError(f"charge failed ({len(header)})") from exc

    return charge


def _everything(spans: tuple[ReadableSpan, ...]) -> str:
    """Every exported name, attribute, event attribute and status, as one string."""
    dumped = [
        {
            "name": s.name,
            "attributes": dict(s.attributes or {}),
            "events": [{"name": e.name, "attributes": dict(e.attributes or {})} for e in s.events],
            "status": s.status.description,
        }
        for s in spans
    ]
    return json.dumps(dumped, default=str)


def test_error_is_recorded_on_the_current_span(
    sink: OpenTelemetrySink, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    """Inside an active span: an exception event, ERROR status and autocapture attributes."""
    charge = _charge(sink)
    tracer = provider.get_tracer("tests")
    with tracer.start_as_current_span("POST /charge", record_exception=False):
        with pytest.raises(RuntimeError) as info:
            charge("u-1", 1999, api_key=STRIPE_KEY)
    [span] = exporter.get_finished_spans()
    assert span.name == "POST /charge"
    assert span.status.status_code == StatusCode.ERROR
    assert span.status.description == "RuntimeError: charge failed (34)"
    [event] = span.events
    attributes = dict(event.attributes or {})
    assert event.name == "exception"
    assert attributes["exception.type"] == "RuntimeError"
    assert attributes["exception.message"] == "charge failed (34)"
    assert attributes["exception.escaped"] is True
    stacktrace = attributes["exception.stacktrace"]
    assert isinstance(stacktrace, str)
    assert "ConnectionError: gateway reset postgresql://app:[REDACTED]@db.internal" in stacktrace
    assert "The above exception was the direct cause" in stacktrace
    assert stacktrace.rstrip().endswith("RuntimeError: charge failed (34)")
    event_id = info.value.__dict__["__autocapture_event_id__"]
    expected = {
        "autocapture.event_id": event_id,
        "autocapture.context_type": "payment",
        "autocapture.operation": "charge",
        "autocapture.level": "error",
        "code.function": "_charge.<locals>.charge",
        "code.namespace": __name__,
        "autocapture.tag.psp": "x",
    }
    assert {k: span.attributes.get(k) for k in expected} == expected  # type: ignore[union-attr]
    assert {k: attributes.get(k) for k in expected} == expected
    assert json.loads(str(attributes["autocapture.arguments"])) == {
        "user_id": "u-1",
        "amount": 1999,
        "api_key": "[REDACTED]",
    }


def test_without_a_span_a_short_span_named_after_the_function_is_emitted(
    sink: OpenTelemetrySink, exporter: InMemorySpanExporter
) -> None:
    """Outside any span the error gets a finished span of its own with the same content."""
    charge = _charge(sink)
    with pytest.raises(RuntimeError):
        charge("u-1", 1999, api_key=STRIPE_KEY)
    [span] = exporter.get_finished_spans()
    assert span.name == f"{__name__}._charge.<locals>.charge"
    assert span.kind == SpanKind.INTERNAL
    assert span.parent is None
    assert span.status.status_code == StatusCode.ERROR
    assert span.attributes is not None
    assert span.attributes["autocapture.context_type"] == "payment"
    [event] = span.events
    assert event.name == "exception"
    assert event.attributes is not None
    assert event.attributes["exception.type"] == "RuntimeError"
    assert span.start_time is not None
    assert span.end_time is not None
    assert span.start_time <= span.end_time


def test_no_secret_reaches_any_exported_attribute(
    sink: OpenTelemetrySink, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    """Secrets in arguments, messages, context, tags and the traceback never leave."""
    charge = _charge(sink)
    with bind_context(user_id="u-9", authorization="Bearer " + BEARER, email="ada@example.com"):
        with pytest.raises(RuntimeError):
            charge("u-1", 1999, api_key=STRIPE_KEY)
        try:
            raise PermissionError(f"card declined for token {STRIPE_KEY} at {DB_URL}")
        except PermissionError as exc:
            with use_sink(sink), provider.get_tracer("t").start_as_current_span("webhook"):
                capture_payment_error(exc, provider="stripe", password=DB_PASSWORD)
    everything = _everything(exporter.get_finished_spans())
    assert len(exporter.get_finished_spans()) == 2
    assert [s for s in SECRETS if s in everything] == []
    assert "ada@example.com" not in everything
    assert "[REDACTED]" in everything
    assert '"enduser.id": "u-9"' in everything


def test_a_handled_error_is_not_marked_escaped(
    sink: OpenTelemetrySink, exporter: InMemorySpanExporter
) -> None:
    """capture_* reports a handled error: exception.escaped is False."""
    with use_sink(sink):
        capture_payment_error(ValueError("refused"), operation="refund", provider="stripe")
    [span] = exporter.get_finished_spans()
    [event] = span.events
    assert event.attributes is not None
    assert event.attributes["exception.escaped"] is False
    assert event.attributes["autocapture.handled"] is True
    assert span.attributes is not None
    assert span.attributes["autocapture.tag.provider"] == "stripe"


def test_a_failing_provider_never_breaks_the_caller(caplog: pytest.LogCaptureFixture) -> None:
    """A tracer provider that raises is reported on the autocapture logger, not raised."""

    class BrokenProvider:
        def get_tracer(self, *args: object, **kwargs: object) -> object:
            raise RuntimeError("no tracer today")

    sink = OpenTelemetrySink(tracer_provider=BrokenProvider())  # type: ignore[arg-type]

    @auto_capture_errors(sink=sink)
    def fail() -> None:
        raise KeyError("k")

    with caplog.at_level(logging.WARNING, logger="autocapture"):
        with pytest.raises(KeyError):
            fail()
    assert "OpenTelemetrySink" in caplog.text


def test_bad_tracer_provider_is_rejected() -> None:
    """A tracer_provider without get_tracer is a TypeError naming the option."""
    with pytest.raises(TypeError, match=r"tracer_provider=.*TracerProvider or None"):
        OpenTelemetrySink(tracer_provider="global")  # type: ignore[arg-type]


def test_without_opentelemetry_construction_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without OpenTelemetry installed, constructing the sink says to install autocapture[otel]."""
    monkeypatch.setitem(sys.modules, "opentelemetry", None)
    with pytest.raises(ImportError, match=r"pip install 'autocapture\[otel\]'"):
        OpenTelemetrySink()


def test_importing_autocapture_does_not_import_opentelemetry() -> None:
    """import autocapture and autocapture.sinks leave OpenTelemetry unimported."""
    code = (
        "import sys, autocapture, autocapture.sinks\n"
        "assert not [m for m in sys.modules if m.startswith('opentelemetry')], 'imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_flush_asks_the_provider_to_export(sink: OpenTelemetrySink) -> None:
    """flush() forwards to the provider's force_flush and returns."""
    assert sink.flush(1.0) is None
    assert repr(sink) == "OpenTelemetrySink(tracer_provider=TracerProvider)"
