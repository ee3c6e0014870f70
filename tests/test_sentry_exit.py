"""Every exit to Sentry is scrubbed at the very end: events, transactions, breadcrumbs.

Sentry's integrations add request data in scope processors that run after every global
one, and the user's ``before_send`` can add more: the scrubber runs after all of them,
composed with the user's own callbacks, on what would leave the process.
"""

from __future__ import annotations

import asyncio
import base64
import importlib.util
import json
import os
import sys
import threading
from pathlib import Path
from typing import Any, NamedTuple

import fastapi
import httpx
import pytest
import sentry_sdk
import uvicorn

from autocapture import auto_capture_errors, configure
from autocapture.sinks import SentrySink

from .conftest import RecordingTransport

# Built from parts, so that no source line shown as context carries them whole.
QUERY_KEY = "Qk7" + "mZp2Lw9xVt4Rb"
BODY_TOKEN = "Bt5" + "nXq8Jr3sWe6Yu"
HEADER_TOKEN = "Hp4" + "kLm9Zq2xCv7Nb"
HUNTER = "hunter" + "2-" + "Qz8pLm4X"


def _init(**options: Any) -> RecordingTransport:
    transport = RecordingTransport()
    sentry_sdk.init(dsn="https://public@sentry.example.invalid/1", transport=transport, **options)
    return transport


def _items(transport: RecordingTransport, kind: str) -> list[dict[str, Any]]:
    found = []
    for envelope in transport.envelopes:
        for item in envelope.items:
            if item.type == kind and item.payload.json is not None:
                found.append(item.payload.json)
    return found


def test_the_users_before_send_runs_first_and_the_scrubber_last() -> None:
    """What the user's before_send adds is scrubbed too; it still sees every event once."""
    seen: list[str] = []

    def before_send(event: dict[str, Any], _hint: Any) -> dict[str, Any]:
        seen.append(event["message"])
        event.setdefault("extra", {})["dsn"] = f"postgresql://app:{HUNTER}@db/app"
        return event

    transport = _init(before_send=before_send)
    configure(sink=SentrySink())
    sentry_sdk.capture_message("plain message")
    sentry_sdk.flush()
    [event] = transport.events
    assert seen == ["plain message"]
    assert event["extra"]["dsn"] == "postgresql://app:[REDACTED]@db/app"


def test_a_before_send_that_drops_still_drops() -> None:
    """A user's before_send returning None drops the event, as without autocapture."""
    transport = _init(before_send=lambda _e, _h: None)
    configure(sink=SentrySink())
    sentry_sdk.capture_message("dropped")
    sentry_sdk.flush()
    assert transport.events == []


def test_breadcrumbs_are_scrubbed_after_the_users_callback() -> None:
    """Crumbs leave scrubbed; once the client was used, they are even stored scrubbed."""

    def before_breadcrumb(crumb: dict[str, Any], _hint: Any) -> dict[str, Any]:
        crumb.setdefault("data", {})["api_key"] = QUERY_KEY
        return crumb

    transport = _init(before_breadcrumb=before_breadcrumb)
    configure(sink=SentrySink())
    # Recorded before the client's first event: only scrubbed on the way out.
    sentry_sdk.add_breadcrumb(message=f"connecting to postgresql://app:{HUNTER}@db/app")
    sentry_sdk.capture_message("first event")
    sentry_sdk.add_breadcrumb(message=f"retrying with password={HUNTER}", category="db")
    stored = list(sentry_sdk.get_isolation_scope()._breadcrumbs)  # as stored
    assert HUNTER not in json.dumps(stored[-1], default=str)
    assert stored[-1]["data"]["api_key"] == "[REDACTED]"
    sentry_sdk.capture_message("second event")
    sentry_sdk.flush()
    assert HUNTER not in json.dumps(transport.events)
    assert QUERY_KEY not in json.dumps(transport.events)
    first, second = transport.events[-1]["breadcrumbs"]["values"]
    assert first["message"] == "connecting to postgresql://app:[REDACTED]@db/app"
    assert first["data"]["api_key"] == "[REDACTED]"
    assert second["category"] == "db"


