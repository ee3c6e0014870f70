"""The decorator on plain synchronous functions (twin of test_async.py)."""

from __future__ import annotations

import inspect
import traceback

import pytest
from starlette.exceptions import HTTPException

from autocapture import CapturedError, auto_capture_errors, configure, use_sink
from autocapture.sinks import MemorySink


class HTTPError(HTTPException):
    """A route's own Starlette/FastAPI HTTPException: an answer below 500, a bug from 500."""

    def __init__(self, status_code: int) -> None:
        super().__init__(status_code, detail=f"HTTP {status_code}")


@auto_capture_errors
def get_user(user_id: int, password: str = "") -> dict[str, int]:
    """Fetch a user."""
    if user_id < 0:
        raise ValueError(f"no user {user_id}")
    return {"id": user_id}


def test_success_returns_the_value_and_captures_nothing(captured_errors: MemorySink) -> None:
    """A call that succeeds returns its value untouched and emits no event."""
    assert get_user(7) == {"id": 7}
    assert captured_errors.events == []


def test_failure_is_reraised_as_the_same_object_with_its_traceback(
    captured_errors: MemorySink,
) -> None:
    """The re-raised exception is the very object raised, traceback intact."""
    with pytest.raises(ValueError, match="no user -1") as info:
        get_user(-1)
    [event] = captured_errors.events
    assert event.exception is info.value
    frames = [f.name for f in traceback.extract_tb(info.value.__traceback__)]
    assert frames[-1] == "get_user"


def test_event_fields(captured_errors: MemorySink) -> None:
    """The event carries id, message, function, module, arguments, tags, level and UTC time."""
    with pytest.raises(ValueError):
        get_user(-1, password="hunter2-secret")
    [event] = captured_errors.events
    assert isinstance(event, CapturedError)
    assert len(event.event_id) == 32
    assert event.event_id == event.event_id.lower()
    int(event.event_id, 16)
    assert event.message == "no user -1"
    assert event.function == f"{__name__}.get_user"
    assert event.module == __name__
    assert event.arguments["user_id"] == -1
    assert event.arguments["password"] == "[REDACTED]"
    assert event.tags["function"] == event.function
    assert event.tags["module"] == __name__
    assert event.tags["context_type"] == event.context_type
    assert event.level == "error"
    assert event.timestamp.utcoffset() is not None
    assert event.timestamp.utcoffset().total_seconds() == 0
    assert event.handled is False


def test_introspection_is_preserved() -> None:
    """Name, qualname, doc, module, __wrapped__, signature and inspect answers are kept."""
    assert get_user.__name__ == "get_user"
    assert get_user.__qualname__ == "get_user"
    assert get_user.__doc__ == "Fetch a user."
    assert get_user.__module__ == __name__
    assert inspect.signature(get_user) == inspect.signature(get_user.__wrapped__)  # type: ignore[attr-defined]
    assert not inspect.iscoroutinefunction(get_user)
    assert not inspect.isgeneratorfunction(get_user)
    assert not inspect.isasyncgenfunction(get_user)


def test_reraise_false_returns_the_default(captured_errors: MemorySink) -> None:
    """With reraise=False the error is captured and the call returns ``default``."""

    @auto_capture_errors(reraise=False, default={"fallback": True})
    def load() -> dict[str, bool]:
        raise RuntimeError("down")

    assert load() == {"fallback": True}
    [event] = captured_errors.events
    assert event.handled is True


def test_ignored_types_propagate_uncaptured(captured_errors: MemorySink) -> None:
    """Exceptions matched by ``ignore`` are re-raised without capture, even with reraise=False."""

    @auto_capture_errors(ignore=(KeyError,), reraise=False)
    def lookup() -> None:
        raise KeyError("k")

    with pytest.raises(KeyError):
        lookup()
    assert captured_errors.events == []


def test_ignore_predicate(captured_errors: MemorySink) -> None:
    """A predicate passed as ``ignore`` decides per exception."""

    @auto_capture_errors(ignore=lambda exc: "expected" in str(exc))
    def work(message: str) -> None:
        raise RuntimeError(message)

    with pytest.raises(RuntimeError):
        work("expected failure")
    with pytest.raises(RuntimeError):
        work("real failure")
    assert [e.message for e in captured_errors.events] == ["real failure"]


