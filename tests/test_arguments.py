"""An event's arguments: the failing call bound to the function's signature (API §4)."""

from __future__ import annotations

from typing import Any

import pytest

from autocapture import auto_capture_errors
from autocapture.sinks import MemorySink


def _arguments(func: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    sink = MemorySink()
    wrapped = auto_capture_errors(sink=sink, reraise=False)(func)
    wrapped(*args, **kwargs)
    [event] = sink.events
    return dict(event.arguments)


def test_positional_and_keyword_arguments_by_their_parameters_names() -> None:
    def send(channel: str, text: str, *, urgent: bool) -> None:
        raise RuntimeError("x")

    assert _arguments(send, "ops", text="disk full", urgent=True) == {
        "channel": "ops",
        "text": "disk full",
        "urgent": True,
    }


def test_defaults_not_passed_are_part_of_the_call() -> None:
    def query(table: str = "users", limit: int = 10) -> None:
        raise RuntimeError("x")

    assert _arguments(query, limit=5) == {"limit": 5, "table": "users"}


def test_extra_positional_arguments_under_the_star_parameters_name() -> None:
    def log(level: str, *parts: str) -> None:
        raise RuntimeError("x")

    assert _arguments(log, "warn", "a", "b") == {"level": "warn", "parts": ["a", "b"]}


def test_extra_keywords_under_the_double_star_parameters_name() -> None:
    def emit(name: str, **fields: Any) -> None:
        raise RuntimeError("x")

    assert _arguments(emit, name="signup", plan="pro", seats=3) == {
        "name": "signup",
        "fields": {"plan": "pro", "seats": 3},
    }


def test_a_wrong_call_fails_at_the_call_as_the_functions_own_would() -> None:
    """The wrapper has the function's parameters: the call never starts, nothing is sent."""
    sink = MemorySink()

    @auto_capture_errors(sink=sink, reraise=False)
    def pair(a: int, b: int) -> None:
        raise AssertionError("never runs")

    with pytest.raises(TypeError, match="positional"):
        pair(1, 2, 3)  # type: ignore[call-arg]
    assert sink.events == []


def test_a_wrong_call_through_a_generic_wrapper_shows_what_was_passed() -> None:
    """A parameter named like the wrapper's own names (``func``) gets the generic
    ``(*args, **kwargs)`` wrapper: the wrong call fails inside it, the extra values are
    numbered by position."""

    def apply(func: Any, value: int) -> None:
        raise AssertionError("never runs")

    assert _arguments(apply, "f", 1, 2, 3) == {"func": "f", "value": 1, "arg2": 2, "arg3": 3}


def test_self_and_cls_are_never_arguments() -> None:
    sink = MemorySink()

    class Store:
        @auto_capture_errors(sink=sink, reraise=False)
        def get(self, key: str) -> None:
            raise KeyError(key)

        @classmethod
        @auto_capture_errors(sink=sink, reraise=False)
        def open(cls, path: str) -> None:
            raise OSError(path)

    Store().get("k-1")
    Store.open("data/x.db")
    assert [dict(e.arguments) for e in sink.events] == [{"key": "k-1"}, {"path": "data/x.db"}]


@pytest.mark.parametrize(
    ("capture_args", "expected"),
    [(False, {}), (["order_id"], {"order_id": "o-1"}), (True, {"order_id": "o-1", "note": "n"})],
)
def test_capture_args_chooses_which_are_kept(capture_args: Any, expected: dict[str, Any]) -> None:
    sink = MemorySink()

    @auto_capture_errors(sink=sink, reraise=False, capture_args=capture_args)
    def ship(order_id: str, note: str) -> None:
        raise RuntimeError("x")

    ship("o-1", note="n")
    [event] = sink.events
    assert dict(event.arguments) == expected
