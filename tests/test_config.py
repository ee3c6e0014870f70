"""configure(), validation at the boundary, and re-inference after a rules change."""

from __future__ import annotations

import pytest

import autocapture
from autocapture import (
    ScrubOptions,
    auto_capture_errors,
    capture_cache_error,
    capture_error,
    configure,
    use_sink,
)
from autocapture._config import get_config
from autocapture.sinks import MemorySink


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"enabled": "yes"}, TypeError, r"enabled must be True or False, got str 'yes'"),
        ({"send_pii": 1}, TypeError, r"send_pii must be True or False, got int 1"),
        ({"sink": object()}, TypeError, r"sink must be a sink: an object with an emit"),
        ({"scrub": {"extra_keys": ["x"]}}, TypeError, r"takes an autocapture.ScrubOptions"),
        ({"rules": ["queue"]}, TypeError, r"configure\(rules=...\) takes a mapping"),
        ({"rules": {"queue": "kafka"}}, TypeError, r"queue"),
    ],
)
def test_configure_rejects_bad_values_with_a_clear_message(
    options: dict, error: type[Exception], message: str
) -> None:
    """Each bad option names itself, the value, and what is allowed; nothing changes."""
    before = autocapture._config.get_config()
    with pytest.raises(error, match=message):
        configure(**options)
    assert autocapture._config.get_config() is before


def test_configure_rejects_unknown_options() -> None:
    """An option that does not exist is a TypeError, as for any keyword-only function."""
    with pytest.raises(TypeError):
        configure(colour="blue")  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"level": "critical"}, r"level=...\) must be one of 'fatal', 'error', 'warning', 'info'"),
        ({"reraise": "no"}, r"reraise=...\) must be True or False"),
        ({"capture_args": "user_id"}, r"capture_args=...\) must be True, False or an iterable"),
        ({"tags": {"team": 1}}, r"tags=...\) must be a mapping of str to str"),
        ({"ignore": "ValueError"}, r"ignore=...\) takes an exception type"),
        ({"sink": 42}, r"sink=...\) must be a sink"),
        ({"context_type": ""}, r"context_type=...\) must be a non-empty str"),
    ],
)
def test_decorator_options_are_validated_at_decoration(options: dict, message: str) -> None:
    """Bad decorator options fail when decorating, not when the function first fails."""
    with pytest.raises((TypeError, ValueError), match=message):
        auto_capture_errors(**options)


@pytest.mark.parametrize(
    ("value", "meant"),
    [
        ("providr", "provider"),
        ("payments", "payment"),
        ("Database", "database"),
        ("db", "database"),
    ],
)
def test_a_near_miss_of_a_context_type_is_refused_with_a_suggestion(
    value: str, meant: str
) -> None:
    """A typo or a signal word instead of the type fails at decoration and at capture."""
    expected = rf"got '{value}', which is not a context type: did you mean '{meant}'\?"
    with pytest.raises(ValueError, match=expected):
        auto_capture_errors(context_type=value)
    with pytest.raises(ValueError, match=expected):
        capture_error(ValueError("x"), context_type=value)


def test_an_unknown_context_type_is_a_custom_one(captured_errors: MemorySink) -> None:
    """A name far from every known type is a custom type, registered now or later."""

    @auto_capture_errors(context_type="queue")
    def publish() -> None:
        raise RuntimeError("broker down")

    with pytest.raises(RuntimeError):
        publish()
    capture_error(ValueError("x"), context_type="search")
    assert [e.context_type for e in captured_errors.events] == ["queue", "search"]


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"level": 40}, TypeError, r"level=...\) must be a str, one of 'fatal'.*got int 40"),
        ({"level": None}, TypeError, r"level=...\) must be a str.*got NoneType None"),
        ({"level": ["error"]}, TypeError, r"got list \['error'\]"),
        ({"level": "loud"}, ValueError, r"level=...\) must be one of .*got 'loud'"),
        ({"operation": ""}, ValueError, r"operation=...\) must be a non-empty str, got ''"),
        ({"operation": 3}, TypeError, r"operation=...\) must be a non-empty str or None, got int"),
        ({"context_type": " "}, ValueError, r"context_type=...\) must be a non-empty str"),
        (
            {"context_type": b"db"},
            TypeError,
            r"context_type=...\) must be a non-empty str or None",
        ),
    ],
)
def test_a_wrong_type_is_a_type_error_and_a_wrong_value_a_value_error(
    options: dict, error: type[Exception], message: str
) -> None:
    """The exception class says which of the two is wrong; the message names both."""
    with pytest.raises(error, match=message):
        auto_capture_errors(**options)


