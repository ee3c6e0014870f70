"""AutoCaptureMiddleware: what it captures, what events say, and what it leaves alone."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import hashlib
import hmac
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import BackgroundTasks, FastAPI, HTTPException, Request
from fastapi.responses import StreamingResponse
from starlette.websockets import WebSocket

from autocapture import configure
from autocapture._context import bound_context
from autocapture.asgi import AutoCaptureMiddleware, api_key_hash, instrument
from autocapture.sinks import MemorySink, SentrySink
from tests.conftest import RecordingTransport

from .helpers import call, get, http_scope

JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1LTEifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
API_KEY = "sk-live-planted0123456789abcdefXYZ"
QUERY_KEY = "qk-planted-1234abcd"
QUERY_TOKEN = "tok-planted-5678efgh"
COOKIE = "cookie-planted-9999zzzz"
PLANTED = (JWT, API_KEY, QUERY_KEY, QUERY_TOKEN, COOKIE)


def failing_app(**options: Any) -> FastAPI:
    """An instrumented app whose routes fail in the ways the tests need."""
    app = FastAPI()

    @app.get("/v1/chat/completions")
    async def chat(request: Request) -> None:
        request.state.user_id = "u-42"
        request.state.api_key_id = "key-7"
        raise TimeoutError("the provider did not answer")

    @app.get("/users/{user_id}")
    async def user(user_id: str) -> None:
        raise KeyError(user_id)

    @app.get("/secret")
    async def secret() -> None:
        raise RuntimeError("failed")

    @app.get("/forbidden")
    async def forbidden() -> None:
        raise HTTPException(status_code=403, detail="no")

    @app.get("/ok")
    async def ok() -> dict[str, str]:
        return {"ok": "yes"}

    return instrument(app, **options)


async def test_event_carries_request_user_and_tags() -> None:
    """A route error's event has the request, the user from request.state and the tags."""
    sink = MemorySink()
    configure(sink=sink)
    await get(failing_app(), "/v1/chat/completions", headers={"X-Request-ID": "req-1"})
    [event] = sink.events
    assert {
        k: event.tags[k]
        for k in (
            "endpoint",
            "method",
            "endpoint_type",
            "has_user",
            "exception_type",
            "error_category",
            "is_revenue_critical",
        )
    } == {
        "endpoint": "/v1/chat/completions",
        "method": "GET",
        "endpoint_type": "inference",
        "has_user": "true",
        "exception_type": "TimeoutError",
        "error_category": "timeout_error",
        "is_revenue_critical": "true",
    }
    assert (
        event.context["request_id"],
        event.context["user_id"],
        event.context["api_key_id"],
    ) == ("req-1", "u-42", "key-7")
    assert event.user["id"] == "u-42"
    assert event.function.endswith("failing_app.<locals>.chat")
    assert {k: event.context["request"][k] for k in ("method", "url")} == {
        "method": "GET",
        "url": "http://testserver/v1/chat/completions",
    }


async def test_an_error_a_decorated_service_reports_first_has_the_request_tags() -> None:
    """Service, route and middleware make one event: the service's, with the request tags."""
    from autocapture import auto_capture_errors, bind_context

    sink = MemorySink()
    configure(sink=sink)

    @auto_capture_errors(tags={"team": "billing", "method": "charge-api"})
    def charge_card(user_id: str) -> None:
        raise ConnectionError("the payment provider reset the connection")

    def refresh_invoices() -> None:
        charge_card("u-9")

    refresh_job = auto_capture_errors(refresh_invoices)
    app = FastAPI()

    @app.post("/payments/charge")
    async def route(request: Request) -> None:
        request.state.user_id = "u-9"
        with bind_context(tenant="acme"):  # a layer over the request's context
            charge_card("u-9")

    @app.post("/payments/later")
    async def later(background: BackgroundTasks) -> dict[str, str]:
        background.add_task(refresh_job)
        return {"queued": "yes"}

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=instrument(app), raise_app_exceptions=False),
        base_url="http://testserver",
    ) as client:
        assert (await client.post("/payments/charge")).status_code == 500
        assert (await client.post("/payments/later")).status_code == 200
    first, second = sink.events
    assert first.function.endswith("charge_card")
    assert second.function.endswith("charge_card")
    wanted = ("context_type", "operation", "team", "method", "endpoint", "endpoint_type")
    wanted += ("has_user", "exception_type", "error_category", "is_revenue_critical")
    assert {k: first.tags.get(k) for k in wanted} == {
        "context_type": "payment",
        "operation": "charge",
        "team": "billing",
        "method": "charge-api",  # the decorator's own tags win
        "endpoint": "/payments/charge",
        "endpoint_type": "payment",
        "has_user": "true",
        "exception_type": "ConnectionError",
        "error_category": "payment_error",  # the context type decides, not the class
        "is_revenue_critical": "true",
    }
    assert first.context["tenant"] == "acme"
    assert (second.tags["endpoint"], second.tags["is_revenue_critical"]) == (
        "/payments/later",
        "true",
    )


