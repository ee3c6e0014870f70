"""The Sentry exit scrub fails closed, whatever it raises; the user's callbacks fail as in Sentry.

Our scrub runs inside Sentry's ``before_send``/``before_breadcrumb``/
``before_send_transaction``. A failure of our own (a scrub callback that raises
``SystemExit``, a cancellation ``BaseException`` of an async framework) must neither escape
into sentry-sdk nor let the item go out raw: the item is dropped and the failure reported on
autocapture's own logger. Only ``KeyboardInterrupt`` goes through, as everywhere in
autocapture. A failure of the user's own callback behaves exactly as without autocapture.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Callable, Optional

import pytest
import sentry_sdk

from autocapture import ScrubMatch, ScrubOptions, configure
from autocapture.sinks import SentrySink

from .conftest import RecordingTransport

HUNTER = "hunter" + "2-" + "Qz8pLm4X"
SECRET_LINE = f"connecting to postgresql://app:{HUNTER}@db/app"


class Cancelled(BaseException):
    """Like trio's ``Cancelled`` or gevent's ``Timeout``: a BaseException, not an Exception."""


class LossRecordingTransport(RecordingTransport):
    """Also keeps the reasons Sentry gives for the events it drops."""

    def __init__(self, options: Optional[dict[str, Any]] = None) -> None:
        super().__init__(options)
        self.lost: list[tuple[str, Any]] = []

    def record_lost_event(
        self, reason: str, data_category: Any = None, item: Any = None, *, quantity: int = 1
    ) -> None:
        self.lost.append((reason, data_category))


def _init(**options: Any) -> LossRecordingTransport:
    transport = LossRecordingTransport()
    # debug: Sentry logs what its guards catch ("Internal error in sentry_sdk").
    sentry_sdk.init(
        dsn="https://public@sentry.example.invalid/1", transport=transport, debug=True, **options
    )
    return transport


def _raising_callback(error: Callable[[], BaseException]) -> Callable[[ScrubMatch], object]:
    def callback(_match: ScrubMatch) -> object:
        raise error()

    return callback


def _ours_fail_with(error: Callable[[], BaseException]) -> None:
    """Make every scrub that finds a secret raise ``error`` (through the scrub callback)."""
    configure(sink=SentrySink(), scrub=ScrubOptions(callback=_raising_callback(error)))


def _autocapture_reports(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "autocapture"]


def _sentry_internal_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "sentry_sdk.errors" and r.getMessage() == "Internal error in sentry_sdk"
    ]


def _activate_exit_scrub() -> None:
    """The exit scrub is installed on a client's first event."""
    sentry_sdk.capture_message("first event")
    sentry_sdk.flush()


@pytest.mark.parametrize("error", [SystemExit, Cancelled, GeneratorExit])
def test_an_event_whose_scrub_raises_a_base_exception_is_dropped_and_reported(
    caplog: pytest.LogCaptureFixture, error: Callable[[], BaseException]
) -> None:
    """Nothing raw leaves, nothing escapes into Sentry, autocapture's logger says why."""
    transport = _init()
    _activate_exit_scrub()
    _ours_fail_with(error)
    caplog.set_level(logging.DEBUG)
    sentry_sdk.capture_message(SECRET_LINE)
    sentry_sdk.flush()
    assert [e["message"] for e in transport.events] == ["first event"]
    assert HUNTER not in json.dumps(transport.events)
    assert _sentry_internal_errors(caplog) == []
    [report] = _autocapture_reports(caplog)
    assert report.startswith("autocapture failed at scrubbing a Sentry event: ")
    assert error.__name__ in report


