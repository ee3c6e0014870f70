"""LoggingSink hands formatters nothing raw: no live frame whose locals they could render."""

from __future__ import annotations

import gc
import io
import json
import logging
import traceback
from types import FrameType, FunctionType, ModuleType
from typing import Any

import pytest
import structlog
from pythonjsonlogger.json import JsonFormatter

from autocapture import auto_capture_errors, configure
from autocapture.sinks import LoggingSink

# Nothing in its shape says "secret": only its name (a positional parameter) does.
PASSWORD = "hunter" + "2-" + "plainQz8"


@auto_capture_errors(context_type="auth", operation="login")
def login(user: str, password: str) -> None:
    attempts = {"user": user, "password": password}  # a local holding the secret
    raise PermissionError(f"login refused for {user} after {len(attempts)} checks")


def sign_in_route(user: str, password: str) -> None:
    login(user, password)


def _logger(formatter: logging.Formatter) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logger = logging.getLogger(f"tests.exc_info.{type(formatter).__name__}")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger, stream


def _fail(logger: logging.Logger) -> None:
    configure(sink=LoggingSink(logger))
    with pytest.raises(PermissionError):
        sign_in_route("bob", PASSWORD)


def test_structlog_dict_tracebacks_with_locals_prints_no_raw_local() -> None:
    """structlog's dict_tracebacks (locals shown) sees scrubbed locals and no wrapper frame."""
    formatter = structlog.stdlib.ProcessorFormatter(
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.dict_tracebacks,
            structlog.processors.JSONRenderer(),
        ],
    )
    logger, stream = _logger(formatter)
    _fail(logger)
    output = stream.getvalue()
    assert PASSWORD not in output
    [line] = output.splitlines()
    [exception] = json.loads(line)["exception"]
    assert exception["exc_type"] == "PermissionError"
    assert exception["exc_value"] == "login refused for bob after 2 checks"
    frames = exception["frames"]
    names = [f["name"] for f in frames]
    assert names[-3:] == ["_fail", "sign_in_route", "login"]
    assert all(
        f["filename"] != "_decorator.py" and "args" not in f.get("locals", {}) for f in frames
    )
    failing = frames[-1]
    assert failing["lineno"] == login.__wrapped__.__code__.co_firstlineno + 3  # type: ignore[attr-defined]
    assert "[REDACTED]" in failing["locals"]["password"]
    assert "'bob'" in failing["locals"]["user"]
    assert "[REDACTED]" in failing["locals"]["attempts"]


def test_a_json_formatter_prints_the_whole_stack_and_no_secret() -> None:
    """python-json-logger formats exc_info itself: the stack is whole and scrubbed."""
    logger, stream = _logger(JsonFormatter("%(message)s"))
    _fail(logger)
    record = json.loads(stream.getvalue())
    assert PASSWORD not in json.dumps(record)
    text = record["exc_info"]
    order = [text.index(f"in {name}\n") for name in ("sign_in_route", "login")]
    assert order == sorted(order)
    assert "raise PermissionError(" in text  # source lines, read from the file
    assert text.endswith("PermissionError: login refused for bob after 2 checks")


def test_the_standard_formatter_prints_the_scrubbed_stack() -> None:
    """logging.Formatter prints the pre-rendered, scrubbed traceback with the callers."""
    logger, stream = _logger(logging.Formatter("%(levelname)s %(message)s"))
    _fail(logger)
    output = stream.getvalue()
    assert PASSWORD not in output
    assert output.index("in sign_in_route\n") < output.index("in login\n")


def test_nothing_raw_is_reachable_from_the_record() -> None:
    """No object reachable from the record's exc_info holds the raw secret or a live frame."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("tests.exc_info.reach")
    logger.handlers[:] = [Keep()]
    logger.propagate = False
    _fail(logger)
    [record] = records
    assert record.exc_info is not None
    _, stand_in, tb = record.exc_info
    reached = _reachable([stand_in, tb, record.__dict__])
    assert not [obj for obj in reached if isinstance(obj, str) and PASSWORD in obj]
    frames = [obj for obj in reached if isinstance(obj, FrameType)]
    assert frames  # the stand-in frames are real frames, walked as usual
    assert not [f for f in frames if f.f_code.co_filename.endswith("_decorator.py")]
    assert {f.f_code.co_name for f in frames} & {"emit_error", "handle", "_fail"} == {
        "_fail"
    }  # _fail is a stand-in too: its code is ours, named like it
    for frame, _ in traceback.walk_tb(tb):
        assert set(frame.f_globals) <= {"__name__", "__builtins__"}


def _reachable(roots: list[Any], limit: int = 20_000) -> list[Any]:
    """Objects reachable from ``roots``, not crossing into classes, modules or functions."""
    seen: dict[int, Any] = {}
    todo = list(roots)
    while todo and len(seen) < limit:
        obj = todo.pop()
        if id(obj) in seen or isinstance(obj, (type, ModuleType, FunctionType)):
            continue
        seen[id(obj)] = obj
        if isinstance(obj, FrameType):
            todo.extend(obj.f_locals.values())
            if obj.f_back is not None:
                todo.append(obj.f_back)
        todo.extend(gc.get_referents(obj))
    return list(seen.values())
