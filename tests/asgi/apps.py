"""The scenario matrix app, built by one factory with or without autocapture."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from fastapi import BackgroundTasks, FastAPI, HTTPException
from fastapi.responses import StreamingResponse

import autocapture.tasks
from autocapture import auto_capture_errors
from autocapture.asgi import instrument

# The marker each scenario's error carries, to find it in a Sentry event's chain.
SCENARIOS = "abcdefg"
EXPECTED_EVENTS = {"a": 1, "b": 1, "c": 0, "d": 1, "e": 1, "f": 1, "g": 1}


def marker(scenario: str) -> str:
    return f"scenario-{scenario}-failed"


class ServiceError(Exception):
    """What the service of scenario (e) raises."""


def make_app(*, autocaptured: bool, **options: Any) -> FastAPI:  # noqa: C901 - a route per scenario
    """Build the matrix app; ``autocaptured=False`` is the same app without autocapture."""
    app = FastAPI()
    tasks: list[asyncio.Task[None]] = []
    app.state.tasks = tasks

    def service() -> None:
        raise ServiceError(marker("e"))

    if autocaptured:
        service = auto_capture_errors(context_type="database", operation="select")(service)

    async def fails_later() -> None:
        await asyncio.sleep(0.01)
        raise LookupError(marker("f"))

    def background_job() -> None:
        raise RuntimeError(marker("d"))

    @app.get("/a")
    async def route_a() -> None:
        raise ValueError(marker("a"))

    @app.get("/b")
    async def route_b() -> None:
        raise HTTPException(status_code=500, detail=marker("b")) from ValueError(marker("b"))

    @app.get("/c")
    async def route_c() -> None:
        raise HTTPException(status_code=404, detail=marker("c"))

    @app.get("/d")
    async def route_d(background: BackgroundTasks) -> dict[str, str]:
        background.add_task(background_job)
        return {"scheduled": "yes"}

    @app.get("/e")
    def route_e() -> None:
        service()

    @app.get("/f")
    async def route_f() -> dict[str, str]:
        if autocaptured:
            autocapture.tasks.create_task(fails_later())
        else:
            tasks.append(asyncio.create_task(fails_later()))
        return {"started": "yes"}

    @app.get("/g")
    async def route_g() -> StreamingResponse:
        async def body() -> AsyncIterator[bytes]:
            yield b"first half;"
            await asyncio.sleep(0)
            raise RuntimeError(marker("g"))

        return StreamingResponse(body(), media_type="text/plain")

    if autocaptured:
        instrument(app, **options)
    return app


def chain_messages(event: dict[str, Any]) -> list[str]:
    """Return the exception values of a Sentry event, cause chain included."""
    values = (event.get("exception") or {}).get("values") or []
    return [str(v.get("value")) for v in values]


def sentry_events_for(events: list[dict[str, Any]], scenario: str) -> int:
    """Count the Sentry events whose exception chain carries the scenario's marker."""
    return sum(1 for e in events if any(marker(scenario) in m for m in chain_messages(e)))
