"""instrument(app): the one-call setup for FastAPI and Starlette."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from fastapi import FastAPI, HTTPException
from fastapi.responses import JSONResponse
from starlette.applications import Starlette
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from autocapture import configure
from autocapture.asgi import AutoCaptureMiddleware, instrument
from autocapture.sinks import MemorySink

from .helpers import get


def starlette_app() -> Starlette:
    async def boom(request: Request) -> Response:
        raise StarletteHTTPException(status_code=503, detail="down", headers={"Retry-After": "9"})

    async def gone(request: Request) -> Response:
        raise StarletteHTTPException(status_code=410, detail="gone")

    return Starlette(routes=[Route("/boom", boom), Route("/gone", gone)])


async def answer(app: Any, path: str) -> tuple[int, bytes, str | None, str | None]:
    response = await get(app, path)
    return (
        response.status_code,
        response.content,
        response.headers.get("content-type"),
        response.headers.get("retry-after"),
    )


async def test_starlette_http_exceptions_answer_as_the_default_handler() -> None:
    """On a plain Starlette app, 5xx HTTPExceptions are captured and answered as by default."""
    sink = MemorySink()
    configure(sink=sink)
    plain = [await answer(starlette_app(), p) for p in ("/boom", "/gone")]
    app = instrument(starlette_app())
    captured = [await answer(app, p) for p in ("/boom", "/gone")]
    assert plain == captured
    assert [e.exception.status_code for e in sink.events] == [503]


async def test_fastapi_http_exceptions_keep_status_json_body_and_headers() -> None:
    """A FastAPI HTTPException(503) answers the same JSON body and headers, and is captured."""
    sink = MemorySink()
    configure(sink=sink)

    def make() -> FastAPI:
        app = FastAPI()

        @app.get("/boom")
        async def boom() -> None:
            raise HTTPException(
                status_code=503, detail={"why": "down"}, headers={"Retry-After": "9"}
            )

        return app

    plain = await answer(make(), "/boom")
    captured = await answer(instrument(make()), "/boom")
    assert plain == captured == (503, b'{"detail":{"why":"down"}}', "application/json", "9")
    assert len(sink) == 1


async def test_user_handlers_are_kept_and_wrapped() -> None:
    """A user's handlers, registered before or after instrument(), still answer; 5xx captured."""
    sink = MemorySink()
    configure(sink=sink)
    app = FastAPI()

    class QuotaExceededError(Exception):
        pass

    class MaintenanceError(Exception):
        pass

    @app.exception_handler(HTTPException)
    async def my_http_handler(request: Request, exc: HTTPException) -> Response:
        return PlainTextResponse(f"custom {exc.status_code}", status_code=exc.status_code)

    @app.get("/http/{status}")
    async def http(status: int) -> None:
        raise HTTPException(status_code=status)

    @app.get("/quota")
    async def quota() -> None:
        raise QuotaExceededError

    @app.get("/maintenance")
    async def maintenance() -> None:
        raise MaintenanceError

    instrument(app)

    @app.exception_handler(QuotaExceededError)
    def quota_handler(request: Request, exc: QuotaExceededError) -> Response:  # sync on purpose
        return JSONResponse({"error": "quota"}, status_code=429)

    @app.exception_handler(MaintenanceError)
    async def maintenance_handler(request: Request, exc: MaintenanceError) -> Response:
        return JSONResponse({"error": "maintenance"}, status_code=503)

    answers = [
        (r.status_code, r.text)
        for r in [await get(app, p) for p in ("/http/502", "/http/404", "/quota", "/maintenance")]
    ]
    assert answers == [
        (502, "custom 502"),
        (404, "custom 404"),
        (429, '{"error":"quota"}'),
        (503, '{"error":"maintenance"}'),
    ]
    names = [type(e.exception).__name__ for e in sink.events]
    assert names == ["HTTPException", "MaintenanceError"]