def test_a_transaction_whose_scrub_raises_a_base_exception_is_dropped_and_reported(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The same for transactions: dropped, not sent raw."""
    transport = _init(traces_sample_rate=1.0)
    _activate_exit_scrub()
    _ours_fail_with(Cancelled)
    caplog.set_level(logging.DEBUG)
    with sentry_sdk.start_transaction(name="checkout"), sentry_sdk.start_span(name=SECRET_LINE):
        pass
    sentry_sdk.flush()
    sent = [i for e in transport.envelopes for i in e.items if i.type == "transaction"]
    assert sent == []
    assert _sentry_internal_errors(caplog) == []
    assert any("scrubbing a Sentry transaction" in r for r in _autocapture_reports(caplog))


def test_a_breadcrumb_whose_scrub_raises_a_base_exception_is_not_stored_raw(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A crumb we could not scrub is dropped (Sentry would otherwise keep it as it was)."""
    _init()
    _activate_exit_scrub()
    _ours_fail_with(SystemExit)
    caplog.set_level(logging.DEBUG)
    sentry_sdk.add_breadcrumb(message=SECRET_LINE)
    stored = list(sentry_sdk.get_isolation_scope()._breadcrumbs)
    assert HUNTER not in json.dumps(stored, default=str)
    assert _sentry_internal_errors(caplog) == []
    assert any("scrubbing a Sentry breadcrumb" in r for r in _autocapture_reports(caplog))


def test_a_keyboard_interrupt_in_our_scrub_is_not_turned_into_a_report(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Ctrl-C goes through our guard (Sentry then handles it as its own callbacks' errors)."""
    transport = _init()
    _activate_exit_scrub()
    _ours_fail_with(KeyboardInterrupt)
    caplog.set_level(logging.DEBUG)
    sentry_sdk.capture_message(SECRET_LINE)
    sentry_sdk.flush()
    assert HUNTER not in json.dumps(transport.events)
    assert _autocapture_reports(caplog) == []


def _outcome(
    *, with_autocapture: bool, error: type[BaseException]
) -> tuple[list[str], list[tuple[str, Any]]]:
    """Send two messages through a before_send that fails on the second one."""

    def before_send(event: dict[str, Any], _hint: Any) -> dict[str, Any]:
        if event.get("message") == "second":
            raise error("the user's own bug")
        return event

    transport = _init(before_send=before_send)
    if with_autocapture:
        configure(sink=SentrySink())
    sentry_sdk.capture_message("first")
    sentry_sdk.capture_message("second")
    sentry_sdk.flush()
    outcome = [e["message"] for e in transport.events], transport.lost
    sentry_sdk.get_global_scope().set_client(None)
    return outcome


@pytest.mark.parametrize("error", [ValueError, SystemExit, Cancelled])
def test_a_failing_user_before_send_behaves_as_without_autocapture(
    caplog: pytest.LogCaptureFixture, error: type[BaseException]
) -> None:
    """Sentry drops the event and counts it lost, with us as without us; we report nothing."""
    caplog.set_level(logging.DEBUG)
    without = _outcome(with_autocapture=False, error=error)
    internal_without = len(_sentry_internal_errors(caplog))
    caplog.clear()
    with_us = _outcome(with_autocapture=True, error=error)
    assert with_us == without
    assert without[0] == ["first"]
    assert len(_sentry_internal_errors(caplog)) == internal_without
    assert _autocapture_reports(caplog) == []


def test_a_failing_user_before_breadcrumb_behaves_as_without_autocapture(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Sentry keeps the crumb when the user's callback raises; it still leaves scrubbed."""

    def before_breadcrumb(_crumb: dict[str, Any], _hint: Any) -> dict[str, Any]:
        raise Cancelled

    transport = _init(before_breadcrumb=before_breadcrumb)
    configure(sink=SentrySink())
    _activate_exit_scrub()
    caplog.set_level(logging.DEBUG)
    sentry_sdk.add_breadcrumb(message=SECRET_LINE)
    sentry_sdk.capture_message("after the crumb")
    sentry_sdk.flush()
    assert _autocapture_reports(caplog) == []
    event = transport.events[-1]
    [crumb] = event["breadcrumbs"]["values"]
    assert crumb["message"] == "connecting to postgresql://app:[REDACTED]@db/app"