async def test_error_category_follows_the_context_type_of_the_reporting_service() -> None:
    """A payment service's plain exception is a payment_error, not an internal_error."""
    from autocapture import auto_capture_errors
    from autocapture._demo.service.errors import CardDeclinedError

    sink = MemorySink()
    configure(sink=sink)

    @auto_capture_errors(context_type="payment")
    def charge(card: str) -> None:
        raise CardDeclinedError("card declined: insufficient funds")

    @auto_capture_errors(context_type="database")
    def load(user_id: str) -> None:
        raise KeyError(user_id)

    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def chat() -> None:
        charge("4242")

    @app.get("/users/{user_id}")
    async def user(user_id: str) -> None:
        load(user_id)

    @app.get("/boom")
    async def boom() -> None:
        raise CardDeclinedError("no context type here")

    instrument(app)
    for path in ("/v1/chat/completions", "/users/7", "/boom"):
        method = "POST" if path.startswith("/v1") else "GET"
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            assert (await client.request(method, path)).status_code == 500
    assert [e.tags["error_category"] for e in sink.events] == [
        "payment_error",
        "database_error",
        "internal_error",  # no context type known: the exception's class decides
    ]


async def test_outside_a_request_events_have_no_request_tags() -> None:
    """The request's tags come from its bound context only."""
    from autocapture import auto_capture_errors

    sink = MemorySink()
    configure(sink=sink)

    @auto_capture_errors
    def charge_card() -> None:
        raise ConnectionError("reset")

    with pytest.raises(ConnectionError):
        charge_card()
    [event] = sink.events
    assert set(event.tags) == {"context_type", "function", "module", "operation"}


async def test_route_template_and_path() -> None:
    """The endpoint tag is the route template; the context keeps the concrete path."""
    sink = MemorySink()
    configure(sink=sink)
    await get(failing_app(), "/users/42")
    [event] = sink.events
    assert (
        event.tags["endpoint"],
        event.tags["endpoint_type"],
        event.tags["has_user"],
    ) == ("/users/{user_id}", "users", "false")
    assert (event.context["route"], event.context["path"]) == ("/users/{user_id}", "/users/42")


def mounting_app() -> FastAPI:
    """A FastAPI app mounting a sub-app under a parameter, and plain routes under /v1."""
    from starlette.routing import Mount, Route

    tenant = FastAPI()

    @tenant.get("/orders/{order_id}")
    async def tenant_order(order_id: int) -> None:
        raise LookupError(f"order {order_id} lost")

    async def completions(request: Request) -> None:
        raise TimeoutError("provider timed out")

    app = instrument(FastAPI())
    app.mount("/tenants/{tenant_id}", tenant)
    app.router.routes.append(
        Mount("/v1", routes=[Route("/chat/completions", completions, methods=["POST"])])
    )
    return app


@pytest.mark.parametrize(
    ("method", "path", "route", "endpoint_type"),
    [
        ("GET", "/tenants/7/orders/42", "/tenants/{tenant_id}/orders/{order_id}", "other"),
        ("POST", "/v1/chat/completions", "/v1/chat/completions", "inference"),
    ],
)
async def test_mounted_routes_are_named_from_the_application_root(
    method: str, path: str, route: str, endpoint_type: str
) -> None:
    """Routes inside mounts keep the mount's template, so endpoint rules still apply."""
    sink = MemorySink()
    configure(sink=sink)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=mounting_app(), raise_app_exceptions=False),
        base_url="http://testserver",
    ) as client:
        response = await client.request(method, path)
    assert response.status_code == 500
    [event] = sink.events
    assert (event.context["route"], event.context["path"]) == (route, path)
    assert (event.tags["endpoint"], event.tags["endpoint_type"]) == (route, endpoint_type)