async def test_status_handlers_of_5xx_capture() -> None:
    """A handler registered for a status code >= 500 answers and the error is captured."""
    sink = MemorySink()
    configure(sink=sink)
    app = FastAPI()

    @app.get("/unavailable")
    async def unavailable() -> None:
        raise HTTPException(status_code=503)

    async def on_503(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("try later", status_code=503)

    app.add_exception_handler(503, on_503)
    response = await get(instrument(app), "/unavailable")
    assert (response.status_code, response.text, len(sink)) == (503, "try later", 1)


async def test_instrument_is_idempotent() -> None:
    """A second instrument() changes nothing: one middleware, one event per error."""
    sink = MemorySink()
    configure(sink=sink)
    app = FastAPI()

    @app.get("/boom")
    async def boom() -> None:
        raise HTTPException(status_code=500)

    @app.get("/crash")
    async def crash() -> None:
        raise ValueError("crash")

    assert instrument(app) is instrument(app) is app
    await get(app, "/boom")
    await get(app, "/crash")
    assert sum(m.cls is AutoCaptureMiddleware for m in app.user_middleware) == 1
    assert len(sink) == 2


async def test_middleware_stays_outermost() -> None:
    """Middlewares added after instrument() run inside autocapture's, so their errors count."""
    sink = MemorySink()
    configure(sink=sink)
    app = FastAPI()

    @app.get("/")
    async def index() -> dict[str, str]:
        return {}

    instrument(app)

    async def broken_middleware(request: Request, call_next: Any) -> Response:
        raise RuntimeError("middleware bug")

    app.middleware("http")(broken_middleware)
    response = await get(app, "/")
    assert (
        response.status_code,
        [str(e.exception) for e in sink.events],
    ) == (500, ["middleware bug"])
    assert AutoCaptureMiddleware is app.user_middleware[0].cls


async def test_existing_middleware_is_reused() -> None:
    """An app that already has AutoCaptureMiddleware gets only the handlers; options there win."""
    own = MemorySink()
    configure(sink=MemorySink())
    app = FastAPI()
    app.add_middleware(AutoCaptureMiddleware, sink=own)

    @app.get("/boom")
    async def boom() -> None:
        raise HTTPException(status_code=500)

    instrument(app)
    await get(app, "/boom")
    assert (len(own), sum(m.cls is AutoCaptureMiddleware for m in app.user_middleware)) == (1, 1)


async def test_a_second_call_with_other_options_applies_them() -> None:
    """instrument(app, **new) before the first request: the middleware gets the new options."""
    first, second, added = MemorySink(), MemorySink(), MemorySink()
    configure(sink=MemorySink())
    app = FastAPI()

    @app.get("/crash")
    async def crash() -> None:
        raise ValueError("crash")

    instrument(app, sink=first)
    instrument(app, sink=second)
    instrument(app)  # no options: the ones given last stay
    await get(app, "/crash")
    assert (len(first), len(second)) == (0, 1)
    assert sum(m.cls is AutoCaptureMiddleware for m in app.user_middleware) == 1

    # The same for a middleware the user added themselves.
    other = FastAPI(middleware=[Middleware(AutoCaptureMiddleware, sink=first)])
    other.get("/crash")(crash)
    instrument(other, sink=added)
    await get(other, "/crash")
    assert (len(first), len(added)) == (0, 1)


async def test_other_options_after_the_first_request_raise() -> None:
    """A started app cannot change its middleware: other options raise, the same are a no-op."""
    sink = MemorySink()
    app = FastAPI()

    @app.get("/")
    async def index() -> dict[str, str]:
        return {}

    instrument(app, sink=sink, slow_request_ms=100)
    await get(app, "/")
    assert instrument(app, sink=sink, slow_request_ms=100) is app
    assert instrument(app) is app
    with pytest.raises(
        RuntimeError, match=r"other options \(slow_request_ms\).*already serves requests"
    ):
        instrument(app, sink=sink, slow_request_ms=5)
    with pytest.raises(ValueError, match="slow_request_ms"):  # a bad option says so first
        instrument(app, slow_request_ms=-1)


async def test_instrument_refuses_started_apps_and_other_objects() -> None:
    """A started app or a non-Starlette object is refused with a clear error."""
    app = FastAPI()

    @app.get("/")
    async def index() -> dict[str, str]:
        return {}

    await get(app, "/")
    with pytest.raises(RuntimeError, match="before the application serves"):
        instrument(app)
    with pytest.raises(TypeError, match="FastAPI or Starlette"):
        instrument(object())  # type: ignore[type-var]
    with pytest.raises(ValueError, match="slow_request_ms"):
        instrument(FastAPI(), slow_request_ms=-5)


def test_instrument_without_starlette_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without Starlette, instrument() raises an ImportError naming autocapture[fastapi]."""
    monkeypatch.setitem(sys.modules, "starlette.applications", None)
    with pytest.raises(ImportError, match=r"autocapture\[fastapi\]"):
        instrument(object())  # type: ignore[type-var]


def test_importing_autocapture_asgi_does_not_import_starlette() -> None:
    """autocapture.asgi imports Starlette only when instrument() is called."""
    import subprocess

    code = "import sys, autocapture.asgi; print('starlette' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def mounted_apps() -> FastAPI:
    """An app with a FastAPI sub-app, mounted twice deep, whose routes raise HTTPExceptions."""
    inner = FastAPI()

    @inner.get("/boom")
    async def inner_boom() -> None:
        try:
            int("not a number")
        except ValueError as err:
            raise HTTPException(status_code=500, detail="inner failed") from err

    @inner.get("/missing")
    async def inner_missing() -> None:
        raise HTTPException(status_code=404, detail="no such thing")

    middle = FastAPI()

    @middle.get("/boom")
    async def middle_boom() -> None:
        raise HTTPException(status_code=502, detail="upstream")

    middle.mount("/inner", inner)
    app = FastAPI()
    app.mount("/v2", middle)
    return app


async def test_mounted_sub_apps_capture_their_5xx_http_exceptions() -> None:
    """Sub-apps mounted before or after instrument(), at any depth, capture 5xx the same way."""
    sink = MemorySink()
    configure(sink=sink)
    paths = ("/v2/boom", "/v2/inner/boom", "/v2/inner/missing")
    plain = [await answer(mounted_apps(), p) for p in paths]
    app = instrument(mounted_apps())
    late = Starlette()
    late.add_exception_handler(
        StarletteHTTPException,
        lambda request, exc: PlainTextResponse(f"late {exc.status_code}", exc.status_code),
    )

    async def late_boom(request: Request) -> Response:
        raise StarletteHTTPException(status_code=503, detail="late")

    late.add_route("/boom", late_boom)
    app.mount("/late", late)
    captured = [await answer(app, p) for p in paths]
    assert plain == captured
    assert await answer(app, "/late/boom") == (503, b"late 503", "text/plain; charset=utf-8", None)
    events = sink.events
    assert [e.exception.status_code for e in events] == [502, 500, 503]
    assert isinstance(events[1].exception.__cause__, ValueError)
    assert [(e.context["route"], e.context["path"]) for e in events] == [
        ("/v2/boom", "/v2/boom"),
        ("/v2/inner/boom", "/v2/inner/boom"),
        ("/late/boom", "/late/boom"),
    ]


async def test_sub_apps_behind_mount_middleware_or_a_host_capture_too() -> None:
    """A sub-app behind a Mount's own middleware, or under a Host route, is found as well."""
    from starlette.middleware import Middleware
    from starlette.middleware.gzip import GZipMiddleware
    from starlette.routing import Host, Mount

    sink = MemorySink()
    configure(sink=sink)
    app = instrument(
        Starlette(
            routes=[
                Mount("/mw", app=starlette_app(), middleware=[Middleware(GZipMiddleware)]),
                Host("api.example.com", app=starlette_app()),
            ]
        )
    )
    assert (await get(app, "/mw/boom")).status_code == 503
    assert (await get(app, "/boom", headers={"host": "api.example.com"})).status_code == 503
    assert [e.exception.status_code for e in sink.events] == [503, 503]
    assert [e.context["route"] for e in sink.events] == ["/mw/boom", "/boom"]
