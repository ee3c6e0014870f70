"""`ScrubbingFilter` scrubs a shared record without taking the traceback from anyone.

A filter on one handler mutates the `LogRecord` every other handler of the logger (and
Sentry's logging integration, which reads it after them) sees. The scrubbed record keeps
a traceback in both forms formatters read: `exc_text` (the scrubbed rendering, which
`logging.Formatter` prints as it is) and `exc_info` (an inert stand-in of the exception:
same class name, scrubbed message, frames with scrubbed locals), so formatters that render
`exc_info` themselves (structlog, JSON formatters) still show the error, scrubbed.
Access-log records that carry their fields as `args` (uvicorn's tuple, gunicorn's dict)
keep a shape their formatters unpack.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import sentry_sdk
import structlog
from pythonjsonlogger.json import JsonFormatter
from uvicorn.logging import AccessFormatter

from autocapture import REDACTED
from autocapture.logs import ScrubbingFilter

from .conftest import RecordingTransport

TwoHandlers = tuple[logging.Logger, io.StringIO, "logging.StreamHandler[io.StringIO]"]

KEY = "Zq9x" + "Lm2Pw7Rt4Vb8"
STRIPE_KEY = "sk_" + "live_" + "51Hx" + "Qa9ZLrT2vYpWm4Kc8dN3"


def _structlog_formatter(*processors: object) -> logging.Formatter:
    return structlog.stdlib.ProcessorFormatter(
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *processors,
            structlog.processors.JSONRenderer(),
        ]
    )


@pytest.fixture
def two_handlers() -> Iterator[TwoHandlers]:
    """A logger whose first handler scrubs; the second (formatter set by the test) does not."""
    filtered = logging.StreamHandler(io.StringIO())
    filtered.addFilter(ScrubbingFilter())
    other_stream = io.StringIO()
    other = logging.StreamHandler(other_stream)
    logger = logging.getLogger("test.scrub_logs_shared")
    logger.handlers[:] = [filtered, other]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    yield logger, other_stream, other
    logger.handlers[:] = []


def _pay(api_key: str) -> None:
    raise ValueError(f"card declined for key {api_key}")


def _log_failure(logger: logging.Logger) -> None:
    try:
        _pay(STRIPE_KEY)
    except ValueError:
        logger.exception("payment failed")


@pytest.mark.parametrize(
    "formatter",
    [
        pytest.param(logging.Formatter(), id="logging.Formatter"),
        pytest.param(JsonFormatter(), id="python-json-logger"),
        pytest.param(
            _structlog_formatter(structlog.processors.format_exc_info), id="structlog-format"
        ),
    ],
)
def test_a_second_handler_still_gets_the_scrubbed_traceback(
    two_handlers: TwoHandlers,
    formatter: logging.Formatter,
) -> None:
    """After the filtered handler, an unfiltered one prints the traceback, scrubbed."""
    logger, stream, other = two_handlers
    other.setFormatter(formatter)
    _log_failure(logger)
    output = stream.getvalue()
    assert "Traceback (most recent call last)" in output
    assert "in _pay" in output
    assert "ValueError: card declined for key [REDACTED]" in output
    assert STRIPE_KEY not in output


def test_structlog_dict_tracebacks_get_frames_with_scrubbed_locals(
    two_handlers: TwoHandlers,
) -> None:
    """structlog's dict_tracebacks renders exc_info (locals shown): frames, nothing raw."""
    logger, stream, other = two_handlers
    other.setFormatter(_structlog_formatter(structlog.processors.dict_tracebacks))
    _log_failure(logger)
    output = stream.getvalue()
    assert STRIPE_KEY not in output
    [exception] = json.loads(output)["exception"]
    assert exception["exc_type"] == "ValueError"
    assert exception["exc_value"] == "card declined for key [REDACTED]"
    pay = next(f for f in exception["frames"] if f["name"] == "_pay")
    assert pay["locals"]["api_key"] == repr(REDACTED)