async def test_a_server_root_path_is_not_part_of_the_route() -> None:
    """Behind a proxy prefix (root_path), the route and path are the application's own."""
    sink = MemorySink()
    configure(sink=sink)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(
            app=mounting_app(), raise_app_exceptions=False, root_path="/api"
        ),
        base_url="http://testserver",
    ) as client:
        response = await client.get("/api/tenants/7/orders/42")
    assert response.status_code == 500
    [event] = sink.events
    assert (event.context["route"], event.context["path"]) == (
        "/tenants/{tenant_id}/orders/{order_id}",
        "/tenants/7/orders/42",
    )


async def test_secrets_in_headers_query_and_cookies_never_reach_the_event(
    sentry_transport: RecordingTransport,
) -> None:
    """Authorization, X-API-Key, api_key/token query values and cookies are redacted."""
    sink = MemorySink()
    configure(sink=sink)
    app = failing_app()
    with configure_sentry_and(sink):
        await get(
            app,
            f"/secret?api_key={QUERY_KEY}&token={QUERY_TOKEN}&q=hello",
            headers={
                "Authorization": f"Bearer {JWT}",
                "X-API-Key": API_KEY,
                "Cookie": f"session={COOKIE}; theme=dark",
                "User-Agent": "pytest-agent",
            },
        )
    [event] = sink.events
    text = repr((event.context, event.tags, event.message, event.arguments))
    assert [s for s in PLANTED if s in text] == []
    request = event.context["request"]
    assert (
        request["headers"]["user-agent"],
        request["headers"]["authorization"],
        request["headers"]["x-api-key"],
    ) == ("pytest-agent", "[REDACTED]", "[REDACTED]")
    assert (
        request["headers"]["cookie"],
        request["query_string"][-7:],
    ) == ("[REDACTED]", "q=hello")
    [sent] = sentry_transport.events
    payload = json.dumps(sent)
    assert [s for s in PLANTED if s in payload] == []
    assert sent["request"]["headers"]["user-agent"] == "pytest-agent"


@contextlib.contextmanager
def configure_sentry_and(sink: MemorySink) -> Any:
    """Send events both to ``sink`` and to Sentry while the block runs."""
    from autocapture.sinks import MultiSink

    configure(sink=MultiSink(sink, SentrySink()))
    yield


@pytest.mark.parametrize("hash_key", [None, "server-secret", b"bytes-secret"])
async def test_api_key_hash_is_a_stable_fingerprint(hash_key: str | bytes | None) -> None:
    """api_key_hash is stable per credential, never the credential, keyed when asked."""
    sink = MemorySink()
    configure(sink=sink)
    app = failing_app(hash_key=hash_key)
    await get(app, "/secret", headers={"X-API-Key": API_KEY})
    await get(app, "/secret", headers={"Authorization": f"Bearer {API_KEY}"})
    await get(app, "/secret", headers={"X-API-Key": API_KEY + "-other"})
    first, second, other = (e.context["api_key_hash"] for e in sink.events)
    if hash_key is None:
        expected = hashlib.sha256(API_KEY.encode()).hexdigest()[:16]
    else:
        key = hash_key.encode() if isinstance(hash_key, str) else hash_key
        expected = hmac.new(key, API_KEY.encode(), hashlib.sha256).hexdigest()[:32]
    assert (expected, expected) == (first, second)
    assert other != first
    assert API_KEY not in first


def test_keyed_and_unkeyed_hashes_differ() -> None:
    """The keyed hash cannot be recomputed without the key: it differs from the unkeyed one."""
    unkeyed = api_key_hash(API_KEY, None)
    keyed = api_key_hash(API_KEY, b"k1")
    assert (len(unkeyed), len(keyed)) == (16, 32)
    assert len({unkeyed, keyed[:16], api_key_hash(API_KEY, b"k2")[:16]}) == 3


