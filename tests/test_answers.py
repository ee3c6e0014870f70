"""What is captured: SDK errors are bugs, only a framework's own 4xx exceptions are answers."""

from __future__ import annotations

import re
import sys
from typing import Any, Callable

import celery.exceptions
import django.core.exceptions
import django.http
import dramatiq.errors
import fastapi
import httpx
import openai
import pytest
import starlette.exceptions
import stripe
import werkzeug.exceptions
from fastapi import FastAPI

from autocapture import auto_capture_errors, capture_error, configure
from autocapture._answers import HTTP_ANSWER_CLASSES, is_control_flow, is_http_answer
from autocapture.asgi import AutoCaptureMiddleware
from autocapture.sinks import MemorySink
from autocapture.tasks import create_task
from tests.asgi.helpers import get


def _response(status: int) -> httpx.Response:
    request = httpx.Request("POST", "https://api.openai.com/v1/chat/completions")
    return httpx.Response(status, request=request, json={"error": {"message": "no"}})


def _sdk_errors() -> list[BaseException]:
    """The real SDK exceptions of failed outbound calls; each carries an HTTP status."""
    return [
        openai.AuthenticationError("Incorrect API key", response=_response(401), body=None),
        openai.RateLimitError("Rate limit reached", response=_response(429), body=None),
        openai.NotFoundError("The model does not exist", response=_response(404), body=None),
        httpx.HTTPStatusError(
            "Client error '404 Not Found'", request=_response(404).request, response=_response(404)
        ),
        stripe.CardError("Your card was declined.", "card", "card_declined", http_status=402),
        stripe.InvalidRequestError("No such customer", "customer", http_status=404),
    ]


SDK_ERRORS = _sdk_errors()
IDS = [type(e).__name__ for e in SDK_ERRORS]


@pytest.mark.parametrize("error", _sdk_errors(), ids=IDS)
def test_sdk_errors_with_a_status_below_500_are_captured_by_the_decorator(
    error: BaseException,
) -> None:
    """openai 401/429/404, httpx.HTTPStatusError and stripe errors are bugs: one event each."""
    sink = MemorySink()

    @auto_capture_errors(sink=sink)
    def call_provider() -> None:
        raise error

    with pytest.raises(type(error)) as raised:
        call_provider()
    assert raised.value is error
    assert [type(error)] == [type(e.exception) for e in sink.events]


@pytest.mark.parametrize("error", _sdk_errors(), ids=IDS)
async def test_sdk_errors_in_a_route_are_captured_by_the_middleware(error: BaseException) -> None:
    """A route failing with an SDK error answers 500 and makes one event."""
    sink = MemorySink()
    app = FastAPI()

    @app.get("/chat")
    async def chat() -> None:
        raise error

    response = await get(AutoCaptureMiddleware(app, sink=sink), "/chat")
    assert (500, [type(error)]) == (response.status_code, [type(e.exception) for e in sink.events])


FRAMEWORK_ANSWERS: list[Callable[[], BaseException]] = [
    lambda: starlette.exceptions.HTTPException(404),
    lambda: fastapi.HTTPException(status_code=403, detail="no"),
    werkzeug.exceptions.NotFound,
    werkzeug.exceptions.TooManyRequests,
    lambda: django.http.Http404("no page"),
    django.core.exceptions.PermissionDenied,
    lambda: django.core.exceptions.SuspiciousOperation("bad host"),
    lambda: django.core.exceptions.DisallowedHost("bad host"),  # a subclass
]


@pytest.mark.parametrize("make", FRAMEWORK_ANSWERS)
def test_framework_http_answers_below_500_are_not_captured(
    make: Callable[[], BaseException],
) -> None:
    """Starlette/FastAPI, Werkzeug and Django 4xx exceptions propagate without an event."""
    sink = MemorySink()
    error = make()

    @auto_capture_errors(sink=sink, reraise=False)
    def route() -> None:
        raise error

    with pytest.raises(type(error)):
        route()
    assert (is_http_answer(error), sink.events) == (True, [])


@pytest.mark.parametrize(
    "error",
    [
        starlette.exceptions.HTTPException(503),
        fastapi.HTTPException(status_code=500),
        werkzeug.exceptions.InternalServerError(),
        werkzeug.exceptions.ServiceUnavailable(),
    ],
    ids=["starlette-503", "fastapi-500", "werkzeug-500", "werkzeug-503"],
)
def test_framework_http_exceptions_from_500_are_captured(error: BaseException) -> None:
    """A framework's own 5xx exception is a server error: captured."""
    sink = MemorySink()

    @auto_capture_errors(sink=sink)
    def route() -> None:
        raise error

    with pytest.raises(type(error)):
        route()
    assert (is_http_answer(error), len(sink)) == (False, 1)


