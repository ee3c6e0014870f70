"""A card number held as an int is a card number: no sink lets it out, ordinary ints stay ints.

Strings are scanned for card shapes everywhere; an int (or a sequence of ints) has no text
to scan, so each exit checks the digits of ints with the scrubber's own card rule (length,
issuer digit, Luhn). Counts, ids, status codes and timestamps pass through as ints.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import sentry_sdk
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link

from autocapture import (
    REDACTED,
    ScrubMatch,
    ScrubOptions,
    auto_capture_errors,
    bind_context,
    configure,
)
from autocapture.logs import ScrubbingFilter
from autocapture.sinks import (
    LoggingSink,
    MemorySink,
    OpenTelemetrySink,
    ScrubbingSpanExporter,
    SentrySink,
)

from .conftest import RecordingTransport

CARD = 4111_1111_1111_1111  # Visa's test number: 16 digits, issuer digit 4, Luhn-valid
MASTERCARD = 5555_5555_5555_4444
# Ordinary ints of card-like size that must stay: epoch milliseconds and nanoseconds, a
# 16-digit id that fails Luhn, a snowflake id, and small counts and status codes.
EPOCH_MS = 1_764_633_600_000
EPOCH_NS = 1_764_633_600_000_000_000
NOT_LUHN = 4111_1111_1111_1112
SNOWFLAKE = 1_234_567_890_123_456_789
ORDINARY = (EPOCH_MS, EPOCH_NS, NOT_LUHN, SNOWFLAKE, 200, 3, 0, -1)


@pytest.fixture
def spans() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    """The real OpenTelemetry SDK exporting through ScrubbingSpanExporter into memory."""
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(ScrubbingSpanExporter(memory)))
    yield provider, memory
    provider.shutdown()


def test_an_int_card_attribute_is_exported_redacted(
    spans: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    """A Luhn-valid card number as an int attribute leaves as the marker string."""
    provider, memory = spans
    with provider.get_tracer("app").start_as_current_span("charge") as span:
        span.set_attribute("card", CARD)
        span.set_attribute("payment.pan", MASTERCARD)
    [exported] = memory.get_finished_spans()
    assert exported.attributes is not None
    assert exported.attributes["card"] == REDACTED
    assert exported.attributes["payment.pan"] == REDACTED
    assert str(CARD) not in exported.to_json()
    assert str(MASTERCARD) not in exported.to_json()


def test_ordinary_int_attributes_stay_ints(
    spans: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    """Counts, ids, status codes and timestamps are exported as the ints they were."""
    provider, memory = spans
    attributes = {f"n{i}": value for i, value in enumerate(ORDINARY)}
    with provider.get_tracer("app").start_as_current_span("charge", attributes=attributes):
        pass
    [exported] = memory.get_finished_spans()
    assert dict(exported.attributes or {}) == attributes
    assert all(type(v) is int for v in (exported.attributes or {}).values())


def test_a_card_in_an_int_sequence_is_redacted_and_the_sequence_stays_homogeneous(
    spans: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    """In a sequence of ints the card becomes the marker; the others their digits, as strings.

    OpenTelemetry attribute arrays hold one type: a marker among ints would be invalid.
    """
    provider, memory = spans
    with provider.get_tracer("app").start_as_current_span("charge") as span:
        span.set_attribute("cards", [CARD, 7, EPOCH_MS])
        span.set_attribute("counts", [1, 2, EPOCH_MS])
    [exported] = memory.get_finished_spans()
    assert exported.attributes is not None
    assert exported.attributes["cards"] == (REDACTED, "7", str(EPOCH_MS))
    assert exported.attributes["counts"] == (1, 2, EPOCH_MS)


def test_int_cards_in_event_and_link_attributes_are_redacted(
    spans: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    """Span events and links are scrubbed like the span's own attributes."""
    provider, memory = spans
    tracer = provider.get_tracer("app")
    with tracer.start_as_current_span("parent") as parent:
        link_context = parent.get_span_context()
    with tracer.start_as_current_span(
        "charge", links=[Link(link_context, {"card": CARD, "n": 3})]
    ) as span:
        span.add_event("declined", {"card": CARD, "attempt": 2})
    charge = next(s for s in memory.get_finished_spans() if s.name == "charge")
    [event] = charge.events
    [link] = charge.links
    assert dict(event.attributes or {}) == {"card": REDACTED, "attempt": 2}
    assert dict(link.attributes or {}) == {"card": REDACTED, "n": 3}