async def test_user_resolver_adds_fields_and_its_failure_is_harmless(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A user_resolver's mapping joins the event; a failing resolver never loses the event."""
    sink = MemorySink()
    configure(sink=sink)
    await get(
        failing_app(user_resolver=lambda scope: {"user_id": "r-1", "tenant": "acme"}), "/secret"
    )

    def broken(scope: Any) -> dict[str, str]:
        raise LookupError("resolver bug")

    with caplog.at_level(logging.WARNING, logger="autocapture"):
        await get(failing_app(user_resolver=broken), "/secret")
    resolved, despite = sink.events
    assert (
        resolved.context["user_id"],
        resolved.context["tenant"],
        resolved.tags["has_user"],
    ) == ("r-1", "acme", "true")
    assert (despite.tags["exception_type"], despite.tags["has_user"]) == ("RuntimeError", "false")
    assert any("user_resolver" in r.getMessage() for r in caplog.records)


async def test_client_errors_are_not_captured() -> None:
    """Framework 4xx HTTPExceptions, raised or propagating, make no event, keep their answer."""
    sink = MemorySink()
    configure(sink=sink)

    class DeniedError(HTTPException):
        """A subclass of FastAPI's HTTPException: an answer too."""

    async def raw(scope: Any, receive: Any, send: Any) -> None:
        raise DeniedError(403)

    response = await get(failing_app(), "/forbidden")
    _, raised = await call(AutoCaptureMiddleware(raw), http_scope("/raw"))
    assert (403, DeniedError, 0) == (response.status_code, type(raised), len(sink))


async def test_plain_asgi_app_names_the_request_as_function() -> None:
    """Around a bare ASGI app, the event is named after the request and re-raised as is."""
    sink = MemorySink()
    configure(sink=sink)
    error = ValueError("raw failure")

    async def raw(scope: Any, receive: Any, send: Any) -> None:
        raise error

    sent, raised = await call(AutoCaptureMiddleware(raw), http_scope("/raw"))
    [event] = sink.events
    assert (error, [], "asgi GET /raw", "autocapture.asgi") == (
        raised,
        sent,
        event.function,
        event.module,
    )
    assert event.tags["endpoint_type"] == "other"


async def test_plain_middleware_without_instrument_sees_only_what_propagates() -> None:
    """add_middleware alone captures unhandled errors, not HTTPExceptions the app answers."""
    sink = MemorySink()
    configure(sink=sink)
    app = FastAPI()
    app.add_middleware(AutoCaptureMiddleware)

    @app.get("/unhandled")
    async def unhandled() -> None:
        raise ValueError("unhandled")

    @app.get("/http500")
    async def http500() -> None:
        raise HTTPException(status_code=500)

    statuses = [(await get(app, p)).status_code for p in ("/unhandled", "/http500")]
    assert (
        statuses,
        [type(e.exception).__name__ for e in sink.events],
    ) == ([500, 500], ["ValueError"])


async def test_disabled_configuration_captures_nothing() -> None:
    """configure(enabled=False): the app answers as usual and nothing is emitted."""
    sink = MemorySink()
    configure(sink=sink, enabled=False)
    response = await get(failing_app(), "/secret")
    assert (response.status_code, len(sink)) == (500, 0)


async def test_middleware_sink_wins_over_the_configured_one() -> None:
    """The middleware's own sink= receives its events."""
    configured, own = MemorySink(), MemorySink()
    configure(sink=configured)
    await get(failing_app(sink=own), "/secret")
    assert (len(configured), len(own)) == (0, 1)


async def test_slow_failing_request_leaves_a_breadcrumb_on_its_event(
    sentry_transport: RecordingTransport,
) -> None:
    """A request slower than slow_request_ms leaves a breadcrumb that its error event shows."""
    configure(sink=SentrySink())
    app = FastAPI()

    @app.get("/slow")
    async def slow() -> None:
        await asyncio.sleep(0.02)
        raise RuntimeError("slow and failing")

    await get(instrument(app, slow_request_ms=1), "/slow")
    [event] = sentry_transport.events
    crumbs = [
        c for c in event["breadcrumbs"]["values"] if c["category"] == "autocapture.slow_request"
    ]
    [crumb] = crumbs
    assert (crumb["data"]["method"], crumb["data"]["path"]) == ("GET", "/slow")
    assert crumb["data"]["duration_ms"] >= 20


async def test_slow_successful_request_logs_and_leaves_a_breadcrumb(
    caplog: pytest.LogCaptureFixture, sentry_transport: RecordingTransport
) -> None:
    """A slow request that succeeds leaves a breadcrumb in the scope and a debug log."""
    import sentry_sdk

    app = FastAPI()

    @app.get("/slow")
    async def slow() -> dict[str, str]:
        await asyncio.sleep(0.02)
        return {}

    fast_app = FastAPI()

    @fast_app.get("/fast")
    async def fast() -> dict[str, str]:
        return {}

    with caplog.at_level(logging.DEBUG, logger="autocapture.asgi"):
        await get(AutoCaptureMiddleware(app, slow_request_ms=10), "/slow")
        await get(AutoCaptureMiddleware(fast_app, slow_request_ms=1000), "/fast")
    sentry_sdk.capture_message("after the requests")
    [event] = sentry_transport.events
    paths = [
        c["data"]["path"]
        for c in event["breadcrumbs"]["values"]
        if c["category"] == "autocapture.slow_request"
    ]
    assert paths == ["/slow"]
    assert [
        r.getMessage().split(" took")[0] for r in caplog.records if r.name == "autocapture.asgi"
    ] == ["slow request: GET /slow"]


async def test_error_after_the_response_started_sends_no_second_response() -> None:
    """A stream failing half way is captured; no second http.response.start is sent."""
    sink = MemorySink()
    configure(sink=sink)
    app = FastAPI()

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        async def body() -> AsyncIterator[bytes]:
            yield b"half"
            raise RuntimeError("stream broke")

        return StreamingResponse(body())

    sent, raised = await call(instrument(app), http_scope("/stream"))
    starts = [m for m in sent if m["type"] == "http.response.start"]
    assert (1, 200, RuntimeError) == (len(starts), starts[0]["status"], type(raised))
    assert [raised] == [e.exception for e in sink.events]


async def test_background_task_error_is_captured_after_the_response() -> None:
    """A failing background task is captured once and the response stays a 200."""
    sink = MemorySink()
    configure(sink=sink)
    app = FastAPI()

    def job() -> None:
        raise RuntimeError("background job failed")

    @app.get("/job")
    async def schedule(background: BackgroundTasks) -> dict[str, str]:
        background.add_task(job)
        return {"ok": "yes"}

    sent, raised = await call(instrument(app), http_scope("/job"))
    [event] = sink.events
    assert (200, raised, "/job") == (sent[0]["status"], event.exception, event.tags["endpoint"])


async def test_websocket_passes_through() -> None:
    """A websocket echo route works through the middleware; nothing is captured."""
    sink = MemorySink()
    configure(sink=sink)
    app = FastAPI()

    @app.websocket("/echo")
    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        text = await websocket.receive_text()
        await websocket.send_text(f"echo: {text}")
        await websocket.close()

    incoming = [
        {"type": "websocket.connect"},
        {"type": "websocket.receive", "text": "hi"},
        {"type": "websocket.disconnect", "code": 1000},
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {**http_scope("/echo"), "type": "websocket", "scheme": "ws", "subprotocols": []}
    del scope["method"]
    await instrument(app)(scope, receive, send)
    assert [m["type"] for m in sent] == ["websocket.accept", "websocket.send", "websocket.close"]
    assert (sent[1]["text"], len(sink)) == ("echo: hi", 0)


async def test_lifespan_passes_through() -> None:
    """Lifespan startup and shutdown run through the middleware."""
    ran: list[str] = []

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ran.append("startup")
        yield
        ran.append("shutdown")

    app = instrument(FastAPI(lifespan=lifespan))
    incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[str] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message["type"])

    await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)
    assert (
        ran,
        sent,
    ) == (
        ["startup", "shutdown"],
        ["lifespan.startup.complete", "lifespan.shutdown.complete"],
    )


