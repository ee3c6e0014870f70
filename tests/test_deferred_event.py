"""An event a plain ``MemorySink`` receives is scrubbed at its first read, from a snapshot.

The failing call copies what the event holds as it was at the capture (the arguments'
containers, the message, the failing frames' secret locals, the callers) and the scrubbing
runs when a field is first read. Whatever way the event is read, nothing raw shows, the
values are those of the capture, and the event reads the same as one built at once.
"""

from __future__ import annotations

import copy
import dataclasses
import pickle
import threading
import time
import traceback
from datetime import datetime, timezone
from typing import Any

import pytest

from autocapture import REDACTED, CapturedError, ScrubOptions, auto_capture_errors, configure
from autocapture.sinks import MemorySink, MultiSink

API_KEY = "sk-or-v1-" + "5f0c8a2e9b7d4c1a" * 4
PASSWORD = "Zq9xW2mKp7Lr"


@pytest.fixture(autouse=True)
def _no_storm_limit() -> None:
    configure(rate_limit=None)  # every failure here is an event


def _fail_into(sink: Any) -> Any:
    @auto_capture_errors(sink=sink)
    def chat_completion(
        model: str, messages: list[dict[str, str]], api_key: str, options: dict[str, Any]
    ) -> None:
        raise ConnectionError(f"upstream 503 for {model} (key {api_key}): {messages[-1]}")

    return chat_completion


def _capture(sink: Any, messages: list[dict[str, str]], options: dict[str, Any]) -> Exception:
    try:
        _fail_into(sink)("openai/gpt-4o", messages, API_KEY, options)
    except ConnectionError as exc:
        return exc
    raise AssertionError("did not raise")


def _deferred() -> tuple[CapturedError, Exception]:
    sink = MemorySink()
    exc = _capture(
        sink,
        [{"role": "user", "content": "a distinctive question"}],
        {"password": PASSWORD, "n": 1},
    )
    (event,) = sink.events
    return event, exc


def _every_reading(event: CapturedError) -> list[str]:
    # Each public way to read an event, as text.
    fields = [f.name for f in dataclasses.fields(event) if f.name != "exception"]
    return [
        repr(event),
        str(event),
        *(repr(getattr(event, name)) for name in fields),
        repr(copy.copy(event)),
        repr(dataclasses.replace(event, level="info")),
        # The instance's own dict, but for the original exception (raw by design, API §4).
        repr({k: v for k, v in vars(event).items() if k != "exception"}),
    ]


def test_values_are_those_at_capture_even_if_the_caller_mutates_them_after() -> None:
    """Arguments, message and frame locals changed after the failure: the event is unmoved."""
    sink = MemorySink()
    messages = [{"role": "user", "content": "first question"}]
    options: dict[str, Any] = {"temperature": 0.2, "tags": ["a"]}
    exc = _capture(sink, messages, options)
    # The caller goes on with its objects before anyone reads the event.
    messages[0]["content"] = "changed"
    messages.append({"role": "user", "content": f"leaked {PASSWORD}"})
    options["temperature"] = 1.0
    options["tags"].append("b")
    options["password"] = PASSWORD
    exc.args = (f"now says {API_KEY}",)
    traceback.clear_frames(exc.__traceback__)
    (event,) = sink.events
    assert dict(event.arguments) == {
        "model": "openai/gpt-4o",
        "messages": [{"role": "user", "content": "first question"}],
        "api_key": REDACTED,
        "options": {"temperature": 0.2, "tags": ["a"]},
    }
    expected = (
        "upstream 503 for openai/gpt-4o (key [REDACTED]): "
        "{'role': 'user', 'content': 'first question'}"
    )
    assert event.message == expected


def test_the_timestamp_is_that_of_the_capture_not_of_the_read() -> None:
    """Read a while after the failure: the event says when it failed."""
    before = datetime.now(timezone.utc)
    event, _ = _deferred()
    after = datetime.now(timezone.utc)
    time.sleep(0.05)
    assert before <= event.timestamp <= after
    assert event.timestamp.tzinfo is timezone.utc


def test_nothing_raw_shows_whatever_way_the_event_is_read() -> None:
    """Attributes, repr, copies, replace, vars: no secret, before or after a first read."""
    event, _ = _deferred()
    for text in _every_reading(event):
        assert API_KEY not in text
        assert PASSWORD not in text
    assert event.arguments["options"] == {"password": REDACTED, "n": 1}
    assert f"key {REDACTED}" in event.message  # event-wide: the argument's echo


def test_vars_before_the_first_read_hold_no_raw_value() -> None:
    """Before any field is read, the event's __dict__ shows nothing of the snapshot."""
    event, _ = _deferred()
    text = repr({k: v for k, v in vars(event).items() if k != "exception"})
    assert API_KEY not in text
    assert PASSWORD not in text
    assert "distinctive" not in text


def test_the_first_read_builds_every_field() -> None:
    """One read scrubs it all: the event then holds its fields as any other event does."""
    event, _ = _deferred()
    assert event.level == "error"  # a field taken at the capture
    message = event.message
    held = vars(event)
    for name in ("message", "arguments", "context", "tags", "user"):
        assert held[name] is getattr(event, name)
    assert message is event.message


