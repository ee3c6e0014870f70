"""A Flask app under ``autocapture.wsgi.instrument`` against a real Bugsink server.

Sentry's Flask integration is on (``sentry_sdk.init`` enables it by default when Flask is
installed), so each error is seen by it and by autocapture: the server must store exactly
one event per error, ours, with the route template and without the request's secrets.
"""

from __future__ import annotations

import json

import pytest

from autocapture._once import captured_event_id

from . import _secrets
from .conftest import Stored

pytestmark = pytest.mark.e2e

flask = pytest.importorskip("flask", reason="flask (test extra) is not installed")
from autocapture import wsgi  # noqa: E402 - after the optional dependency check


def _app(raised: list[BaseException]) -> flask.Flask:
    app = flask.Flask("e2e_shop")

    @app.post("/payments/<int:order_id>")
    def pay(order_id: int) -> str:
        flask.g.user_id = "u-42"
        upstream = _secrets.STRIPE_KEY  # a frame local Sentry would attach
        error = RuntimeError(f"charge {order_id} failed via {_secrets.DB_URL} {len(upstream)}")
        raised.append(error)
        raise error

    @app.get("/down")
    def down() -> str:
        try:
            raise ConnectionError("db unreachable")
        except ConnectionError:
            try:
                flask.abort(500)
            except Exception as exc:
                raised.append(exc)
                raise
        return "never"

    @app.get("/missing")
    def missing() -> str:
        flask.abort(404)

    return wsgi.instrument(app)


def _headers() -> dict[str, str]:
    return {
        "Authorization": "Bearer " + _secrets.BEARER_TOKEN,
        "Cookie": "sessionid=" + _secrets.SESSION_ID,
        "X-Request-ID": "req-e2e-flask",
    }


def test_flask_errors_are_stored_once_with_route_user_and_no_secret(stored: Stored) -> None:
    """An unhandled error and abort(500) are stored once each; a 404 stores nothing."""
    raised: list[BaseException] = []
    client = _app(raised).test_client()
    url = "/payments/7?api_key=" + _secrets.QUERY_API_KEY
    assert client.post(url, headers=_headers()).status_code == 500
    assert client.get("/down", headers=_headers()).status_code == 500
    assert client.get("/missing", headers=_headers()).status_code == 404
    unhandled, aborted = raised
    answer = stored.answer(captured_event_id(unhandled) or "")
    event = answer["data"]
    tags = event["tags"]
    assert {k: tags.get(k) for k in ("endpoint", "endpoint_type", "method", "has_user")} == {
        "endpoint": "/payments/<int:order_id>",
        "endpoint_type": "payment",
        "method": "POST",
        "has_user": "true",
    }
    assert event["user"]["id"] == "u-42"
    assert event["contexts"]["general"]["request_id"] == "req-e2e-flask"
    assert event["exception"]["values"][-1]["mechanism"]["type"] == "autocapture"
    assert _secrets.leaked(json.dumps(answer)) == []
    down = stored.answer(captured_event_id(aborted) or "")
    types = [v["type"] for v in down["data"]["exception"]["values"]]
    assert types == ["ConnectionError", "InternalServerError"]
    assert _secrets.leaked(json.dumps(down)) == []
    assert stored.count() == 2
