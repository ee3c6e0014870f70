"""autocapture.wsgi.AutoCaptureMiddleware on plain WSGI apps, in process and on wsgiref."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from autocapture import auto_capture_errors, configure
from autocapture.asgi import api_key_hash
from autocapture.sinks import MemorySink
from autocapture.wsgi import AutoCaptureMiddleware

API_KEY = "sk-live-planted0123456789abcdefXYZ"
QUERY_TOKEN = "tok-planted-5678efgh"
COOKIE = "cookie-planted-9999zzzz"


def environ(path: str = "/", query: str = "", **headers: str) -> dict[str, Any]:
    """A WSGI environ like a server builds."""
    env: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "wsgi.url_scheme": "http",
    }
    for name, value in headers.items():
        env["HTTP_" + name.upper()] = value
    return env


def run(app: Any, env: dict[str, Any]) -> tuple[list[bytes], BaseException | None]:
    """Call ``app`` once like a server: iterate the response, close it."""
    body: list[bytes] = []
    try:
        result = app(env, lambda status, headers, exc_info=None: None)
        try:
            body.extend(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
    except Exception as exc:
        return body, exc
    return body, None


def crashing(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    raise ValueError("crash in the app")


def test_an_unhandled_error_is_captured_with_the_scrubbed_request() -> None:
    """Query, headers and cookies are scrubbed; user, api_key_hash and tags are there."""
    sink = MemorySink()
    configure(sink=sink)
    env = environ(
        "/v1/chat/completions",
        f"model=gpt&token={QUERY_TOKEN}",
        x_api_key=API_KEY,
        cookie=f"session={COOKIE}",
        x_request_id="req-1",
    )
    env["autocapture.state"] = {"user_id": "u-42"}
    _, error = run(AutoCaptureMiddleware(crashing), env)
    assert isinstance(error, ValueError)
    [event] = sink.events
    assert event.exception is error
    assert {k: event.tags[k] for k in ("endpoint", "endpoint_type", "has_user", "method")} == {
        "endpoint": "/v1/chat/completions",
        "endpoint_type": "inference",
        "has_user": "true",
        "method": "GET",
    }
    assert event.tags["is_revenue_critical"] == "true"
    assert event.tags["exception_type"] == "ValueError"
    assert event.context["api_key_hash"] == api_key_hash(API_KEY, None)
    assert (event.context["request_id"], event.user["id"]) == ("req-1", "u-42")
    request = event.context["request"]
    assert request["url"] == "http://testserver/v1/chat/completions"
    assert "model=gpt" in request["query_string"]
    text = repr(event.context) + repr(event.tags)
    for secret in (API_KEY, QUERY_TOKEN, COOKIE):
        assert secret not in text


def test_errors_while_streaming_and_in_close_are_captured() -> None:
    """A generator failing after its first chunk and a close() that fails both count."""
    sink = MemorySink()
    configure(sink=sink)

    def streaming(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [])
        yield b"first"
        raise RuntimeError("stream broke")

    class Closing:
        def __iter__(self) -> Iterator[bytes]:
            yield b"all"

        def close(self) -> None:
            raise OSError("close failed")

    body, error = run(AutoCaptureMiddleware(streaming), environ("/export"))
    assert (body, type(error)) == ([b"first"], RuntimeError)
    body, error = run(AutoCaptureMiddleware(lambda e, s: Closing()), environ("/close"))
    assert (body, type(error)) == ([b"all"], OSError)
    assert [str(e.exception) for e in sink.events] == ["stream broke", "close failed"]
    assert sink.events[0].tags["endpoint"] == "/export"


def test_success_and_answers_are_left_alone() -> None:
    """A working app answers as without it; 4xx framework answers are not captured."""
    from werkzeug.exceptions import NotFound

    sink = MemorySink()
    configure(sink=sink)

    def ok(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        return [b"ok"]

    def not_found(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        raise NotFound

    assert run(AutoCaptureMiddleware(ok), environ()) == ([b"ok"], None)
    _, error = run(AutoCaptureMiddleware(not_found), environ())
    assert isinstance(error, NotFound)
    assert len(sink) == 0


def test_decorated_services_get_the_request_context() -> None:
    """A service failing inside the request reports first, with the request's tags."""
    sink = MemorySink()
    configure(sink=sink)

    @auto_capture_errors(context_type="payment")
    def charge() -> None:
        raise KeyError("card")

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        charge()
        return []

    _, error = run(AutoCaptureMiddleware(app), environ("/payments/charge"))
    assert isinstance(error, KeyError)
    [event] = sink.events
    assert event.function.endswith("charge")
    assert (event.tags["endpoint"], event.tags["error_category"]) == (
        "/payments/charge",
        "payment_error",
    )


def test_an_asgi_app_is_refused_with_the_right_door() -> None:
    """FastAPI apps and ASGI callables name autocapture.asgi.AutoCaptureMiddleware."""
    from fastapi import FastAPI

    async def asgi_app(scope: Any, receive: Any, send: Any) -> None:
        return None

    for app in (FastAPI(), asgi_app):
        with pytest.raises(TypeError, match=r"use autocapture\.asgi\.AutoCaptureMiddleware"):
            AutoCaptureMiddleware(app)  # type: ignore[arg-type]


def test_under_a_real_wsgi_server(wsgiref_server: Any) -> None:
    """Through wsgiref on 127.0.0.1: the error is captured once, the server answers 500."""
    sink = MemorySink()
    configure(sink=sink)
    base = wsgiref_server(AutoCaptureMiddleware(crashing))
    response = httpx.get(f"{base}/users/7?token={QUERY_TOKEN}", timeout=10)
    assert response.status_code == 500
    [event] = sink.events
    assert (event.tags["endpoint"], event.tags["endpoint_type"]) == ("/users/7", "users")
    assert QUERY_TOKEN not in repr(event.context)


def test_importing_autocapture_imports_neither_flask_nor_django() -> None:
    """The integrations are imported only when used."""
    code = (
        "import sys, autocapture, autocapture.asgi, autocapture.wsgi, autocapture.django;"
        "print(sorted(m for m in ('flask', 'django', 'werkzeug') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