def test_a_scrub_callback_may_keep_an_int_card(
    spans: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    """The card rule is the scrubber's own: its callback sees the match and may keep it."""
    seen: list[str] = []

    def keep_test_cards(match: ScrubMatch) -> object:
        seen.append(match.pattern_match)
        return match.value  # the match's own value: keep it

    configure(scrub=ScrubOptions(callback=keep_test_cards))
    provider, memory = spans
    with provider.get_tracer("app").start_as_current_span("charge", attributes={"c": CARD}):
        pass
    [exported] = memory.get_finished_spans()
    assert dict(exported.attributes or {}) == {"c": CARD}
    assert seen == ["value:card_number"]


@auto_capture_errors(context_type="payment")
def _charge(amount: int, reference: int, cards: list[int], attempt: int) -> None:
    raise ValueError("declined")


def _fail() -> None:
    with bind_context(order_ref=CARD, request_count=3), pytest.raises(ValueError):
        _charge(12, CARD, [MASTERCARD, 7], EPOCH_MS)


def test_memory_sink_events_hold_no_int_card() -> None:
    """Arguments and bound context: cards redacted, ordinary ints kept as ints."""
    sink = MemorySink()
    configure(sink=sink)
    _fail()
    [event] = sink.events
    assert str(CARD) not in repr(event)
    assert str(MASTERCARD) not in repr(event)
    assert event.arguments == {
        "amount": 12,
        "reference": REDACTED,
        "cards": [REDACTED, 7],
        "attempt": EPOCH_MS,
    }
    assert event.context["order_ref"] == REDACTED
    assert event.context["request_count"] == 3


def test_logging_sink_output_holds_no_int_card() -> None:
    """The log line, with its traceback, shows neither card."""
    stream = io.StringIO()
    logger = logging.getLogger("tests.card_ints")
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    logger.propagate = False
    try:
        configure(sink=LoggingSink(logger))
        _fail()
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "declined" in text
    assert str(CARD) not in text
    assert str(MASTERCARD) not in text


def test_sentry_sink_sends_no_int_card(sentry_transport: RecordingTransport) -> None:
    """Through the real sentry-sdk: our event and Sentry's own extra and tags."""
    configure(sink=SentrySink())
    _fail()
    sentry_sdk.set_extra("pan", CARD)
    sentry_sdk.set_extra("retries", 4)
    sentry_sdk.set_tag("pan", str(CARD))
    sentry_sdk.capture_message("declined again")
    sentry_sdk.flush()
    ours, theirs = sentry_transport.events
    payload = json.dumps(sentry_transport.events)
    assert str(CARD) not in payload
    assert str(MASTERCARD) not in payload
    assert ours["exception"]["values"][-1]["value"] == "declined"
    assert theirs["extra"]["retries"] == 4
    assert theirs["extra"]["pan"] == REDACTED


def test_opentelemetry_sink_exports_no_int_card(
    spans: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    """The sink's span and its exception event, through the real SDK, carry no card."""
    provider, memory = spans
    configure(sink=OpenTelemetrySink(tracer_provider=provider))
    _fail()
    [span] = memory.get_finished_spans()
    payload = span.to_json()
    assert str(CARD) not in payload
    assert str(MASTERCARD) not in payload
    [event] = span.events
    assert event.attributes is not None
    arguments = json.loads(str(event.attributes["autocapture.arguments"]))
    assert arguments["attempt"] == EPOCH_MS
    assert arguments["reference"] == REDACTED


def test_opentelemetry_sink_alone_puts_no_int_card_in_span_attributes() -> None:
    """Without the exporter in front, the sink's own span attributes carry no card either."""
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    configure(sink=OpenTelemetrySink(tracer_provider=provider))

    @auto_capture_errors(tags={"batch": str(CARD)})
    def settle() -> None:
        raise ValueError("declined")

    with pytest.raises(ValueError):
        settle()
    [span] = memory.get_finished_spans()
    assert str(CARD) not in span.to_json()
    provider.shutdown()


def test_log_records_through_the_scrubbing_filter_hold_no_int_card() -> None:
    """An int card as a %d argument or an extra field; other ints are printed as they were."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ScrubbingFilter())
    handler.setFormatter(logging.Formatter("%(message)s pan=%(pan)s retries=%(retries)s"))
    logger = logging.getLogger("tests.card_ints.filter")
    logger.handlers[:] = [handler]
    logger.propagate = False
    try:
        logger.warning(
            "charge %d declined after %d ms", CARD, EPOCH_MS, extra={"pan": CARD, "retries": 3}
        )
    finally:
        logger.handlers[:] = []
    line = stream.getvalue().strip()
    assert line == f"charge {REDACTED} declined after {EPOCH_MS} ms pan={REDACTED} retries=3"


# A card number read as a float (a CSV column with a gap, read by pandas, is float64):
# the same card, and floats of card-like size that must stay.
FLOAT_CARD = float(CARD)
ORDINARY_FLOATS = (19.99, float(EPOCH_MS), float(NOT_LUHN), 1e300, -0.0, 1234567890123.5)


def test_a_card_held_as_a_float_is_redacted_and_ordinary_floats_stay_floats() -> None:
    sink = MemorySink()

    @auto_capture_errors(sink=sink)
    def settle(reference: float, amounts: list[float]) -> None:
        raise ValueError("declined")

    with pytest.raises(ValueError, match="declined"):
        settle(FLOAT_CARD, [FLOAT_CARD, *ORDINARY_FLOATS])
    [event] = sink.events
    assert event.arguments["reference"] == REDACTED
    assert event.arguments["amounts"] == [REDACTED, *ORDINARY_FLOATS]
    assert all(type(v) is float for v in event.arguments["amounts"][1:])
    assert str(CARD) not in repr(event)


def test_a_float_card_attribute_is_exported_redacted(
    spans: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    """As an attribute alone or among floats (then all become text: one type per array)."""
    provider, memory = spans
    with provider.get_tracer("app").start_as_current_span("charge") as span:
        span.set_attribute("reference", FLOAT_CARD)
        span.set_attribute("amounts", [FLOAT_CARD, 19.99])
        span.set_attribute("ordinary", list(ORDINARY_FLOATS))
    [exported] = memory.get_finished_spans()
    assert exported.attributes is not None
    assert exported.attributes["reference"] == REDACTED
    assert exported.attributes["amounts"] == (REDACTED, "19.99")
    assert exported.attributes["ordinary"] == ORDINARY_FLOATS
    assert str(CARD) not in exported.to_json()


def test_a_callback_replacing_a_float_card_with_an_int_is_obeyed() -> None:
    """The callback's answer is the value, as for an int card: no keep read into it."""
    from autocapture._scrub import Scrubber

    def last_four(match: ScrubMatch) -> object:
        return int(str(match.value)[-4:]) if match.pattern_match == "value:card_number" else None

    scrubber = Scrubber(ScrubOptions(callback=last_four))
    assert scrubber.scrub({"n": CARD, "f": FLOAT_CARD, "l": [FLOAT_CARD]}) == {
        "n": 1111,
        "f": 1111,
        "l": [1111],
    }


def test_nan_and_infinite_float_attributes_stay_floats(
    spans: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    """OpenTelemetry takes them as floats; they hold no digits to hide."""
    provider, memory = spans
    with provider.get_tracer("app").start_as_current_span("charge") as span:
        span.set_attribute("inf", float("inf"))
        span.set_attribute("ratios", [0.5, float("-inf")])
    [exported] = memory.get_finished_spans()
    assert exported.attributes is not None
    assert exported.attributes["inf"] == float("inf")
    assert exported.attributes["ratios"] == (0.5, float("-inf"))
