"""Sentry events its own integrations report first carry the bound tags, user and context."""

from __future__ import annotations

import logging

import httpx
import pytest
from fastapi import FastAPI, Request

from autocapture import CapturedError, bind_context, configure
from autocapture.asgi import instrument
from autocapture.sinks import MultiSink, SentrySink
from tests.conftest import RecordingTransport

logger = logging.getLogger("tests.integration_context")


def test_log_then_raise_inside_bind_context_makes_one_rich_event(
    sentry_transport: RecordingTransport,
) -> None:
    """logger.exception inside bind_context: the logging integration's event has its context."""
    with bind_context(user_id="u-7", request_id="r-9", tenant="acme"):
        try:
            raise ValueError("upstream refused")
        except ValueError:
            logger.exception("charge failed")
    (event,) = sentry_transport.events
    assert event["user"]["id"] == "u-7"
    assert (
        event["contexts"]["general"]["request_id"],
        event["contexts"]["general"]["tenant"],
    ) == (
        "r-9",
        "acme",
    )


async def test_an_integration_first_event_of_a_request_carries_the_request_tags(
    sentry_transport: RecordingTransport,
) -> None:
    """A route that logs its error before raising: the one Sentry event has the request's tags."""
    app = FastAPI()

    @app.get("/v1/payments/{payment_id}")
    async def pay(payment_id: str, request: Request) -> None:
        request.state.user_id = "u-42"
        try:
            raise RuntimeError("card processor down")
        except RuntimeError:
            logger.exception("payment failed")
            raise

    transport = httpx.ASGITransport(app=instrument(app), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/v1/payments/p-1", headers={"x-request-id": "req-5"})
    assert response.status_code == 500
    (event,) = sentry_transport.events
    tags = event["tags"]
    assert (tags["endpoint"], tags["method"], tags["endpoint_type"], tags["has_user"]) == (
        "/v1/payments/{payment_id}",
        "GET",
        "payment",
        "true",
    )
    assert (event["user"]["id"], event["contexts"]["general"]["request_id"]) == ("u-42", "req-5")


@pytest.mark.parametrize("level", ["error", "warning"])
def test_a_message_event_inside_bind_context_carries_the_context(
    sentry_transport: RecordingTransport, level: str
) -> None:
    """An error log without an exception still says for whom it happened."""
    with bind_context(user_id="u-8"):
        getattr(logger, level)("quota nearly exhausted")
    events = sentry_transport.events
    assert [e["user"]["id"] for e in events] == (["u-8"] if level == "error" else [])


class _Recorder:
    """A sink that records, when the worker hands it the event, what a sink would read."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, list[str], dict[str, object]]] = []

    def emit(self, event: CapturedError) -> None:
        chain, exc = [], event.exception
        while exc is not None:
            chain.append(f"{type(exc).__name__}: {exc}")
            exc = exc.__cause__
        self.seen.append((event.event_id, chain, dict(event.context)))


@pytest.mark.parametrize("delivery", ["sync", "background"])
async def test_an_integration_first_error_keeps_its_chain_and_context_in_every_delivery(
    sentry_transport: RecordingTransport, delivery: str
) -> None:
    """Sentry's integrations report first; the other sinks get the event, maybe later."""
    recorder = _Recorder()
    configure(delivery=delivery, sink=MultiSink(SentrySink(), recorder))
    app = FastAPI()

    @app.get("/v1/payments/{payment_id}")
    async def pay(payment_id: str, request: Request) -> None:
        request.state.user_id = "u-42"
        with bind_context(tenant="acme"):
            try:
                try:
                    raise ConnectionError("card processor unreachable")
                except ConnectionError as err:
                    raise RuntimeError("card processor down") from err
            except RuntimeError:
                logger.exception("payment failed")
                raise

    transport = httpx.ASGITransport(app=instrument(app), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/v1/payments/p-1")
    assert response.status_code == 500
    (event,) = sentry_transport.events
    assert [(v["type"], v["value"]) for v in event["exception"]["values"]] == [
        ("ConnectionError", "card processor unreachable"),
        ("RuntimeError", "card processor down"),
    ]
    assert event["tags"]["endpoint"] == "/v1/payments/{payment_id}"
    assert event["user"]["id"] == "u-42"
    assert event["contexts"]["general"]["tenant"] == "acme"
    [(event_id, chain, context)] = recorder.seen
    assert event_id == event["event_id"]
    assert chain == [
        "RuntimeError: card processor down",
        "ConnectionError: card processor unreachable",
    ]
    assert context["request"]["url"].endswith("/v1/payments/p-1")
