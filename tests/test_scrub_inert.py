"""Inert (API §5 "Bounded and inert"): scrubbing runs no user code but one bounded repr."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from autocapture._scrub import Scrubber


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
