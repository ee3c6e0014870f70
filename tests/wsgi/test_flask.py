"""autocapture.wsgi.instrument(flask_app) with real Flask apps and Flask's test client."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, abort, g

from autocapture import auto_capture_errors, configure
from autocapture.sinks import MemorySink, SentrySink
from autocapture.wsgi import AutoCaptureMiddleware, instrument
from tests.conftest import RecordingTransport


def shop() -> Flask:
    """A Flask app whose routes fail in the ways the tests need."""
    app = Flask("shop")

    @app.get("/users/<int:user_id>")
    def user(user_id: int) -> str:
        g.user_id = f"u-{user_id}"
        raise LookupError(f"user {user_id} vanished")

    @app.get("/down")
    def down() -> str:
        try:
            {}["db"]
        except KeyError:
            abort(500)  # raised while handling the KeyError: that is its cause
        return "never"

    @app.get("/missing")
    def missing() -> str:
        abort(404)

    @app.get("/teapot")
    def teapot() -> str:
        abort(418)

    @app.get("/ok")
    def ok() -> str:
        return "fine"

    return app


def test_unhandled_errors_are_captured_with_the_route_template_and_user() -> None:
    """Flask answers 500 as before; the event has the URL rule and g's user fields."""
    sink = MemorySink()
    configure(sink=sink)
    client = instrument(shop()).test_client()
    response = client.get("/users/7", headers={"Authorization": "Bearer sk-test-abc"})
    assert response.status_code == 500
    [event] = sink.events
    assert isinstance(event.exception, LookupError)
    assert (event.tags["endpoint"], event.tags["endpoint_type"]) == (
        "/users/<int:user_id>",
        "users",
    )
    assert (event.user["id"], event.tags["has_user"]) == ("u-7", "true")
    assert event.function.endswith("shop.<locals>.user")
    assert "sk-test-abc" not in repr(event.context)


def test_abort_500_is_captured_with_its_cause_and_4xx_are_left_alone() -> None:
    """abort(500) is a 5xx answer to capture (with its cause); 404 and 418 are answers."""
    sink = MemorySink()
    configure(sink=sink)
    client = instrument(shop()).test_client()
    statuses = [client.get(p).status_code for p in ("/down", "/missing", "/teapot", "/ok")]
    assert statuses == [500, 404, 418, 200]
    [event] = sink.events
    assert getattr(event.exception, "code", None) == 500
    assert isinstance(event.exception.__context__, KeyError)
    assert event.tags["endpoint"] == "/down"


def test_decorated_services_called_in_a_request_get_its_context() -> None:
    """A service reporting first carries the request's tags; Flask's capture adds nothing."""
    sink = MemorySink()
    configure(sink=sink)
    app = Flask("billing")

    @auto_capture_errors(context_type="payment")
    def charge(amount: int) -> None:
        raise ConnectionError("the processor hung up")

    @app.post("/billing/charge")
    def route() -> str:
        charge(5)
        return "never"

    assert instrument(app).test_client().post("/billing/charge").status_code == 500
    [event] = sink.events
    assert event.function.endswith("charge")
    assert {k: event.tags[k] for k in ("endpoint", "endpoint_type", "error_category")} == {
        "endpoint": "/billing/charge",
        "endpoint_type": "payment",
        "error_category": "payment_error",
    }


def test_instrument_twice_applies_new_options_and_refuses_other_objects() -> None:
    """A second call with options applies them; non-Flask objects get a clear TypeError."""
    first, second = MemorySink(), MemorySink()
    app = shop()
    assert instrument(app, sink=first) is app
    instrument(app, sink=second)
    instrument(app)
    app.test_client().get("/users/1")
    assert (len(first), len(second)) == (0, 1)
    assert isinstance(app.wsgi_app, AutoCaptureMiddleware)
    with pytest.raises(TypeError, match="takes a Flask application"):
        instrument(object())  # type: ignore[type-var]
    from fastapi import FastAPI

    with pytest.raises(TypeError, match=r"autocapture\.asgi\.AutoCaptureMiddleware"):
        instrument(FastAPI())  # type: ignore[type-var]


def test_with_sentry_one_event_per_error(sentry_transport: RecordingTransport) -> None:
    """Sentry's Flask/WSGI integrations and autocapture make one event, ours, per error."""
    configure(sink=SentrySink())
    client = instrument(shop()).test_client()
    for path in ("/users/3", "/down", "/missing"):
        client.get(path)
    events = sentry_transport.events
    assert len(events) == 2
    assert {e["tags"]["endpoint"] for e in events} == {"/users/<int:user_id>", "/down"}


def test_middleware_alone_sees_propagated_errors(monkeypatch: Any) -> None:
    """With PROPAGATE_EXCEPTIONS the error leaves Flask: the outer middleware captures it."""
    sink = MemorySink()
    configure(sink=sink)
    app = shop()
    app.config["PROPAGATE_EXCEPTIONS"] = True
    client = instrument(app).test_client()
    with pytest.raises(LookupError):
        client.get("/users/9")
    assert len(sink) == 1
