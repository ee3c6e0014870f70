"""Per-request cost of ``AutoCaptureMiddleware`` on the success path, against baselines.

Compares, side by side in one process, the time per request of a trivial endpoint for:

* ``bare``: the app without any middleware (the floor);
* ``BaseHTTPMiddleware``: a pass-through ``BaseHTTPMiddleware`` (what the audited code used);
* ``autocapture``: the same app set up with ``autocapture.asgi.instrument(app)``.

Two drivers: ``httpx.ASGITransport`` with a FastAPI app (what a test client pays, the
request and response built by httpx), and a raw ASGI call loop with a Starlette app (no
client at all: the middleware's own cost stands out most). Many short rounds are
interleaved so that machine noise hits every variant alike, and timed with the CPU time of
the benchmarking thread (``time.thread_time``: the app, the middleware and httpx all run
in it), so that other processes on a shared machine do not count. The table shows the
median microseconds per request and the median over rounds of the ratio to ``bare`` in
the same round (target: autocapture at most 1.10x, and below the ``BaseHTTPMiddleware``
pass-through). Run: ``python benchmarks/bench_asgi.py``.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable
from typing import Any, Callable

import httpx
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from autocapture import configure
from autocapture.asgi import instrument
from autocapture.sinks import MemorySink

ROUNDS = 51
HTTPX_REQUESTS = 100
RAW_REQUESTS = 1_000
VARIANTS = ("bare", "BaseHTTPMiddleware", "autocapture")


class PassThrough(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: Any) -> Response:
        return await call_next(request)


def with_variant(app: Any, variant: str) -> Any:
    if variant == "BaseHTTPMiddleware":
        app.add_middleware(PassThrough)
    elif variant == "autocapture":
        instrument(app)
    return app


def fastapi_app(variant: str) -> FastAPI:
    app = FastAPI()

    @app.get("/ping")
    async def ping() -> dict[str, str]:
        return {"ok": "yes"}

    return with_variant(app, variant)


def starlette_app(variant: str) -> Starlette:
    async def ping(request: Request) -> Response:
        return PlainTextResponse("ok")

    return with_variant(Starlette(routes=[Route("/ping", ping)]), variant)


def httpx_driver(app: Any) -> Callable[[int], Awaitable[float]]:
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench")

    async def run(n: int) -> float:
        start = time.thread_time()
        for _ in range(n):
            response = await client.get("/ping")
            assert response.status_code == 200
        return time.thread_time() - start

    return run


SCOPE: dict[str, Any] = {
    "type": "http",
    "asgi": {"version": "3.0", "spec_version": "2.3"},
    "http_version": "1.1",
    "method": "GET",
    "scheme": "http",
    "path": "/ping",
    "raw_path": b"/ping",
    "root_path": "",
    "query_string": b"",
    "headers": [
        (b"host", b"bench"),
        (b"user-agent", b"bench/1.0"),
        (b"accept", b"*/*"),
        (b"x-request-id", b"r-1"),
        (b"authorization", b"Bearer not-a-real-token"),
    ],
    "client": ("127.0.0.1", 50000),
    "server": ("bench", 80),
}


def raw_driver(app: Any) -> Callable[[int], Awaitable[float]]:
    request = {"type": "http.request", "body": b"", "more_body": False}
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return request

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    async def run(n: int) -> float:
        statuses.clear()
        start = time.thread_time()
        for _ in range(n):
            await app({**SCOPE, "state": {}}, receive, send)
        elapsed = time.thread_time() - start
        assert statuses == [200] * n
        return elapsed

    return run


async def measure(
    name: str, make: Callable[[str], Any], driver: Callable[[Any], Any], n: int
) -> dict[str, float]:
    runs = {v: driver(make(v)) for v in VARIANTS}
    for run in runs.values():  # warm up: build middleware stacks, fill caches
        await run(max(1, n // 10))
    samples: dict[str, list[float]] = {v: [] for v in VARIANTS}
    for _ in range(ROUNDS):
        for variant, run in runs.items():
            samples[variant].append(await run(n) / n * 1e6)
    ratios = {
        v: statistics.median(a / b for a, b in zip(s, samples["bare"])) for v, s in samples.items()
    }
    print(f"\n{name} ({n} requests x {ROUNDS} interleaved rounds)")
    print(f"{'variant':<20} {'median us/request':>18} {'vs bare':>8}")
    for variant, s in samples.items():
        print(f"{variant:<20} {statistics.median(s):>18.2f} {ratios[variant]:>7.3f}x")
    return ratios


async def main() -> int:
    configure(sink=MemorySink())
    print(f"Python {sys.version.split()[0]}")
    via_httpx = await measure(
        "httpx.ASGITransport, FastAPI", fastapi_app, httpx_driver, HTTPX_REQUESTS
    )
    raw_fastapi = await measure("raw ASGI loop, FastAPI", fastapi_app, raw_driver, RAW_REQUESTS)
    raw_starlette = await measure(
        "raw ASGI loop, Starlette", starlette_app, raw_driver, RAW_REQUESTS
    )
    below_base = all(
        r["autocapture"] < r["BaseHTTPMiddleware"] for r in (via_httpx, raw_fastapi, raw_starlette)
    )
    ok = via_httpx["autocapture"] <= 1.10 and below_base
    print(
        "\ntarget (httpx.ASGITransport <= 1.10x bare, every driver below BaseHTTPMiddleware):",
        "met" if ok else "MISSED",
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
