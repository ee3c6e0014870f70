"""A FastAPI app under ``autocapture.asgi.instrument`` against a real Bugsink server.

Sentry's Starlette and FastAPI integrations are on (``sentry_sdk.init`` enables them by
default when FastAPI is installed), so each error is seen by them and by autocapture: the
server must still store exactly one event per error, ours, without the request's secrets.
"""

from __future__ import annotations

import json

import httpx
import pytest

from autocapture._once import captured_event_id

from . import _secrets
from .conftest import ENVIRONMENT, RELEASE, Stored

pytestmark = pytest.mark.e2e

fastapi = pytest.importorskip("fastapi", reason="fastapi (test extra) is not installed")
from autocapture import asgi  # noqa: E402 - after the optional dependency check


def _app(raised: list[BaseException]) -> fastapi.FastAPI:
    """Build an instrumented app whose routes fail in the ways a real service does."""
    app = fastapi.FastAPI()

    @app.middleware("http")
    async def authenticate(request: fastapi.Request, call_next):
        request.state.user_id = "u-42"
        return await call_next(request)

    @app.post("/v1/chat/completions")
    async def chat(request: fastapi.Request) -> dict:
        upstream = _secrets.STRIPE_KEY  # a frame local Sentry would attach
        try:
            raise TimeoutError(f"upstream {len(upstream)} timed out")
        except TimeoutError as exc:
            error = RuntimeError("model call failed via " + _secrets.DB_URL)
            raised.append(error)
            raise error from exc

    @app.get("/v1/models")
    async def models() -> dict:
        try:
            raise ConnectionError("registry unreachable")
        except ConnectionError as exc:
            error = fastapi.HTTPException(status_code=503, detail="models unavailable")
            raised.append(error)
            raise error from exc

    @app.get("/v1/missing")
    async def missing() -> dict:
        raise fastapi.HTTPException(status_code=404, detail="no such thing")

    return asgi.instrument(app)


def _request_headers() -> dict[str, str]:
    return {
        "Authorization": "Bearer " + _secrets.BEARER_TOKEN,
        "Cookie": "sessionid=" + _secrets.SESSION_ID,
        "X-Request-ID": "req-e2e-1",
    }


async def _call(app: fastapi.FastAPI, method: str, url: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.request(method, url, headers=_request_headers())


async def test_unhandled_route_error_is_stored_once_with_request_and_no_secret(
    stored: Stored,
) -> None:
    """An unhandled route error is stored once: our id, request, user, tags, no secret."""
    raised: list[BaseException] = []
    app = _app(raised)
    url = "/v1/chat/completions?stream=1&api_key=" + _secrets.QUERY_API_KEY
    response = await _call(app, "POST", url)
    assert response.status_code == 500
    [error] = raised
    event_id = captured_event_id(error)
    answer = stored.answer(event_id or "")
    event = answer["data"]

    assert event["event_id"] == event_id
    assert (event["release"], event["environment"], event["level"]) == (
        RELEASE,
        ENVIRONMENT,
        "error",
    )
    cause, exception = event["exception"]["values"]
    assert (cause["type"], exception["type"]) == ("TimeoutError", "RuntimeError")
    assert exception["value"] == (
        "model call failed via postgresql://app:[REDACTED]@db.internal:5432/app"
    )
    assert exception["mechanism"]["type"] == "autocapture"
    assert exception["mechanism"]["handled"] is False
    tags = event["tags"]
    assert {k: tags.get(k) for k in ("method", "endpoint_type", "has_user", "context_type")} == {
        "method": "POST",
        "endpoint_type": "inference",
        "has_user": "true",
        "context_type": "general",
    }
    assert {"endpoint", "exception_type", "error_category", "is_revenue_critical"} <= set(tags)
    assert event["user"]["id"] == "u-42"
    request = event["request"]
    assert request["method"] == "POST"
    assert request["url"] == "http://testserver/v1/chat/completions"
    assert request["query_string"] in (
        "stream=1&api_key=[REDACTED]",
        [["stream", "1"], ["api_key", "[REDACTED]"]],
    )
    assert event["contexts"]["general"]["request_id"] == "req-e2e-1"
    assert _secrets.leaked(json.dumps(answer)) == []
    assert stored.count() == 1


async def test_http_5xx_error_is_stored_once_with_its_cause(stored: Stored) -> None:
    """An HTTPException 503 raised from a cause is stored once, with the cause chain."""
    raised: list[BaseException] = []
    response = await _call(_app(raised), "GET", "/v1/models")
    assert response.status_code == 503
    [error] = raised
    event_id = captured_event_id(error)
    answer = stored.answer(event_id or "")
    types = [v["type"] for v in answer["data"]["exception"]["values"]]
    assert types == ["ConnectionError", "HTTPException"]
    assert answer["data"]["tags"]["method"] == "GET"
    assert _secrets.leaked(json.dumps(answer)) == []
    assert stored.count() == 1


async def test_http_4xx_error_stores_nothing(stored: Stored) -> None:
    """An HTTPException 404 is an answer, not an error: the server stores no event."""
    response = await _call(_app([]), "GET", "/v1/missing")
    assert response.status_code == 404
    assert stored.count() == 0
