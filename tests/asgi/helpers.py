"""Helpers for the ASGI tests: requests through httpx's transport, raw ASGI calls."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx


async def get(app: Any, path: str, **kwargs: Any) -> httpx.Response:
    """Send one GET in process; an unhandled app error is answered as a 500."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.get(path, **kwargs)


def http_scope(
    path: str = "/", *, headers: list[tuple[bytes, bytes]] | None = None
) -> dict[str, Any]:
    """A minimal ASGI HTTP scope."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers or [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }


async def call(
    app: Any, scope: dict[str, Any]
) -> tuple[list[dict[str, Any]], BaseException | None]:
    """Call ``app`` once; return the messages it sent and the exception it raised."""
    sent: list[dict[str, Any]] = []
    received = False
    never = asyncio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal received
        if not received:
            received = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await never.wait()  # the client stays connected: no disconnect to listen for
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    try:
        await app(scope, receive, send)
    except Exception as exc:
        return sent, exc
    return sent, None
