"""``OpenTelemetrySink``: put each captured error on the trace, scrubbed.

The error becomes an ``exception`` span event (OpenTelemetry's semantic conventions:
``exception.type``, ``exception.message``, ``exception.stacktrace``, ``exception.escaped``)
on the current span, whose status turns to ERROR. ``Span.record_exception`` is not used:
it would format the message and the traceback itself, unscrubbed. Without a recording
span, a short span named after the failing function carries the same content, so the
error is not lost.

The SDK records an exception that escapes a span itself, unscrubbed:
``ScrubbingSpanExporter`` scrubs every span on its way out of the process.

OpenTelemetry is an optional extra (``autocapture[otel]``): it is imported when the sink
is constructed, never when ``autocapture`` or ``autocapture.sinks`` is.
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any, Optional

from autocapture._config import get_config
from autocapture._event import at_capture
from autocapture._log import report_failure
from autocapture._scrub import REDACTED, Scrubber
from autocapture._stack import format_stack

if TYPE_CHECKING:
    from opentelemetry.trace import Span, Tracer, TracerProvider
    from opentelemetry.util.types import AttributeValue

    from autocapture._event import CapturedError

__all__ = ["OpenTelemetrySink", "ScrubbingSpanExporter"]

_INSTRUMENTATION_NAME = "autocapture"
# A traceback can be huge (deep recursion); its end holds the raise site and the message.
_MAX_STACKTRACE_CHARS = 32_000
# Card numbers have 13 digits at least (ISO/IEC 7812): a shorter int is never asked about,
# as the scrubber's walker does, so that spans of small ints cost nothing more.
_SMALLEST_CARD = 10**12
# Tags that already have attributes of their own.
_STANDARD_TAGS = frozenset({"context_type", "operation", "function", "module"})


def _import_trace() -> Any:
    try:
        from opentelemetry import trace
    except ImportError as exc:
        raise ImportError(
            "OpenTelemetrySink needs the OpenTelemetry API: pip install 'autocapture[otel]'"
        ) from exc
    return trace


def _version() -> Optional[str]:
    try:
        from importlib.metadata import version

        return version("autocapture")
    except Exception:
        return None


class OpenTelemetrySink:
    """Record each error on the current OpenTelemetry span, or on a short span of its own.

    On the span: an ``exception`` event with ``exception.type`` (the qualified class name),
    ``exception.message`` (scrubbed), ``exception.stacktrace`` (the whole chain, scrubbed
    with ``scrub_text``), ``exception.escaped`` (``True`` when the error propagated, i.e.
    the event is not ``handled``) and the ``autocapture.*`` attributes below, plus
    ``autocapture.arguments`` and ``autocapture.context`` as JSON; the span status ERROR
    with ``"<type>: <scrubbed message>"``; and the span attributes
    ``autocapture.event_id``, ``autocapture.context_type``, ``autocapture.operation``
    (when known), ``autocapture.level``, ``code.function`` (the qualified name within its
    module), ``code.namespace`` (the module), ``enduser.id`` (when a user id is bound) and
    one ``autocapture.tag.<name>`` per extra tag. Several errors on one span: each keeps
    its event, the span attributes say the last one.

    Without a recording current span, a span named after the function (the event's
    qualified function name) is started and ended at once, in the current context: a
    child of a sampled-out parent is dropped by the SDK's sampler as usual, a root span
    otherwise.
    """

    def __init__(self, *, tracer_provider: Optional[TracerProvider] = None) -> None:
        """Use ``tracer_provider``, or the global one at emit time.

        Args:
            tracer_provider: Where the spans started for errors outside any span go;
                ``None``: the global provider (``opentelemetry.trace.get_tracer_provider``)
                in force when the error happens.

        Raises:
            ImportError: OpenTelemetry is not installed (``pip install 'autocapture[otel]'``).
            TypeError: ``tracer_provider`` has no ``get_tracer`` method.
        """
        self._trace = _import_trace()
        provider: object = tracer_provider
        if provider is not None and not callable(getattr(provider, "get_tracer", None)):
            raise TypeError(
                "OpenTelemetrySink(tracer_provider=...) takes an OpenTelemetry "
                f"TracerProvider or None, got {type(provider).__name__} {provider!r}"
            )
        self.tracer_provider = tracer_provider
        self._tracer: Optional[Tracer] = None
        self._lock = threading.Lock()

    def emit(self, event: CapturedError) -> None:
        """Record ``event`` on the current span, or on a span of its own; never raises."""
        try:
            self._emit(event)
        except Exception as exc:
            report_failure("OpenTelemetrySink.emit", exc)

    def _emit(self, event: CapturedError) -> None:
        trace = self._trace
        span_attributes = _span_attributes(event)
        event_attributes = {**_exception_attributes(event), **span_attributes}
        timestamp = _nanoseconds(event)
        current: Span = trace.get_current_span()
        if current.is_recording():
            _record(trace, current, event, span_attributes, event_attributes, timestamp)
            return
        span = self._get_tracer().start_span(
            event.function,
            kind=trace.SpanKind.INTERNAL,
            attributes=span_attributes,
            start_time=timestamp,
            # The exception is recorded by hand, scrubbed; never by the SDK, raw.
            record_exception=False,
            set_status_on_exception=False,
        )
        try:
            _record(trace, span, event, {}, event_attributes, timestamp)
        finally:
            span.end()

    def _get_tracer(self) -> Tracer:
        if self.tracer_provider is None:
            # The global provider may be set after this sink was made: ask each time.
            return self._trace.get_tracer(_INSTRUMENTATION_NAME, _version())  # type: ignore[no-any-return]
        if self._tracer is None:
            with self._lock:
                if self._tracer is None:
                    self._tracer = self.tracer_provider.get_tracer(
                        _INSTRUMENTATION_NAME, _version()
                    )
        return self._tracer

    def flush(self, timeout: Optional[float] = None) -> None:
        """Ask the tracer provider to export what it holds (when it can)."""
        provider = self.tracer_provider or self._trace.get_tracer_provider()
        force_flush = getattr(provider, "force_flush", None)
        if callable(force_flush):
            force_flush(30_000 if timeout is None else int(timeout * 1000))

    def __repr__(self) -> str:
        """Say which provider it uses."""
        provider = (
            "global" if self.tracer_provider is None else type(self.tracer_provider).__name__
        )
        return f"OpenTelemetrySink(tracer_provider={provider})"


def _record(
    trace: Any,
    span: Span,
    event: CapturedError,
    span_attributes: dict[str, AttributeValue],
    event_attributes: dict[str, AttributeValue],
    timestamp: int,
) -> None:
    if span_attributes:
        span.set_attributes(span_attributes)
    span.add_event("exception", attributes=event_attributes, timestamp=timestamp)
    span.set_status(
        trace.Status(trace.StatusCode.ERROR, f"{_type_name(event.exception)}: {event.message}")
    )


def _span_attributes(event: CapturedError) -> dict[str, AttributeValue]:
    attributes: dict[str, AttributeValue] = {
        "autocapture.event_id": event.event_id,
        "autocapture.context_type": event.context_type,
        "autocapture.level": event.level,
        "code.function": _short_function(event),
        "code.namespace": event.module,
    }
    if event.operation:
        attributes["autocapture.operation"] = event.operation
    user_id = event.user.get("id")
    if isinstance(user_id, (str, int)) and not isinstance(user_id, bool):
        attributes["enduser.id"] = str(user_id)
    for name, value in event.tags.items():
        if name not in _STANDARD_TAGS:
            attributes[f"autocapture.tag.{name}"] = value
    return attributes


def _exception_attributes(event: CapturedError) -> dict[str, AttributeValue]:
    # The event's message, arguments and context were scrubbed by the capture core; the
    # traceback text is rendered here, so it is scrubbed here.
    scrubber = get_config().scrubber
    exc = at_capture(event)  # the frames as they were, also when delivered later
    stacktrace = format_stack(exc, event.callers) + "\n"
    if len(stacktrace) > _MAX_STACKTRACE_CHARS:
        cut = len(stacktrace) - _MAX_STACKTRACE_CHARS
        stacktrace = f"...[truncated {cut} chars]\n{stacktrace[cut:]}"
    return {
        "exception.type": _type_name(exc),
        "exception.message": event.message,
        "exception.stacktrace": scrubber.scrub_text(stacktrace),
        "exception.escaped": not event.handled,
        "autocapture.handled": event.handled,
        "autocapture.arguments": _json(event.arguments),
        "autocapture.context": _json(event.context),
    }


def _json(value: Any) -> str:
    try:
        return json.dumps(dict(value), default=str, sort_keys=True)
    except Exception:
        return "{}"


def _short_function(event: CapturedError) -> str:
    prefix = f"{event.module}."
    return event.function.removeprefix(prefix)


def _type_name(exc: BaseException) -> str:
    cls = type(exc)
    module = getattr(cls, "__module__", "builtins")
    qualname = getattr(cls, "__qualname__", cls.__name__)
    return qualname if module == "builtins" else f"{module}.{qualname}"


def _nanoseconds(event: CapturedError) -> int:
    return int(event.timestamp.timestamp() * 1_000_000_000)


class ScrubbingSpanExporter:
    """Scrub every span on its way out, then hand it to another span exporter.

    ``OpenTelemetrySink`` records what autocapture captures already scrubbed, but the
    SDK records an exception that escapes ``tracer.start_as_current_span(...)`` itself,
    raw: the message and traceback in the ``exception`` event and the status
    description. Instrumentations also put URLs, headers and queries in attributes. Put
    this exporter in front of the real one and none of it leaves the process unscrubbed::

        provider.add_span_processor(BatchSpanProcessor(ScrubbingSpanExporter(OTLPSpanExporter())))

    Scrubbed with the configured scrubber (``configure(scrub=...)``): the span's name,
    status description, attributes, and the names and attributes of its events and
    links. An attribute whose key is a secret name is replaced whole; strings (also inside
    sequences) have the secrets found in them replaced; an int that is a Luhn-valid card
    number (or a float holding one) becomes ``REDACTED`` (in a sequence of numbers the
    others become their digits as strings, since attribute arrays hold one type), other
    numbers stay numbers. The resource is
    left as is. A span
    that cannot be scrubbed is dropped, never exported raw.
    """

    def __init__(self, exporter: Any) -> None:
        """Wrap ``exporter``.

        Args:
            exporter: An OpenTelemetry SDK ``SpanExporter`` (``export``, ``shutdown``,
                ``force_flush``).

        Raises:
            ImportError: The OpenTelemetry SDK is not installed
                (``pip install 'autocapture[otel]'``).
            TypeError: ``exporter`` has no ``export`` method.
        """
        try:
            from opentelemetry.sdk.trace import export
        except ImportError as exc:
            raise ImportError(
                "ScrubbingSpanExporter needs the OpenTelemetry SDK: "
                "pip install 'autocapture[otel]'"
            ) from exc
        if not callable(getattr(exporter, "export", None)):
            raise TypeError(
                "ScrubbingSpanExporter(exporter) takes an OpenTelemetry SpanExporter, got "
                f"{type(exporter).__name__} {exporter!r}"
            )
        self.exporter = exporter
        self._failure = export.SpanExportResult.FAILURE

    def export(self, spans: Any) -> Any:
        """Scrub ``spans`` and export them with the wrapped exporter."""
        scrubbed = []
        for span in spans:
            try:
                scrubbed.append(_scrubbed_span(span))
            except Exception as exc:
                # Fail closed: a span we could not read is not sent as it was.
                report_failure("ScrubbingSpanExporter.export", exc)
        if spans and not scrubbed:
            return self._failure
        return self.exporter.export(scrubbed)

    def shutdown(self) -> None:
        """Shut the wrapped exporter down."""
        self.exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Flush the wrapped exporter."""
        flush = getattr(self.exporter, "force_flush", None)
        return bool(flush(timeout_millis)) if callable(flush) else True

    def __repr__(self) -> str:
        """Say what it wraps."""
        return f"ScrubbingSpanExporter({self.exporter!r})"


