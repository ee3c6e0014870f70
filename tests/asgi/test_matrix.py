"""The acceptance matrix: each kind of request failure is reported exactly once."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from autocapture import configure
from autocapture.sinks import MemorySink, SentrySink
from tests.conftest import RecordingTransport

from .apps import EXPECTED_EVENTS, SCENARIOS, make_app, marker, sentry_events_for


async def request(app: Any, path: str) -> httpx.Response:
    """Send one GET through httpx's in-process ASGI transport, app errors answered as 500."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.get(path)


async def settle(count: Any, expected: int) -> None:
    """Wait until ``count()`` reaches ``expected`` (tasks fail a little later), then a bit."""
    for _ in range(200):
        if count() >= expected:
            break
        await asyncio.sleep(0.005)
    await asyncio.sleep(0.03)


@pytest.mark.parametrize("scenario", list(SCENARIOS))
async def test_answers_are_those_of_the_app_without_autocapture(scenario: str) -> None:
    """Every scenario answers the same status, body and content type with autocapture."""
    configure(sink=MemorySink())
    plain_app = make_app(autocaptured=False)
    plain = await request(plain_app, f"/{scenario}")
    captured = await request(make_app(autocaptured=True), f"/{scenario}")
    await asyncio.gather(*plain_app.state.tasks, return_exceptions=True)
    assert (plain.status_code, plain.content, plain.headers.get("content-type")) == (
        captured.status_code,
        captured.content,
        captured.headers.get("content-type"),
    )


async def test_statuses_of_the_matrix() -> None:
    """The matrix answers 500, 500, 404, 200, 500, 200, 200 (the streamed body is cut)."""
    configure(sink=MemorySink())
    app = make_app(autocaptured=True)
    statuses = {s: (await request(app, f"/{s}")).status_code for s in SCENARIOS}
    assert statuses == {"a": 500, "b": 500, "c": 404, "d": 200, "e": 500, "f": 200, "g": 200}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
async def test_each_scenario_makes_the_expected_number_of_events(scenario: str) -> None:
    """With a MemorySink and no Sentry: a 1, b 1, c 0, d 1, e 1, f 1, g 1."""
    sink = MemorySink()
    configure(sink=sink)
    await request(make_app(autocaptured=True), f"/{scenario}")
    await settle(lambda: len(sink), EXPECTED_EVENTS[scenario])
    assert EXPECTED_EVENTS[scenario] == len(sink)
    assert all(marker(scenario) in str(e.exception) for e in sink.events)


async def test_http_exception_event_keeps_its_cause() -> None:
    """The HTTPException(500) event carries the ValueError it was raised from."""
    sink = MemorySink()
    configure(sink=sink)
    await request(make_app(autocaptured=True), "/b")
    [event] = sink.events
    assert (500, ValueError) == (event.exception.status_code, type(event.exception.__cause__))
    assert event.tags["error_category"] == "validation_error"


async def test_service_error_is_one_event_with_both_contexts() -> None:
    """A decorated service failing in a route is one event with its context and the request's."""
    sink = MemorySink()
    configure(sink=sink)
    await request(make_app(autocaptured=True), "/e")
    [event] = sink.events
    assert (event.context_type, event.operation) == ("database", "select")
    assert {k: event.context[k] for k in ("method", "path", "route")} == {
        "method": "GET",
        "path": "/e",
        "route": "/e",
    }
    assert event.context["request"]["url"] == "http://testserver/e"


async def test_sentry_gets_exactly_one_event_per_error(
    sentry_transport: RecordingTransport,
) -> None:
    """With sentry_sdk.init defaults (Starlette, FastAPI, logging, dedupe on), one event each."""
    configure(sink=SentrySink())
    app = make_app(autocaptured=True)
    for scenario in SCENARIOS:
        await request(app, f"/{scenario}")
    await settle(lambda: sentry_events_for(sentry_transport.events, "f"), 1)
    counts = {s: sentry_events_for(sentry_transport.events, s) for s in SCENARIOS}
    assert counts == EXPECTED_EVENTS
    assert len(sentry_transport.events) == 6


async def test_sentry_events_are_autocapture_events_with_request_tags(
    sentry_transport: RecordingTransport,
) -> None:
    """The one Sentry event of a route error is autocapture's, with the request's tags."""
    configure(sink=SentrySink())
    app = make_app(autocaptured=True)
    await request(app, "/a")
    await request(app, "/b")
    events = sentry_transport.events
    assert [
        (e["exception"]["values"][-1]["mechanism"]["type"], e["tags"]["endpoint"]) for e in events
    ] == [("autocapture", "/a"), ("autocapture", "/b")]
    assert [e["request"]["method"] for e in events] == ["GET", "GET"]