def test_decorating_a_non_callable_is_a_type_error() -> None:
    """The decorator says what it can decorate."""
    with pytest.raises(TypeError, match="decorates a function, method, class or callable object"):
        auto_capture_errors(42)  # type: ignore[call-overload]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: capture_error("boom"), r"capture_error\(\) takes an exception, got str"),  # type: ignore[arg-type]
        (lambda: capture_error(ValueError(), level="loud"), r"level=...\) must be one of"),
        (lambda: capture_error(ValueError(), context=[1]), r"context=...\) must be a mapping"),  # type: ignore[arg-type]
        (
            lambda: capture_cache_error(ValueError(), tags={"a": 2}),
            r"tags=...\) must be a mapping",
        ),  # type: ignore[dict-item]
        (lambda: use_sink("memory").__enter__(), r"use_sink\(sink\) must be a sink"),  # type: ignore[arg-type]
    ],
)
def test_explicit_capture_validates_its_arguments(call: object, message: str) -> None:
    """capture_* and use_sink reject bad arguments with a message saying what is allowed."""
    with pytest.raises((TypeError, ValueError), match=message):
        call()  # type: ignore[operator]


def test_rules_configured_after_decorating_apply(captured_errors: MemorySink) -> None:
    """configure(rules=...) after decoration re-infers the context type on the next capture."""

    @auto_capture_errors
    def enqueue_invoice(invoice_id: str) -> None:
        raise RuntimeError("broker down")

    with pytest.raises(RuntimeError):
        enqueue_invoice("i-1")
    configure(rules={"queue": ["enqueue", "kafka"]})
    with pytest.raises(RuntimeError):
        enqueue_invoice("i-2")
    first, second = captured_errors.events
    assert first.context_type != "queue"
    assert second.context_type == "queue"
    assert second.tags["context_type"] == "queue"


def test_explicit_context_type_survives_rule_changes(captured_errors: MemorySink) -> None:
    """An explicit context_type always wins over inference, before and after configure."""

    @auto_capture_errors(context_type="cache")
    def enqueue_invoice() -> None:
        raise RuntimeError("x")

    configure(rules={"queue": ["enqueue"]})
    with pytest.raises(RuntimeError):
        enqueue_invoice()
    assert captured_errors.events[0].context_type == "cache"


def test_scrub_options_and_send_pii_apply_to_events(captured_errors: MemorySink) -> None:
    """configure(scrub=..., send_pii=...) changes what the next events keep."""

    @auto_capture_errors
    def notify(email: str, tenant_code: str) -> None:
        raise RuntimeError("smtp down")

    with pytest.raises(RuntimeError):
        notify("ada@example.com", "t-1")
    configure(scrub=ScrubOptions(extra_keys=["tenant_code"]), send_pii=True)
    with pytest.raises(RuntimeError):
        notify("ada@example.com", "t-1")
    before, after = (dict(e.arguments) for e in captured_errors.events)
    assert before == {"email": "[REDACTED]", "tenant_code": "t-1"}
    assert after == {"email": "ada@example.com", "tenant_code": "[REDACTED]"}


def test_disabled_capture_returns_none() -> None:
    """With enabled=False, capture_* emits nothing and returns None."""
    sink = MemorySink()
    configure(enabled=False, sink=sink)
    assert capture_error(ValueError("x")) is None
    assert len(sink) == 0


def test_configuration_in_force_cannot_be_changed_in_place() -> None:
    """A Config is replaced whole by configure(); setting a field says so and changes nothing."""
    config = get_config()
    with pytest.raises(AttributeError, match=r"configure\(enabled=\.\.\.\)"):
        config.enabled = False
    assert get_config().enabled is True
