"""Celery: decorated tasks run by a real worker (memory broker) are captured once."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import celery.contrib.testing.tasks  # noqa: F401 - registers the worker's ping task
import pytest
import sentry_sdk
from celery import Celery
from celery.exceptions import Retry
from sentry_sdk.integrations.celery import CeleryIntegration

from autocapture import auto_capture_errors
from autocapture.sinks import MemorySink
from autocapture.tasks import capture_celery_failures
from tests.conftest import RecordingTransport

app = Celery("autocapture-tests", broker="memory://", backend="cache+memory://")
# The in-memory transport polls once a second by default: poll fast, so the tests are fast.
app.conf.update(
    broker_transport_options={"polling_interval": 0.01},
    worker_hijack_root_logger=False,
)


class PaymentDeclinedError(Exception):
    """A domain error with a constructor Celery's result backend can rebuild."""


@app.task(name="tests.charge_card")  # type: ignore[untyped-decorator]
@auto_capture_errors
def charge_card(amount: int, card_token: str = "", currency: str = "eur") -> int:
    """Charge a card; negative amounts are declined."""
    if amount < 0:
        raise PaymentDeclinedError(f"declined: {amount} {currency}")
    return amount


@app.task(name="tests.plain_export", bind=True)  # type: ignore[untyped-decorator]
def plain_export(self: Any, report_id: int) -> None:
    """A task that is not decorated."""
    raise KeyError(f"no report {report_id}")


@pytest.fixture(scope="module")
def worker() -> Iterator[None]:
    """A real Celery worker in a thread, consuming the in-memory broker (one per module)."""
    # Sentry's CeleryIntegration patches celery.app.trace.build_tracer, which the worker's
    # consumer imports by name: set it up before the worker modules are imported, as a
    # worker process that calls sentry_sdk.init at startup does.
    sentry_sdk.init(integrations=[CeleryIntegration()])
    sentry_sdk.get_global_scope().set_client(None)
    from celery.contrib.testing.worker import start_worker

    with start_worker(app, pool="solo", perform_ping_check=True, shutdown_timeout=10):
        yield


def test_the_decorated_function_is_still_a_celery_task() -> None:
    """Name, signature, docstring and .delay/.apply survive the decorator."""
    assert charge_card.name == "tests.charge_card"
    assert list(inspect.signature(charge_card).parameters) == ["amount", "card_token", "currency"]
    assert charge_card.__doc__ == "Charge a card; negative amounts are declined."
    assert charge_card.apply(args=(5,)).get() == 5
    assert callable(charge_card.delay)


def test_a_failing_task_run_by_a_worker_is_captured_once_and_celery_records_it(
    worker: None, captured_errors: MemorySink
) -> None:
    """The worker's failure is one event, and Celery still stores FAILURE and the error."""
    result = charge_card.delay(-3, card_token="tok_4242424242424242")
    assert isinstance(result.get(propagate=False, timeout=20), PaymentDeclinedError)
    assert result.state == "FAILURE"
    assert type(result.result) is PaymentDeclinedError
    assert str(result.result) == "declined: -3 eur"
    [event] = captured_errors.events
    assert event.function == f"{__name__}.charge_card"
    assert event.arguments == {"amount": -3, "card_token": "[REDACTED]", "currency": "eur"}
    assert event.handled is False
    assert charge_card.delay(7).get(timeout=20) == 7
    assert len(captured_errors.events) == 1


def test_capture_celery_failures_covers_tasks_that_are_not_decorated(
    worker: None, captured_errors: MemorySink
) -> None:
    """With the task_failure signal, plain tasks are captured; decorated ones still once."""
    disconnect = capture_celery_failures(app)
    capture_celery_failures(app)  # idempotent
    try:
        plain = plain_export.delay(9)
        assert isinstance(plain.get(propagate=False, timeout=20), KeyError)
        decorated = charge_card.delay(-1)
        assert isinstance(decorated.get(propagate=False, timeout=20), PaymentDeclinedError)
    finally:
        disconnect()
    plain_event, decorated_event = captured_errors.events
    assert plain_event.function == f"{__name__}.plain_export"
    assert plain_event.arguments == {"report_id": 9}
    assert plain_event.tags["celery_task"] == "tests.plain_export"
    assert plain_event.context["celery_task_id"] == plain.id
    assert decorated_event.function == f"{__name__}.charge_card"
    assert plain.state == decorated.state == "FAILURE"


def test_capture_celery_failures_for_another_app_ignores_this_one(
    worker: None, captured_errors: MemorySink
) -> None:
    """A receiver connected for another app does not capture this app's tasks."""
    other = Celery("other", broker="memory://", backend="cache+memory://")
    disconnect = capture_celery_failures(other)
    try:
        assert isinstance(plain_export.delay(1).get(propagate=False, timeout=20), KeyError)
    finally:
        disconnect()
    assert captured_errors.events == []


def test_with_sentrys_celery_integration_one_sentry_event(worker: None) -> None:
    """CeleryIntegration (plus logging) and the decorator together send one Sentry event."""
    transport = RecordingTransport()
    sentry_sdk.init(
        dsn="https://public@sentry.example.invalid/1",
        transport=transport,
        integrations=[CeleryIntegration()],
    )
    assert getattr(charge_card, "_sentry_is_patched", False)  # Sentry is in the call path
    result = charge_card.delay(-2)
    assert isinstance(result.get(propagate=False, timeout=20), PaymentDeclinedError)
    sentry_sdk.flush()
    [event] = transport.events
    [value] = event["exception"]["values"]
    assert (value["type"], value["mechanism"]["type"]) == ("PaymentDeclinedError", "autocapture")
    assert result.state == "FAILURE"


@app.task(name="tests.sync_ledger", bind=True, max_retries=1, default_retry_delay=0)  # type: ignore[untyped-decorator]
@auto_capture_errors(ignore=Retry)
def sync_ledger(self: Any, ledger_id: int) -> None:
    """Retry once, then fail for good."""
    raise self.retry(countdown=0)


def test_retry_is_control_flow_when_ignored(captured_errors: MemorySink) -> None:
    """With ignore=Retry, self.retry() is not an error; the final failure is captured once."""
    result = sync_ledger.apply(args=(3,))
    assert result.state == "FAILURE"
    assert [type(e.exception).__name__ for e in captured_errors.events] == [
        "MaxRetriesExceededError"
    ]
