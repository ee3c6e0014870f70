"""The matrix once more through a real uvicorn server on 127.0.0.1."""

from __future__ import annotations

import gc
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any, Callable

import httpx
import pytest
import uvicorn

from autocapture import configure
from autocapture.sinks import MemorySink, SentrySink
from tests.conftest import RecordingTransport

from .apps import EXPECTED_EVENTS, SCENARIOS, make_app, marker, sentry_events_for


@pytest.fixture
def serve() -> Iterator[Callable[..., str]]:
    """Start apps on uvicorn servers in threads (random free ports); stop them after."""
    running: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(app: Any, log_level: str = "critical") -> str:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(app, log_level=log_level, lifespan="on", ws="none")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        running.append((server, thread))
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        return f"http://127.0.0.1:{port}"

    yield start
    for server, thread in running:
        server.should_exit = True
        thread.join(timeout=10)
    # The plain app's fire-and-forget task (scenario f) is never retrieved: collect it now,
    # so that asyncio's complaint is logged here and not inside a later test that has
    # Sentry's logging integration on (seen on Python 3.9, which collects it later).
    gc.collect()


def wait_for(count: Callable[[], int], expected: int) -> None:
    """Wait until ``count()`` reaches ``expected`` (a task fails after its response)."""
    deadline = time.monotonic() + 5
    while count() < expected and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)


def get_all(base_url: str) -> dict[str, tuple[int, bytes]]:
    """GET every scenario; a response cut by a failing stream keeps what arrived."""
    answers = {}
    for scenario in SCENARIOS:
        # A client per request: a cut stream resets its connection.
        with httpx.Client(base_url=base_url, timeout=10) as client:
            try:
                response = client.get(f"/{scenario}")
                answers[scenario] = (response.status_code, response.content)
            except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
                answers[scenario] = (-1, type(exc).__name__.encode())
    return answers


def test_matrix_on_uvicorn_matches_the_app_without_autocapture(
    serve: Callable[..., str],
) -> None:
    """Through uvicorn, statuses and bodies match the plain app and events are as expected."""
    sink = MemorySink()
    configure(sink=sink)
    plain = get_all(serve(make_app(autocaptured=False)))
    sink.clear()
    captured = get_all(serve(make_app(autocaptured=True)))
    wait_for(lambda: len(sink), sum(EXPECTED_EVENTS.values()))
    assert plain == captured
    counts = {s: sum(marker(s) in str(e.exception) for e in sink.events) for s in SCENARIOS}
    assert counts == EXPECTED_EVENTS


def test_matrix_on_uvicorn_gives_one_sentry_event_per_error(
    serve: Callable[..., str], sentry_transport: RecordingTransport
) -> None:
    """Through uvicorn, with Sentry's default integrations, each error is one Sentry event.

    uvicorn logs each unhandled error: Sentry's logging integration sees those records too.
    """
    configure(sink=SentrySink())
    get_all(serve(make_app(autocaptured=True), log_level="error"))
    wait_for(lambda: len(sentry_transport.events), 6)
    counts = {s: sentry_events_for(sentry_transport.events, s) for s in SCENARIOS}
    assert counts == EXPECTED_EVENTS


def test_on_uvicorn_no_sentry_event_is_built_only_to_be_dropped(
    serve: Callable[..., str],
    sentry_transport: RecordingTransport,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Sentry's Starlette and logging integrations build nothing autocapture sent.

    uvicorn logs "Exception in ASGI application" with the error (log level "error"), the
    ASGI integration sees it propagate and Starlette's sees the HTTPException(500): each
    would build an event that the once-only rule then drops.
    """
    import sentry_sdk.integrations.asgi
    import sentry_sdk.integrations.logging
    import sentry_sdk.integrations.starlette
    from fastapi import FastAPI, HTTPException

    from autocapture.asgi import instrument

    configure(sink=SentrySink())
    built: list[str] = []
    for module in (
        sentry_sdk.integrations.asgi,
        sentry_sdk.integrations.starlette,
        sentry_sdk.integrations.logging,
    ):
        original = module.event_from_exception

        def counting(
            *args: Any, _original: Any = original, _name: str = module.__name__, **kwargs: Any
        ) -> Any:
            built.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(module, "event_from_exception", counting)

    app = FastAPI()

    @app.get("/crash")
    async def crash() -> None:
        raise ValueError("crash")

    @app.get("/http500")
    async def http500() -> None:
        raise HTTPException(status_code=500, detail="down")

    base_url = serve(instrument(app), log_level="error")
    for _ in range(3):
        for path in ("/crash", "/http500"):
            # A client per request: uvicorn closes the connection after an app error.
            with httpx.Client(base_url=base_url, timeout=10) as client:
                assert client.get(path).status_code == 500
    wait_for(lambda: len(sentry_transport.events), 6)
    assert len(sentry_transport.events) == 6
    # autocapture builds its own six without event_from_exception; only the ASGI
    # integration still builds one for each unhandled error (see _sentry_skip).
    assert built == ["sentry_sdk.integrations.asgi"] * 3