VAR: contextvars.ContextVar[str] = contextvars.ContextVar("test_asgi_var", default="unset")


async def contextvar_sightings(*, autocaptured: bool) -> list[str]:
    """Where a context variable set around, in and after a route is seen, in order."""
    seen: list[str] = []
    app = FastAPI()

    @app.get("/var")
    async def read_and_set(background: BackgroundTasks) -> dict[str, str]:
        seen.append(f"route sees {VAR.get()}")
        VAR.set("route")
        background.add_task(lambda: seen.append(f"background task sees {VAR.get()}"))
        return {}

    @app.get("/sync")
    def sync_route() -> dict[str, str]:
        seen.append(f"sync route sees {VAR.get()}")
        return {}

    inner = instrument(app) if autocaptured else app

    async def outer(scope: Any, receive: Any, send: Any) -> None:
        token = VAR.set("outer")
        try:
            await inner(scope, receive, send)
            seen.append(f"outer sees {VAR.get()} after")
        finally:
            VAR.reset(token)

    await get(outer, "/var")
    await get(outer, "/sync")
    return seen


async def test_contextvars_behave_as_without_the_middleware() -> None:
    """Context variables flow exactly as without autocapture; its own context does not leak."""
    configure(sink=MemorySink())
    plain = await contextvar_sightings(autocaptured=False)
    captured = await contextvar_sightings(autocaptured=True)
    assert (plain, {}) == (captured, dict(bound_context()))
    assert plain[0] == "route sees outer"