def _scrubbed_span(span: Any) -> Any:
    from opentelemetry.sdk.trace import Event, ReadableSpan
    from opentelemetry.trace import Link, Status

    scrubber = get_config().scrubber
    status = span.status
    if status.description:
        status = Status(status.status_code, scrubber.scrub_text(status.description))
    return ReadableSpan(
        name=scrubber.scrub_text(span.name),
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=_scrubbed_attributes(span.attributes),
        events=[
            Event(
                scrubber.scrub_text(e.name),
                _scrubbed_attributes(e.attributes),
                e.timestamp,
            )
            for e in span.events
        ],
        links=[Link(link.context, _scrubbed_attributes(link.attributes)) for link in span.links],
        kind=span.kind,
        status=status,
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


def _scrubbed_attributes(attributes: Any) -> dict[str, AttributeValue]:
    scrubber = get_config().scrubber
    scrubbed: dict[str, AttributeValue] = {}
    for key, value in (attributes or {}).items():
        if scrubber.is_sensitive_key(key):
            scrubbed[key] = REDACTED
        elif isinstance(value, (tuple, list)):
            scrubbed[key] = _scrubbed_sequence(scrubber, value)
        else:
            scrubbed[key] = _scrubbed_value(scrubber, value)
    return scrubbed


def _scrubbed_value(scrubber: Scrubber, value: Any) -> Any:
    if isinstance(value, str):
        return scrubber.scrub_text(value)
    if isinstance(value, int) and not isinstance(value, bool):
        if -_SMALLEST_CARD < value < _SMALLEST_CARD:
            return value  # counts, ports, status codes: too short to ask (most ints)
        # An int has no text to scan: the scrubber's own int rule (a Luhn-valid card
        # number, its callback asked) decides. Anything but an int back is the marker.
        result = scrubber.scrub(int(value))
        return result if type(result) is int else _as_text(result)
    if isinstance(value, float) and value.is_integer() and abs(value) >= _SMALLEST_CARD:
        result = scrubber.scrub(float(value))  # the same rule, for a whole float
        return result if type(result) in (int, float) else _as_text(result)
    return value  # also nan and infinities, which hold no digits


def _scrubbed_sequence(scrubber: Scrubber, values: Any) -> tuple[Any, ...]:
    items = tuple(_scrubbed_value(scrubber, v) for v in values)
    if len({type(item) for item in items}) > 1:
        # Attribute arrays hold one type: a marker among ints makes them all text.
        return tuple(item if isinstance(item, str) else str(item) for item in items)
    return items


def _as_text(value: object) -> str:
    return value if isinstance(value, str) else REDACTED
