"""Bounded and inert (API §5): user patterns cannot stall a capture, big messages stay cheap."""

from __future__ import annotations

import logging
import time
import tracemalloc
from typing import Callable

import pytest

import autocapture
from autocapture import ScrubMatch, ScrubOptions, capture_error
from autocapture._scrub import KEEP, REDACTED, Scrubber
from autocapture.sinks import MemorySink


@pytest.mark.parametrize("pattern", [r"(a+)+$", r"(a|a*)*b", r"(x+x+)+y", r"(\w+\s?)+$"])
def test_a_pattern_that_can_backtrack_exponentially_is_refused(pattern: str) -> None:
    with pytest.raises(ValueError, match="exponential time"):
        ScrubOptions(extra_patterns=[pattern])


@pytest.mark.parametrize(
    ("pattern", "sample"),
    [
        (r"ACME-[0-9]{8}", "ACME-12345678"),
        (r"ID-[0-9]+(?:-[0-9]+)*", "ID-12-34-56"),
        (r"(?:ab)+cd", "ababcd"),
        (r"[a-z]{3,10}\d+", "acct42"),
    ],
)
def test_linear_patterns_are_accepted_and_used(pattern: str, sample: str) -> None:
    scrubber = Scrubber(ScrubOptions(extra_patterns=[pattern]))
    assert scrubber.scrub_text(f"seen {sample} here") == f"seen {REDACTED} here"


def test_a_huge_message_is_cut_before_it_is_scanned() -> None:
    sink = MemorySink()
    message = "password=" + "Zq9x" + "Lm2Pw7" + " filler" * 15_000_000  # ~100 MB
    error = RuntimeError(message)
    tracemalloc.start()
    try:
        capture_error(error, sink=sink)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    [event] = sink.events
    assert event.message.startswith(f"password={REDACTED} filler")
    assert "truncated" in event.message
    assert peak < 20_000_000


def _slow_callback(calls: list[str]) -> Callable[[ScrubMatch], object]:
    def callback(match: ScrubMatch) -> object:
        calls.append(match.pattern_match)
        time.sleep(0.02)
        return KEEP  # would keep every match, if it were asked

    return callback


def test_a_slow_callback_is_bounded_per_capture_and_fails_closed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Once the callback has spent its time budget, the remaining matches are redacted."""
    calls: list[str] = []
    autocapture.configure(scrub=ScrubOptions(callback=_slow_callback(calls)))
    sink = MemorySink()
    arguments = {f"password_{n}": f"Zq9xLm2Pw7-{n}" for n in range(20)}
    started = time.perf_counter()
    with caplog.at_level(logging.WARNING, logger="autocapture"):
        for _ in range(2):
            capture_error(RuntimeError("failed"), sink=sink, context=arguments)
    elapsed = time.perf_counter() - started
    first, second = sink.events
    # The first few matches were kept by the callback; the rest were never asked.
    fields = {k: v for k, v in first.context.items() if k.startswith("password_")}
    kept = [k for k, v in fields.items() if v != REDACTED]
    assert len(fields) == 20
    assert 0 < len(kept) < 20
    assert len(calls) < 20 * 2
    assert elapsed < 20 * 2 * 0.02  # far less than asking about every match
    assert second.context == first.context  # the budget is per capture: the same again
    warnings = [r for r in caplog.records if "callback" in r.getMessage()]
    assert len(warnings) == 1  # reported once, not per capture


def test_a_fast_callback_is_asked_about_every_match() -> None:
    """Below the budget nothing changes: every match is the callback's to decide."""
    calls: list[str] = []
    scrubber = Scrubber(ScrubOptions(callback=lambda m: calls.append(m.pattern_match) or KEEP))
    arguments = {f"password_{n}": f"Zq9xLm2Pw7-{n}" for n in range(50)}
    assert scrubber.scrub(arguments) == arguments
    assert len(calls) == 50


def test_a_quadratic_pattern_on_a_long_text_stays_bounded() -> None:
    """A pattern that is linear per position but quadratic per text (`x.*y`) is bounded."""
    scrubber = Scrubber(ScrubOptions(extra_patterns=[r"x.*y"], max_string_length=10_000_000))
    text = "x" * 1_000_000
    started = time.perf_counter()
    out = scrubber.scrub_text(text)
    assert time.perf_counter() - started < 5.0  # unbounded, this takes hours
    assert "x" * 100_000 not in out  # what could not be scanned in time is redacted
    assert scrubber.scrub_text("seen x-secret-y here") == f"seen {REDACTED} here"


def test_a_match_across_scan_windows_is_still_found() -> None:
    """User patterns run on overlapping windows: a match across a window edge is found."""
    scrubber = Scrubber(ScrubOptions(extra_patterns=[r"ACME-[0-9]{8}"], max_string_length=100_000))
    for offset in range(8180, 8200):
        text = "." * offset + "ACME-12345678" + "." * 100
        assert "12345678" not in scrubber.scrub_text(text), offset