def test_transactions_are_scrubbed_after_the_users_callback() -> None:
    """Span descriptions and data of a transaction leave scrubbed."""
    calls: list[str] = []

    def before_send_transaction(event: dict[str, Any], _hint: Any) -> dict[str, Any]:
        calls.append(event["transaction"])
        return event

    transport = _init(traces_sample_rate=1.0, before_send_transaction=before_send_transaction)
    configure(sink=SentrySink())
    with (
        sentry_sdk.start_transaction(name="checkout"),
        sentry_sdk.start_span(
            op="db",
            name=f"SELECT 1 FROM users WHERE password = '{HUNTER}'",  # noqa: S608 - a span description, never run
        ) as span,
    ):
        span.set_data("api_key", QUERY_KEY)
    sentry_sdk.flush()
    [transaction] = _items(transport, "transaction")
    assert calls == ["checkout"]
    payload = json.dumps(transaction)
    assert HUNTER not in payload
    assert QUERY_KEY not in payload
    [db_span] = transaction["spans"]
    assert db_span["data"]["api_key"] == "[REDACTED]"


def test_command_line_secrets_are_scrubbed(monkeypatch: pytest.MonkeyPatch) -> None:
    """sys.argv, which Sentry sends in extra, loses the values of secret flags."""
    argv = ["worker.py", "--db-password", HUNTER, "-p", HUNTER, f"--api-key={QUERY_KEY}", "-v"]
    monkeypatch.setattr(sys, "argv", argv)
    transport = _init()
    configure(sink=SentrySink())
    sentry_sdk.capture_message("started")
    sentry_sdk.flush()
    [event] = transport.events
    assert event["extra"]["sys.argv"] == [
        "worker.py",
        "--db-password",
        "[REDACTED]",
        "-p",
        "[REDACTED]",
        "--api-key=[REDACTED]",
        "-v",
    ]


def test_a_pem_body_in_the_source_context_is_redacted(tmp_path: Path) -> None:
    """A private key's body in the lines above the failure, BEGIN far above it, is not sent."""
    body = [base64.b64encode(os.urandom(48)).decode() for _ in range(12)]
    source = "\n".join(
        [
            'KEY = """-----BEGIN RSA PRIVATE KEY-----',
            *body,
            '-----END RSA PRIVATE KEY-----"""',
            "",
            "def sign() -> None:",
            "    raise ValueError('cannot sign')",
            "",
        ]
    )
    path = tmp_path / "signing_key_module.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("signing_key_module", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sign = auto_capture_errors(module.sign)
    transport = _init()
    configure(sink=SentrySink())
    with pytest.raises(ValueError, match="cannot sign"):
        sign()
    sentry_sdk.flush()
    [event] = transport.events
    frame = event["exception"]["values"][-1]["stacktrace"]["frames"][-1]
    assert frame["context_line"] == "    raise ValueError('cannot sign')"
    assert len(frame["pre_context"]) == 5  # one entry per line, as Sentry shows them
    payload = json.dumps(event)
    assert not [line for line in body if line[:24] in payload]


class DatabaseUser(NamedTuple):
    """A namedtuple: walked as a sequence (Sentry's serializer), it loses its field names."""

    user: str
    password: str


class Settings:
    """An object whose repr is the default one: its fields are only in its __dict__."""

    def __init__(self) -> None:
        self.region = "eu-west-1"
        self.api_key = QUERY_KEY


def test_frame_variables_are_scrubbed_from_the_live_objects() -> None:
    """Namedtuples, objects, deep nesting and multi-line strings keep their structure."""
    transport = _init()
    configure(sink=SentrySink())

    @auto_capture_errors
    def connect() -> None:
        account = DatabaseUser("app", HUNTER)
        settings = Settings()
        nested = {"a": {"b": {"c": {"password": HUNTER}}}}
        note = f"config loaded\npassword={HUNTER}"
        raise ConnectionError(
            f"refused {len(account)} {settings.region} {len(nested)} {len(note)}"
        )

    with pytest.raises(ConnectionError):
        connect()
    sentry_sdk.flush()
    [event] = transport.events
    assert HUNTER not in json.dumps(event)
    assert QUERY_KEY not in json.dumps(event)
    variables = event["exception"]["values"][-1]["stacktrace"]["frames"][-1]["vars"]
    assert variables["account"] == {"user": "app", "password": "[REDACTED]"}
    assert variables["settings"]["region"] == "eu-west-1"
    assert variables["settings"]["api_key"] == "[REDACTED]"
    assert variables["nested"]["a"]["b"]["c"] == {"password": "[REDACTED]"}
    assert variables["note"] == "config loaded\npassword=[REDACTED]"