def test_the_filtered_handler_itself_renders_exc_info_scrubbed() -> None:
    """A structlog formatter on the filtered handler shows the error, scrubbed."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ScrubbingFilter())
    handler.setFormatter(_structlog_formatter(structlog.processors.format_exc_info))
    logger = logging.getLogger("test.scrub_logs_shared.one")
    logger.handlers[:] = [handler]
    logger.propagate = False
    try:
        _log_failure(logger)
    finally:
        logger.handlers[:] = []
    rendered = json.loads(stream.getvalue())
    assert "ValueError: card declined for key [REDACTED]" in rendered["exception"]
    assert STRIPE_KEY not in stream.getvalue()


def test_sentry_logging_integration_still_reports_the_exception(
    sentry_transport: RecordingTransport,
) -> None:
    """Sentry reads the record after the handlers: it still gets an exception, scrubbed."""
    handler = logging.StreamHandler(io.StringIO())
    handler.addFilter(ScrubbingFilter())
    logger = logging.getLogger("test.scrub_logs_shared.sentry")
    logger.handlers[:] = [handler]
    logger.propagate = False
    try:
        _log_failure(logger)
    finally:
        logger.handlers[:] = []
    sentry_sdk.flush()
    [event] = sentry_transport.events
    assert STRIPE_KEY not in json.dumps(event)
    [value] = event["exception"]["values"]
    assert value["type"] == "ValueError"
    assert value["value"] == "card declined for key [REDACTED]"
    assert value["stacktrace"]["frames"][-1]["function"] == "_pay"


def test_a_record_logged_twice_through_filtered_handlers_is_scrubbed_once() -> None:
    """Two filtered handlers: the second sees the first's result, the traceback intact."""
    streams = [io.StringIO(), io.StringIO()]
    handlers = [logging.StreamHandler(s) for s in streams]
    for handler in handlers:
        handler.addFilter(ScrubbingFilter())
    logger = logging.getLogger("test.scrub_logs_shared.twice")
    logger.handlers[:] = list(handlers)
    logger.propagate = False
    try:
        _log_failure(logger)
    finally:
        logger.handlers[:] = []
    first, second = (s.getvalue() for s in streams)
    assert first == second
    assert "ValueError: card declined for key [REDACTED]" in first


def test_uvicorn_access_records_keep_their_args_tuple() -> None:
    """uvicorn's AccessFormatter unpacks five args (the status an int): it still can."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ScrubbingFilter())
    handler.setFormatter(AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s'))
    logger = logging.getLogger("test.scrub_logs_shared.uvicorn")
    logger.handlers[:] = [handler]
    logger.propagate = False
    try:
        # As uvicorn's h11/httptools protocols log it.
        logger.info(
            '%s - "%s %s HTTP/%s" %d',
            "127.0.0.1:5123",
            "GET",
            f"/v1/charges?page=2&api_key={KEY}",
            "1.1",
            200,
        )
    finally:
        logger.handlers[:] = []
    line = stream.getvalue().strip()
    assert line == f'127.0.0.1:5123 - "GET /v1/charges?page=2&api_key={REDACTED} HTTP/1.1" 200 OK'


def test_gunicorn_access_records_keep_their_args_mapping() -> None:
    """gunicorn logs its access line as one mapping of atoms: it stays one, scrubbed."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ScrubbingFilter())
    logger = logging.getLogger("test.scrub_logs_shared.gunicorn")
    logger.handlers[:] = [handler]
    logger.propagate = False
    atoms = {
        "h": "127.0.0.1",
        "r": f"GET /v1/charges?api_key={KEY} HTTP/1.1",
        "s": "200",
        "q": f"api_key={KEY}",
        "{authorization}i": f"Bearer {STRIPE_KEY}",
        "D": 1234,
    }
    try:
        # As gunicorn.glogging.Logger.access does: the format and one mapping.
        logger.info('%(h)s "%(r)s" %(s)s q=%(q)s auth=%({authorization}i)s %(D)s', atoms)
    finally:
        logger.handlers[:] = []
    line = stream.getvalue().strip()
    assert KEY not in line
    assert STRIPE_KEY not in line
    assert line.startswith('127.0.0.1 "GET /v1/charges?api_key=[REDACTED] HTTP/1.1" 200 q=')
    assert line.endswith(" 1234")