def test_http_4xx_is_not_captured_but_5xx_is(captured_errors: MemorySink) -> None:
    """A framework HTTPException below 500 is an answer, not captured; from 500 it is a bug."""

    @auto_capture_errors
    def route(status: int) -> None:
        raise HTTPError(status)

    for status in (400, 404, 422, 500, 503):
        with pytest.raises(HTTPError):
            route(status)
    assert [e.message for e in captured_errors.events] == ["500: HTTP 500", "503: HTTP 503"]


@pytest.mark.parametrize("exc_type", [KeyboardInterrupt, SystemExit, GeneratorExit])
def test_base_exceptions_are_never_captured(
    captured_errors: MemorySink, exc_type: type[BaseException]
) -> None:
    """BaseExceptions that are not Exceptions propagate untouched."""

    @auto_capture_errors(reraise=False)
    def stop() -> None:
        raise exc_type

    with pytest.raises(exc_type):
        stop()
    assert captured_errors.events == []


def test_stop_iteration_is_control_flow(captured_errors: MemorySink) -> None:
    """StopIteration raised by a plain function is iteration control, not an error."""

    @auto_capture_errors(reraise=False)
    def next_item() -> None:
        raise StopIteration

    with pytest.raises(StopIteration):
        next_item()
    assert captured_errors.events == []


def test_tags_level_and_explicit_context(captured_errors: MemorySink) -> None:
    """Options tags, level, context_type and operation reach the event."""

    @auto_capture_errors(
        context_type="payment", operation="refund", tags={"team": "billing"}, level="warning"
    )
    def undo(order_id: str) -> None:
        raise RuntimeError("refund failed")

    with pytest.raises(RuntimeError):
        undo("o-1")
    [event] = captured_errors.events
    assert (event.context_type, event.operation, event.level) == ("payment", "refund", "warning")
    assert event.tags["team"] == "billing"
    assert event.tags["operation"] == "refund"
    assert event.context["operation"] == "refund"


def test_tag_values_under_secret_names_are_redacted(captured_errors: MemorySink) -> None:
    """A tag named like a secret keeps its name and loses its value, in both capture paths."""
    from autocapture import capture_error

    secret = "plain" + "secret" + "123"

    @auto_capture_errors(tags={"db_password": secret, "team": "billing"})
    def sync_accounts() -> None:
        raise RuntimeError("sync failed")

    with pytest.raises(RuntimeError):
        sync_accounts()
    capture_error(ValueError("x"), tags={"api_key": secret, "region": "eu"})
    decorated, explicit = captured_errors.events
    assert (decorated.tags["db_password"], decorated.tags["team"]) == ("[REDACTED]", "billing")
    assert (explicit.tags["api_key"], explicit.tags["region"]) == ("[REDACTED]", "eu")


def test_default_argument_values_are_part_of_the_call(captured_errors: MemorySink) -> None:
    """Arguments left to their defaults are shown too, and feed the context fields."""

    @auto_capture_errors(context_type="database")
    def fetch_rows(user_id: int, table: str = "users", *, limit: int = 50) -> None:
        raise LookupError("no rows")

    with pytest.raises(LookupError):
        fetch_rows(7, limit=5)
    [event] = captured_errors.events
    assert event.arguments == {"user_id": 7, "limit": 5, "table": "users"}
    assert event.context["table"] == "users"


def test_a_huge_message_is_kept_bounded_and_scrubbed_across_the_cut(
    captured_errors: MemorySink,
) -> None:
    """Megabytes of message: the event keeps the start; a secret on the cut is still hidden."""
    key = "sk_" + "live_" + "51HxQa9ZLrT2vYpWm4Kc8dN3"
    text = "a" * 8180 + " " + key + " " + "b" * 5_000_000

    @auto_capture_errors
    def upload() -> None:
        raise ValueError(text)

    with pytest.raises(ValueError, match=r"^a+ sk_") as info:
        upload()
    assert str(info.value) == text  # the user's exception is untouched
    [event] = captured_errors.events
    assert event.message.startswith("a" * 8180 + " [REDAC")
    assert event.message.endswith(f"...[truncated {len(text) - 8192} chars]")
    assert len(event.message) < 8300
    assert "51HxQa9" not in event.message


@pytest.mark.parametrize(
    ("capture_args", "expected"),
    [(True, {"a": 1, "b": 2}), (False, {}), (["b"], {"b": 2})],
)
def test_capture_args(captured_errors: MemorySink, capture_args: object, expected: dict) -> None:
    """capture_args selects all, none, or the named arguments."""

    @auto_capture_errors(capture_args=capture_args)  # type: ignore[arg-type]
    def f(a: int, b: int) -> None:
        raise RuntimeError("x")

    with pytest.raises(RuntimeError):
        f(1, b=2)
    assert dict(captured_errors.events[0].arguments) == expected


