"""`autocapture.logs` (API §5 "Every exit"): the process's own log output is scrubbed.

Real uvicorn writes its access log through the standard `logging` machinery; with
`scrub_logs()` the `?api_key=` of a request never reaches the log stream.
"""

from __future__ import annotations

import io
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from autocapture import REDACTED
from autocapture.logs import ScrubbingFilter, scrub_logs

KEY = "Zq9x" + "Lm2Pw7Rt4Vb8"


@pytest.fixture
def stream_logger() -> Iterator[tuple[logging.Logger, io.StringIO, logging.Handler]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("test.scrub_logs")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    yield logger, stream, handler
    logger.handlers[:] = []


def _remove_scrubbing_filters() -> None:
    """`scrub_logs()` reaches every handler of every logger: leave none behind."""
    named = list(logging.Logger.manager.loggerDict.values())
    for logger in [logging.getLogger(), *named]:
        for handler in getattr(logger, "handlers", []):
            handler.filters[:] = [f for f in handler.filters if not isinstance(f, ScrubbingFilter)]


def test_uvicorn_access_log_loses_the_api_key() -> None:
    async def home(_request: object) -> PlainTextResponse:
        return PlainTextResponse("ok")

    app = Starlette(routes=[Route("/", home)])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="info", lifespan="off", ws="none"))
    stream = io.StringIO()
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        # uvicorn configured its loggers at startup; route its access log to our stream.
        access = logging.getLogger("uvicorn.access")
        access.handlers[0].stream = stream  # type: ignore[attr-defined]
        scrub_logs()
        scrub_logs()  # idempotent
        assert sum(isinstance(f, ScrubbingFilter) for f in access.handlers[0].filters) == 1
        response = httpx.get(f"http://127.0.0.1:{port}/?page=2&api_key={KEY}")
        assert response.status_code == 200
        deadline = time.monotonic() + 5
        while "GET" not in stream.getvalue() and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        _remove_scrubbing_filters()
    line = stream.getvalue()
    assert "page=2" in line
    assert f"api_key={REDACTED}" in line
    assert KEY not in line


def test_message_args_extra_and_traceback_are_scrubbed(
    stream_logger: tuple[logging.Logger, io.StringIO, logging.Handler],
) -> None:
    logger, stream, handler = stream_logger
    handler.addFilter(ScrubbingFilter())
    handler.setFormatter(logging.Formatter("%(message)s extra=%(db_password)s"))

    def fail(api_key: str) -> None:
        raise RuntimeError(f"rejected password={api_key}")

    try:
        fail(KEY)
    except RuntimeError:
        logger.exception("login with token=%s", KEY, extra={"db_password": KEY})
    output = stream.getvalue()
    assert "login with token=" in output
    assert "RuntimeError: rejected password=" in output
    assert KEY not in output


def test_a_json_formatter_sees_only_scrubbed_fields(
    stream_logger: tuple[logging.Logger, io.StringIO, logging.Handler],
) -> None:
    logger, stream, handler = stream_logger

    class Json(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            return json.dumps(
                {"msg": record.getMessage(), "session": getattr(record, "session", None)}
            )

    handler.addFilter(ScrubbingFilter())
    handler.setFormatter(Json())
    logger.info("user %s", {"password": KEY}, extra={"session": {"session_id": KEY}})
    assert KEY not in stream.getvalue()
    assert json.loads(stream.getvalue())["session"] == REDACTED


def test_ordinary_records_are_unchanged(
    stream_logger: tuple[logging.Logger, io.StringIO, logging.Handler],
) -> None:
    logger, stream, handler = stream_logger
    handler.addFilter(ScrubbingFilter())
    logger.info("processed %d rows in %s", 42, "eu-west-1")
    assert stream.getvalue() == "processed 42 rows in eu-west-1\n"


@pytest.mark.parametrize(
    ("message", "args", "extra"),
    [
        # A secret named in `extra` is redacted where the message echoes it.
        ("provider rejected %s", (KEY,), {"api_key": KEY}),
        ("provider rejected the key " + KEY, (), {"api_key": KEY}),
        # A secret named in mapping args is redacted where the message shows it.
        ("%(user)s signed in with %(session_token)s", {"user": "bob", "session_token": KEY}, {}),
        # A secret named in one arg is redacted in another.
        ("retry %s after %s", ({"api_key": KEY}, f"key {KEY} failed"), {}),
    ],
)
def test_a_secret_named_anywhere_in_a_record_is_redacted_everywhere_in_it(
    stream_logger: tuple[logging.Logger, io.StringIO, logging.Handler],
    message: str,
    args: object,
    extra: dict[str, str],
) -> None:
    logger, stream, handler = stream_logger
    handler.addFilter(ScrubbingFilter())
    handler.setFormatter(logging.Formatter("%(message)s"))
    if isinstance(args, dict):
        logger.info(message, args, extra=extra)
    else:
        logger.info(message, *args, extra=extra)  # type: ignore[misc]
    out = stream.getvalue()
    assert KEY not in out
    assert REDACTED in out