def test_a_slow_repr_runs_at_most_twice_per_capture() -> None:
    """The serializer never repr()s what autocapture already scrubbed."""
    calls: list[int] = []

    class Opaque:
        __slots__ = ()

        def __repr__(self) -> str:
            calls.append(1)
            return "<Opaque>"

    transport = _init()
    configure(sink=SentrySink())

    @auto_capture_errors
    def work(handle: Opaque) -> None:
        raise RuntimeError("failed")

    with pytest.raises(RuntimeError):
        work(Opaque())
    sentry_sdk.flush()
    assert len(transport.events) == 1
    assert len(calls) <= 2  # the arguments and the frame variables (was 5)


def _leaky_app() -> fastapi.FastAPI:
    app = fastapi.FastAPI()

    @app.post("/items")
    async def items(request: fastapi.Request) -> dict[str, str]:
        body = await request.json()
        raise RuntimeError(f"could not store {len(body)} fields")

    return app


async def _post(client: httpx.AsyncClient) -> httpx.Response:
    return await client.post(
        f"/items?api_key={QUERY_KEY}&page=2",
        json={"api_token": BODY_TOKEN, "name": "widget"},
        headers={"Private-Token": HEADER_TOKEN},
    )


def _assert_request_scrubbed(transport: RecordingTransport) -> None:
    [event] = transport.events
    payload = json.dumps(event)
    for secret in (QUERY_KEY, BODY_TOKEN, HEADER_TOKEN):
        assert secret not in payload
    request = event["request"]
    assert request["query_string"] == "api_key=[REDACTED]&page=2"
    assert request["data"] == {"api_token": "[REDACTED]", "name": "widget"}
    assert request["headers"]["private-token"] == "[REDACTED]"
    assert event["exception"]["values"][-1]["mechanism"]["type"] != "autocapture"


def test_an_error_fastapis_integration_reports_first_leaves_scrubbed() -> None:
    """Query, JSON body and headers the Starlette/FastAPI integration adds are scrubbed."""
    transport = _init()
    configure(sink=SentrySink())

    async def call() -> None:
        asgi = httpx.ASGITransport(app=_leaky_app(), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=asgi, base_url="http://testserver") as client:
            assert (await _post(client)).status_code == 500

    asyncio.run(call())
    sentry_sdk.flush()
    _assert_request_scrubbed(transport)


def test_the_same_through_a_real_uvicorn_server() -> None:
    """Through a real server on 127.0.0.1, the integration's event leaves scrubbed."""
    transport = _init()
    configure(sink=SentrySink())
    config = uvicorn.Config(_leaky_app(), host="127.0.0.1", port=0, log_level="critical")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(500):
            if server.started:
                break
            threading.Event().wait(0.01)
        assert server.started
        port = server.servers[0].sockets[0].getsockname()[1]

        async def call() -> None:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                assert (await _post(client)).status_code == 500

        asyncio.run(call())
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    sentry_sdk.flush()
    _assert_request_scrubbed(transport)


def test_an_exception_part_that_cannot_be_built_is_still_reported_scrubbed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """If autocapture cannot build the frames, Sentry builds them and the exit scrubs them."""
    from autocapture._sentry import _event

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("cannot build")

    monkeypatch.setattr(_event, "exception_values", broken)
    transport = _init()
    configure(sink=SentrySink())

    @auto_capture_errors
    def connect(dsn: str) -> None:
        raise ConnectionError("refused " + dsn)

    with pytest.raises(ConnectionError):
        connect(f"postgresql://app:{HUNTER}@db/app")
    sentry_sdk.flush()
    [event] = transport.events
    assert HUNTER not in json.dumps(event)
    [value] = event["exception"]["values"]
    assert value["value"] == "refused postgresql://app:[REDACTED]@db/app"
