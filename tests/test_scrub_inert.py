"""Inert (API §5 "Bounded and inert"): scrubbing runs no user code but one bounded repr."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest

from autocapture import auto_capture_errors
from autocapture._scrub import Scrubber
from autocapture.sinks import MemorySink, MultiSink, SentrySink

from .conftest import RecordingTransport


class LazyRows(Sequence[int]):
    """A query set: iterating it fetches rows."""

    fetched = 0

    def __len__(self) -> int:
        return 1000

    def __getitem__(self, index: Any) -> Any:
        LazyRows.fetched += 1
        return index

    def __iter__(self) -> Iterator[int]:
        LazyRows.fetched += 1
        yield from range(3)

    def __repr__(self) -> str:
        return "<QuerySet [...]>"


class LazyMapping(Mapping[str, int]):
    reads = 0

    def __getitem__(self, key: str) -> int:
        LazyMapping.reads += 1
        return 1

    def __iter__(self) -> Iterator[str]:
        LazyMapping.reads += 1
        yield "a"

    def __len__(self) -> int:
        return 1

    def __repr__(self) -> str:
        return "<LazyMapping>"


class Proxy:
    """A lazy proxy: reading `__class__` evaluates the wrapped object."""

    evaluated = 0

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        Proxy.evaluated += 1
        return dict

    def __repr__(self) -> str:
        return "<Proxy>"


def test_a_lazy_sequence_or_mapping_is_never_iterated() -> None:
    out = Scrubber().scrub({"rows": LazyRows(), "data": LazyMapping()})
    assert out == {"rows": "<QuerySet [...]>", "data": "<LazyMapping>"}
    assert LazyRows.fetched == 0
    assert LazyMapping.reads == 0


def test_a_lazy_proxy_is_never_evaluated() -> None:
    out = Scrubber().scrub({"user": Proxy()})
    assert out == {"user": {"__type__": "tests.test_scrub_inert.Proxy"}}
    assert Proxy.evaluated == 0


class CountingRepr:
    """An object without fields whose `repr` is slow in real life: each call is counted."""

    __slots__ = ()
    calls = 0

    def __repr__(self) -> str:
        CountingRepr.calls += 1
        return "<CountingRepr token=Zq9xLm2Pw7Rt4Vb8>"


def _fail_with(obj: object, sink: Any) -> None:
    @auto_capture_errors(sink=sink)
    def call(client: object) -> None:
        raise ValueError("upstream refused")

    with pytest.raises(ValueError, match="upstream refused"):
        call(obj)


def test_an_argument_is_repred_once_per_capture_into_sentry(
    sentry_transport: RecordingTransport,
) -> None:
    """Arguments and Sentry's frame variables share one `repr` of an object per capture."""
    CountingRepr.calls = 0
    _fail_with(CountingRepr(), SentrySink())
    [event] = sentry_transport.events
    frame = event["exception"]["values"][-1]["stacktrace"]["frames"][-1]
    assert frame["vars"]["client"] == "<CountingRepr token=[REDACTED]>"
    assert event["extra"]["arguments"]["client"] == "<CountingRepr token=[REDACTED]>"
    assert CountingRepr.calls == 1


def test_an_argument_is_repred_once_per_capture_into_memory_and_sentry(
    sentry_transport: RecordingTransport,
) -> None:
    """With two sinks (MemorySink and SentrySink) the object is still repr'd once."""
    CountingRepr.calls = 0
    memory = MemorySink()
    _fail_with(CountingRepr(), MultiSink(memory, SentrySink()))
    [captured] = memory.events
    assert captured.arguments["client"] == "<CountingRepr token=[REDACTED]>"
    assert len(sentry_transport.events) == 1
    assert CountingRepr.calls == 1


def test_a_second_capture_reprs_again() -> None:
    """The memo lives for one capture: the next capture sees the object as it is now."""
    CountingRepr.calls = 0
    memory = MemorySink()
    obj = CountingRepr()
    _fail_with(obj, memory)
    _fail_with(obj, memory)
    assert CountingRepr.calls == 2
