"""Bounded and inert (API §5): user patterns cannot stall a capture, big messages stay cheap."""

from __future__ import annotations

import tracemalloc

import pytest

from autocapture import ScrubOptions, capture_error
from autocapture._scrub import REDACTED, Scrubber
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