async def test_bound_request_context_reaches_events_captured_inside() -> None:
    """An explicit capture inside a route carries the request's context, computed then."""
    from autocapture import capture_error

    sink = MemorySink()
    configure(sink=sink)
    app = FastAPI()

    @app.get("/items/{item_id}")
    async def item(item_id: str, request: Request) -> dict[str, str]:
        request.state.user_id = "u-9"
        capture_error(ValueError("handled here"))
        return {}

    response = await get(instrument(app), "/items/5", headers={"X-Request-ID": "r-77"})
    [event] = sink.events
    assert (
        response.status_code,
        event.context["request_id"],
        event.context["route"],
        event.user["id"],
    ) == (200, "r-77", "/items/{item_id}", "u-9")


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"slow_request_ms": -1}, ValueError),
        ({"slow_request_ms": "5s"}, ValueError),
        ({"hash_key": 12}, TypeError),
        ({"hash_key": ""}, ValueError),
        ({"user_resolver": "user_id"}, TypeError),
        ({"endpoint_rules": ["/admin"]}, TypeError),
        ({"error_categories": "timeout"}, TypeError),
        ({"revenue_critical": "payment"}, TypeError),
        ({"sink": object()}, TypeError),
        ({"request_id_header": ""}, TypeError),
    ],
)
def test_bad_options_are_rejected_at_construction(options: dict[str, Any], error: type) -> None:
    """A bad option fails when the middleware is built, naming the option."""
    with pytest.raises(error, match=next(iter(options))):
        AutoCaptureMiddleware(FastAPI(), **options)


async def test_binding_context_in_a_request_does_not_describe_it() -> None:
    """bind_context inside a request stays lazy: the request is described only for an event."""
    from autocapture import bind_context, capture_error

    sink = MemorySink()
    configure(sink=sink)
    calls: list[str] = []
    app = FastAPI()

    @app.get("/quiet")
    async def quiet() -> dict[str, str]:
        with bind_context(tenant="acme"):
            return {}

    @app.get("/loud")
    async def loud() -> dict[str, str]:
        with bind_context(tenant="acme"):
            capture_error(ValueError("handled"))
        return {}

    instrument(app, user_resolver=lambda scope: calls.append("resolved") or {"user_id": "u-1"})
    await get(app, "/quiet")
    assert calls == []
    await get(app, "/loud")
    [event] = sink.events
    assert (
        calls,
        event.context["tenant"],
        event.context["route"],
        event.user["id"],
    ) == (["resolved"], "acme", "/loud", "u-1")


def test_a_wsgi_app_is_refused_with_the_right_door() -> None:
    """Flask apps, Django's WSGI handler and plain WSGI callables name the WSGI middleware."""
    import flask
    from django.core.handlers.wsgi import WSGIHandler

    def plain_wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        return []

    class CallableWsgi:
        def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
            return []

    for app in (flask.Flask("shop"), plain_wsgi, CallableWsgi()):
        with pytest.raises(TypeError, match=r"use autocapture\.wsgi\.AutoCaptureMiddleware"):
            AutoCaptureMiddleware(app)
    with pytest.raises(TypeError, match=r"autocapture\.wsgi\.instrument\(app\)"):
        AutoCaptureMiddleware(flask.Flask("shop"))
    with pytest.raises(TypeError, match="WSGIHandler"):
        AutoCaptureMiddleware(WSGIHandler.__new__(WSGIHandler))
    with pytest.raises(TypeError, match=r"autocapture\.wsgi\.instrument"):
        instrument(flask.Flask("shop"))  # type: ignore[type-var]


def test_asgi_apps_of_every_shape_are_accepted() -> None:
    """Coroutine functions, objects with an async __call__ and frameworks all pass."""

    async def plain(scope: Any, receive: Any, send: Any) -> None:
        return None

    class Obj:
        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            return None

    class SyncReturningCoroutine:  # legal ASGI: a sync __call__ returning an awaitable
        def __call__(self, scope: Any, receive: Any, send: Any) -> Any:
            return plain(scope, receive, send)

    for app in (plain, Obj(), SyncReturningCoroutine(), FastAPI()):
        assert AutoCaptureMiddleware(app).app is app
