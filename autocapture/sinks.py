"""Sinks: where autocapture sends events.

``MemorySink`` (tests), ``LoggingSink``, ``SentrySink`` (the real ``sentry-sdk``),
``MultiSink`` (fan-out) and, with the ``otel`` extra, ``OpenTelemetrySink`` and
``ScrubbingSpanExporter`` (for the exporter those spans leave by). A sink is any object
with ``emit(event)``, optionally ``flush(timeout)`` and ``close()``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from autocapture._sinks import LoggingSink, MemorySink, MultiSink, SentrySink, Sink

if TYPE_CHECKING:
    from autocapture._otel import OpenTelemetrySink, ScrubbingSpanExporter

__all__ = [
    "LoggingSink",
    "MemorySink",
    "MultiSink",
    "OpenTelemetrySink",
    "ScrubbingSpanExporter",
    "SentrySink",
    "Sink",
]


def __getattr__(name: str) -> Any:
    # OpenTelemetry is an optional extra: import it only when the sink is asked for.
    if name in ("OpenTelemetrySink", "ScrubbingSpanExporter"):
        from autocapture import _otel

        return getattr(_otel, name)
    raise AttributeError(f"module 'autocapture.sinks' has no attribute {name!r}")