def test_sink_option_wins(captured_errors: MemorySink) -> None:
    """A decorator's sink= receives the event even inside use_sink and with a configured sink."""
    own, local, configured = MemorySink(), MemorySink(), MemorySink()
    configure(sink=configured)

    @auto_capture_errors(sink=own)
    def f() -> None:
        raise RuntimeError("x")

    with use_sink(local), pytest.raises(RuntimeError):
        f()
    assert (len(own), len(local), len(configured)) == (1, 0, 0)


def test_sink_resolution_order() -> None:
    """use_sink beats the configured sink; the configured sink beats the default."""
    local, configured = MemorySink(), MemorySink()
    configure(sink=configured)

    @auto_capture_errors
    def f() -> None:
        raise RuntimeError("x")

    with use_sink(local), pytest.raises(RuntimeError):
        f()
    with pytest.raises(RuntimeError):
        f()
    assert (len(local), len(configured)) == (1, 1)


def test_configure_disabled_leaves_functions_untouched() -> None:
    """configure(enabled=False) makes decoration return the very function."""
    configure(enabled=False)

    def plain() -> None:
        pass

    assert auto_capture_errors(plain) is plain
    assert auto_capture_errors(reraise=False)(plain) is plain


def test_configure_disabled_after_decorating_stops_capture(captured_errors: MemorySink) -> None:
    """Disabling after decoration stops captures, and the error still propagates."""

    @auto_capture_errors
    def f() -> None:
        raise RuntimeError("x")

    configure(enabled=False)
    with pytest.raises(RuntimeError):
        f()
    assert captured_errors.events == []


def test_callable_object(captured_errors: MemorySink) -> None:
    """A callable object is wrapped transparently: isinstance and attributes still work."""

    class Client:
        retries = 3

        def __call__(self, model: str) -> str:
            raise ConnectionError(f"cannot reach {model}")

    client = Client()
    wrapped = auto_capture_errors(client)
    assert isinstance(wrapped, Client)
    assert wrapped.retries == 3
    with pytest.raises(ConnectionError):
        wrapped("gpt-4")
    [event] = captured_errors.events
    assert event.arguments == {"model": "gpt-4"}


def test_event_ids_are_uuid4_hex(captured_errors: MemorySink) -> None:
    """Event ids are version-4 UUIDs written as 32 lowercase hex characters, all distinct."""
    import uuid

    @auto_capture_errors(reraise=False)
    def f() -> None:
        raise RuntimeError("x")

    for _ in range(200):
        f()
    ids = [e.event_id for e in captured_errors.events]
    assert len(set(ids)) == 200
    for event_id in ids:
        parsed = uuid.UUID(event_id)
        assert (parsed.version, parsed.variant, parsed.hex) == (4, uuid.RFC_4122, event_id)


def test_signature_is_visible_without_following_wrapped() -> None:
    """Tools that ignore __wrapped__ (getfullargspec, as Celery uses) see the real arguments."""
    spec = inspect.getfullargspec(get_user)
    assert spec.args == ["user_id", "password"]
    assert spec.varargs is None
    assert spec.varkw is None


@pytest.mark.parametrize("name", ["Retry", "Ignore", "Reject"])
def test_celery_control_flow_exceptions_are_not_errors(
    captured_errors: MemorySink, name: str
) -> None:
    """Celery's Retry, Ignore and Reject steer a task; they are re-raised uncaptured."""
    exceptions = pytest.importorskip("celery.exceptions", reason="celery is not installed")
    control = getattr(exceptions, name)

    @auto_capture_errors(reraise=False)
    def task() -> None:
        raise control()

    with pytest.raises(control):
        task()
    assert captured_errors.events == []


def test_events_are_complete_frozen_dataclasses(captured_errors: MemorySink) -> None:
    """A captured event has every field and equals one built through the constructor."""
    import dataclasses

    with pytest.raises(ValueError):
        get_user(-1)
    [event] = captured_errors.events
    fields = {f.name: getattr(event, f.name) for f in dataclasses.fields(CapturedError)}
    assert CapturedError(**fields) == event
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.level = "info"  # type: ignore[misc]