def test_a_deferred_event_equals_one_built_at_once() -> None:
    """The same failure into a MemorySink and through a MultiSink: the same fields."""
    deferred, built = MemorySink(), MemorySink()
    messages = [{"role": "user", "content": f"my password is {PASSWORD}"}]
    options = {"password": PASSWORD, "n": 1, "nested": {"token": API_KEY, "ok": [1, (2, 3)]}}
    _capture(deferred, messages, options)
    _capture(MultiSink(built), messages, options)
    (late,), (early,) = deferred.events, built.events
    assert "message" in vars(early)  # built on the caller
    for name in ("message", "arguments", "context", "tags", "user", "level", "function"):
        assert getattr(late, name) == getattr(early, name), name
    # The same callers, but for the line of this test each capture was made from.
    assert [(f.filename, f.function, f.module) for f in late.callers] == [
        (f.filename, f.function, f.module) for f in early.callers
    ]
    assert late.callers[-1] == early.callers[-1]
    assert late.callers[-1].function == "_capture"
    same = {"event_id": early.event_id, "timestamp": early.timestamp, "exception": early.exception}
    assert dataclasses.replace(late, **same, callers=()) == dataclasses.replace(early, callers=())


def test_copies_and_pickling_behave_as_for_an_event_built_at_once() -> None:
    """copy.copy reads the event whole; pickling fails as it does for any event."""
    event, _ = _deferred()
    copied = copy.copy(event)
    assert copied == event
    assert "_pending" not in vars(copied)
    with pytest.raises(TypeError, match="mappingproxy"):
        pickle.dumps(event)


def test_threads_reading_at_once_see_one_event() -> None:
    """Eight threads reading a new event at once get the very same field objects."""
    event, _ = _deferred()
    seen: list[object] = []
    start = threading.Barrier(8)

    def read() -> None:
        start.wait()
        seen.append(event.arguments)

    threads = [threading.Thread(target=read) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 8
    assert all(each is seen[0] for each in seen)


def test_a_frame_local_secret_is_redacted_after_its_frames_are_cleared() -> None:
    """A secret-named local echoed in the message: redacted though the frames are gone."""
    sink = MemorySink()

    @auto_capture_errors(sink=sink)
    def connect(host: str) -> None:
        password = PASSWORD
        raise ConnectionError(f"cannot log in to {host} with {password}")

    try:
        connect("db.internal")
    except ConnectionError as exc:
        traceback.clear_frames(exc.__traceback__)
    (event,) = sink.events
    assert event.message == f"cannot log in to db.internal with {REDACTED}"


def test_the_rules_are_those_of_the_capture() -> None:
    """configure() between the failure and the read: the event keeps the capture's rules."""
    event, _ = _deferred()
    configure(scrub=ScrubOptions(extra_keys=("model",)))
    try:
        assert event.arguments["model"] == "openai/gpt-4o"
    finally:
        configure(scrub=ScrubOptions())


def test_user_code_of_the_scrubber_runs_on_the_failing_call() -> None:
    """With a scrub callback, the event is built on the caller, within the callback's budget."""
    calls: list[str] = []

    def keep_all(match: Any) -> Any:
        calls.append(match.pattern_match)
        return match.value

    configure(scrub=ScrubOptions(callback=keep_all))
    try:
        sink = MemorySink()
        _capture(sink, [{"role": "user", "content": "hi"}], {"password": PASSWORD})
        assert calls  # asked during the failing call, not at the read
        (event,) = sink.events
        assert "arguments" in vars(event)
    finally:
        configure(scrub=ScrubOptions())


def test_an_argument_that_is_no_plain_data_is_scrubbed_on_the_caller() -> None:
    """An object argument (its repr is user code) is scrubbed at once, as before."""

    @dataclasses.dataclass
    class Request:
        token: str

    sink = MemorySink()

    @auto_capture_errors(sink=sink)
    def send(request: Request) -> None:
        raise ValueError("rejected")

    request = Request(API_KEY)
    with pytest.raises(ValueError, match="rejected"):
        send(request)
    request.token = "changed"
    (event,) = sink.events
    assert "arguments" in vars(event)
    assert event.arguments == {"request": {"token": REDACTED}}


def _break(monkeypatch: pytest.MonkeyPatch, scrubber: object, *names: str) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RecursionError("at the limit")

    for name in names:
        monkeypatch.setattr(scrubber, name, broken)


def test_arguments_failing_at_the_first_read_are_left_out_as_on_the_caller(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The arguments' scrubbing fails at the read: no arguments, the rest of the event."""
    event, _ = _deferred()
    _break(monkeypatch, event.__dict__["_pending"].scrubber, "scrub_mapping")
    assert dict(event.arguments) == {}
    assert "upstream 503 for openai/gpt-4o" in event.message
    assert "collecting the context" in caplog.text
    for text in _every_reading(event):
        assert API_KEY not in text
        assert PASSWORD not in text


def test_a_failing_first_read_gives_a_redacted_event_and_reports(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole build fails at the read: the fields are safe placeholders, nothing raises."""
    event, _ = _deferred()
    _break(monkeypatch, event.__dict__["_pending"].scrubber, "scrub_mapping", "scrub_text")
    assert event.message == REDACTED
    assert dict(event.arguments) == {}
    assert dict(event.context) == {}
    assert event.tags["function"].endswith("chat_completion")
    assert "building an event" in caplog.text
    for text in _every_reading(event):
        assert API_KEY not in text
        assert PASSWORD not in text