def test_a_look_alike_class_is_not_an_answer() -> None:
    """Only the lineage counts: a class with a status_code and a similar name is captured."""

    class HTTPException(Exception):  # noqa: N818 - the point is the name
        status_code = 404

    assert (is_http_answer(HTTPException()), is_http_answer(ValueError())) == (False, False)


def test_the_answer_table_names_real_classes_and_imports_nothing() -> None:
    """Every (module, name) in the table is a real exception class of that framework."""
    for module, name in HTTP_ANSWER_CLASSES:
        cls = getattr(sys.modules[module], name)
        assert (module, name) == (cls.__module__, cls.__qualname__)
        assert issubclass(cls, Exception)


@pytest.mark.parametrize(
    "error",
    [
        celery.exceptions.Retry(),
        celery.exceptions.Ignore(),
        celery.exceptions.Reject(),
        dramatiq.errors.Retry("later"),
    ],
    ids=["celery-Retry", "celery-Ignore", "celery-Reject", "dramatiq-Retry"],
)
def test_task_control_flow_is_not_captured(error: BaseException) -> None:
    """Celery Retry/Ignore/Reject and dramatiq Retry steer a task: no event."""
    sink = MemorySink()

    @auto_capture_errors(sink=sink)
    def task() -> None:
        raise error

    with pytest.raises(type(error)):
        task()
    assert (is_control_flow(error), sink.events) == (True, [])


class QuotaExceededError(Exception):
    """An application error the user chooses not to report."""


def test_configure_ignore_applies_to_decorator_helpers_and_tasks() -> None:
    """configure(ignore=...) excludes an error everywhere; reraise=False still re-raises it."""
    sink = MemorySink()
    configure(sink=sink, ignore=QuotaExceededError)

    @auto_capture_errors(reraise=False)
    def spend() -> None:
        raise QuotaExceededError

    with pytest.raises(QuotaExceededError):
        spend()
    assert capture_error(QuotaExceededError()) is None
    assert capture_error(ValueError("reported")) is not None
    assert [ValueError] == [type(e.exception) for e in sink.events]


async def test_configure_ignore_applies_to_tasks_and_middleware() -> None:
    """A task and a route failing with an ignored error make no event."""
    sink = MemorySink()
    configure(sink=sink, ignore=lambda exc: isinstance(exc, QuotaExceededError))

    async def job() -> None:
        raise QuotaExceededError

    with pytest.raises(QuotaExceededError):
        await create_task(job())
    app = FastAPI()

    @app.get("/spend")
    async def spend() -> None:
        raise QuotaExceededError

    response = await get(AutoCaptureMiddleware(app), "/spend")
    assert (response.status_code, sink.events) == (500, [])


def test_configure_ignore_accepts_a_tuple_and_none_resets_it() -> None:
    """A tuple of types ignores each; ignore=None ignores nothing again."""
    sink = MemorySink()
    configure(sink=sink, ignore=(QuotaExceededError, KeyError))
    assert (capture_error(KeyError("k")), capture_error(QuotaExceededError())) == (None, None)
    configure(ignore=None)
    assert capture_error(KeyError("k")) is not None


@pytest.mark.parametrize("bad", ["ValueError", 42, (ValueError, "KeyError"), int])
def test_configure_ignore_refuses_other_shapes(bad: Any) -> None:
    """Anything but exception types or a predicate is a TypeError that says what is allowed."""
    message = "configure(ignore=...) takes an exception type, a tuple of exception types or a "
    with pytest.raises(TypeError, match=re.escape(message)):
        configure(ignore=bad)


def test_a_failing_ignore_predicate_does_not_lose_the_error() -> None:
    """A predicate that raises does not stop the capture, nor replace the user's error."""
    sink = MemorySink()

    def broken(exc: BaseException) -> bool:
        raise SystemExit(3)

    configure(sink=sink, ignore=broken)

    @auto_capture_errors
    def work() -> None:
        raise ValueError("the user's error")

    with pytest.raises(ValueError, match="the user's error"):
        work()
    assert [ValueError] == [type(e.exception) for e in sink.events]
