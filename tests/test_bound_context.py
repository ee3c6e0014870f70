"""The context an error leaves its ``bind_context`` blocks with (API §2).

An error raised inside a block and captured after the block exits (the ``try`` around the
``with``, a wrapper raised ``from`` it, the middleware) carries the context bound where it
was raised. Captured inside another block, it carries both, the raise's values winning.
"""

from __future__ import annotations

import logging

import pytest

from autocapture import (
    REDACTED,
    CapturedError,
    auto_capture_errors,
    bind_context,
    capture_error,
    use_sink,
)
from autocapture.sinks import MemorySink, Sink
from tests.conftest import RecordingTransport

KEY = "Zq9x" + "Lm2Pw7Rt4Vb8"  # no shape of its own: only its name makes it secret


class _ListSink:
    """A sink of the user's own: its events are built on the caller."""

    def __init__(self) -> None:
        self.events: list[CapturedError] = []

    def emit(self, event: CapturedError) -> None:
        self.events.append(event)


class PaymentFailedError(Exception):
    """What a service raises from a provider's error."""


def _charge() -> None:
    raise ConnectionError("stripe unreachable")


@pytest.mark.parametrize("sink_type", [MemorySink, _ListSink])
def test_an_error_captured_after_its_block_exits_carries_the_blocks_context(
    sink_type: type[Sink],
) -> None:
    sink = sink_type()
    try:
        with bind_context(order_id="o-1", tenant="acme"):
            _charge()
    except ConnectionError as exc:
        with use_sink(sink):
            capture_error(exc)
    [event] = sink.events  # type: ignore[attr-defined]
    assert (event.context["order_id"], event.context["tenant"]) == ("o-1", "acme")


def test_nested_blocks_give_every_value_the_inner_ones_winning() -> None:
    sink = MemorySink()
    try:
        with bind_context(order_id="o-1", step="outer"), bind_context(step="charge"):
            _charge()
    except ConnectionError as exc:
        capture_error(exc, sink=sink)
    [event] = sink.events
    assert (event.context["order_id"], event.context["step"]) == ("o-1", "charge")


def test_an_error_raised_from_it_outside_the_block_carries_it_too() -> None:
    """``raise PaymentFailedError() from err`` after the block: the cause's context is its."""
    sink = MemorySink()

    @auto_capture_errors(sink=sink, reraise=False)
    def checkout() -> None:
        try:
            with bind_context(order_id="o-2"):
                _charge()
        except ConnectionError as err:
            raise PaymentFailedError("checkout failed") from err

    checkout()
    [event] = sink.events
    assert event.context["order_id"] == "o-2"


def test_a_chain_cut_with_from_none_leaves_the_context_behind() -> None:
    """``raise ... from None`` hides the error it replaces: and the context it left."""
    sink = MemorySink()
    try:
        try:
            with bind_context(order_id="o-3"):
                _charge()
        except ConnectionError:
            raise PaymentFailedError("checkout failed") from None
    except PaymentFailedError as exc:
        capture_error(exc, sink=sink)
    [event] = sink.events
    assert "order_id" not in event.context


def test_captured_inside_an_unrelated_block_it_carries_that_blocks_context_alone() -> None:
    """Another block than the one around the raise (another job, another request): the
    left context is not this one's to show."""
    sink = MemorySink()
    try:
        with bind_context(order_id="o-4", attempt=1):
            _charge()
    except ConnectionError as exc:
        with bind_context(attempt=2, job="retry-queue"):
            capture_error(exc, sink=sink)
    [event] = sink.events
    assert dict(event.context) == {"attempt": 2, "job": "retry-queue"}


async def test_one_error_shared_by_two_requests_carries_each_requests_context() -> None:
    """A failed shared task (a single-flight cache) raises the same exception object in
    request A's block, then in request B's: B's event is B's, never A's user."""
    import asyncio

    sink = MemorySink()

    async def fetch_config() -> None:
        raise ConnectionError("config service down")

    @auto_capture_errors(sink=sink)
    async def load(task: asyncio.Future[None]) -> None:
        await task

    shared = asyncio.ensure_future(fetch_config())
    await asyncio.sleep(0)
    with pytest.raises(ConnectionError), bind_context(user_id="alice", request_id="req-A"):
        await shared
    with pytest.raises(ConnectionError), bind_context(user_id="bob", request_id="req-B"):
        await load(shared)
    [event] = sink.events
    assert dict(event.context) == {"user_id": "bob", "request_id": "req-B"}
    assert dict(event.user) == {"id": "bob"}


def test_a_new_error_raised_in_a_block_is_not_given_the_context_of_the_one_before() -> None:
    """A retry on the replica fails while the primary's error is being handled: its
    ``__context__`` left the primary's block, but it was raised in the replica's."""
    sink = MemorySink()

    def query(db: str) -> None:
        raise ConnectionError(f"{db} unreachable")

    @auto_capture_errors(sink=sink, reraise=False)
    def query_replica() -> None:
        query("replica")

    with bind_context(request_id="r-1"):
        try:
            with bind_context(attempt=1, db="primary"):
                query("primary")
        except ConnectionError:
            with bind_context(attempt=2, db="replica"):
                query_replica()
    [event] = sink.events
    assert (event.context["attempt"], event.context["db"]) == (2, "replica")
    assert event.context["request_id"] == "r-1"


def test_an_error_raised_from_it_keeps_its_context_out_of_further_blocks() -> None:
    """``raise X from err`` in an outer block: X has err's inner block's values, captured
    inside the outer block or after X left it too."""
    sink = MemorySink()

    def checkout() -> None:
        try:
            with bind_context(order_id="o-10"):
                _charge()
        except ConnectionError as err:
            raise PaymentFailedError("checkout failed") from err

    with bind_context(request_id="r-2"):
        try:
            checkout()
        except PaymentFailedError as exc:
            capture_error(exc, sink=sink)
    try:
        with bind_context(request_id="r-3"):
            checkout()
    except PaymentFailedError as exc:
        capture_error(exc, sink=sink)
    inside, after = sink.events
    assert (inside.context["request_id"], inside.context["order_id"]) == ("r-2", "o-10")
    assert (after.context["request_id"], after.context["order_id"]) == ("r-3", "o-10")


def test_captured_in_the_outer_block_it_has_the_inner_blocks_values() -> None:
    sink = MemorySink()
    with bind_context(request_id="r-1"):
        try:
            with bind_context(order_id="o-5"):
                _charge()
        except ConnectionError as exc:
            capture_error(exc, sink=sink)
    [event] = sink.events
    assert (event.context["request_id"], event.context["order_id"]) == ("r-1", "o-5")


def test_the_left_context_is_scrubbed_and_its_secrets_redacted_event_wide() -> None:
    sink = MemorySink()
    try:
        with bind_context(api_key=KEY):
            raise ConnectionError(f"rejected {KEY}")
    except ConnectionError as exc:
        capture_error(exc, sink=sink)
    [event] = sink.events
    assert event.context["api_key"] == REDACTED
    assert event.message == f"rejected {REDACTED}"
    assert KEY not in repr(event)


def test_another_error_captured_later_carries_nothing_of_it() -> None:
    sink = MemorySink()
    try:
        with bind_context(order_id="o-6"):
            _charge()
    except ConnectionError:
        pass
    capture_error(RuntimeError("unrelated"), sink=sink)
    [event] = sink.events
    assert "order_id" not in event.context


def test_left_contexts_are_not_kept_in_the_scrubbed_cache() -> None:
    """The per-block cache of scrubbed contexts is for open blocks only."""
    from autocapture import _context

    sink = MemorySink()
    before = len(_context._scrubbed)
    for n in range(50):
        try:
            with bind_context(order_id=f"o-{n}"):
                _charge()
        except ConnectionError as exc:
            capture_error(exc, sink=sink)
    assert len(_context._scrubbed) == before
    assert [e.context["order_id"] for e in sink.events][:3] == ["o-0", "o-1", "o-2"]


def test_an_event_sentry_reports_first_carries_the_left_context(
    sentry_transport: RecordingTransport,
) -> None:
    """logger.exception after the block (Sentry's logging integration): the block's context."""
    try:
        with bind_context(user_id="u-8", order_id="o-7"):
            _charge()
    except ConnectionError:
        logging.getLogger("tests.bound_context").exception("charge failed")
    [event] = sentry_transport.events
    assert event["user"]["id"] == "u-8"
    assert event["contexts"]["general"]["order_id"] == "o-7"


def test_an_error_that_left_a_block_still_pickles_and_shows_nothing_of_it() -> None:
    """Celery and multiprocessing pickle exceptions: the context (unpicklable values and
    all) is not part of it, and the exception's attributes never show its values."""
    import copy
    import pickle
    import subprocess
    import sys
    import threading

    try:
        with bind_context(api_key=KEY, lock=threading.Lock()):
            _charge()
    except ConnectionError as exc:
        error = exc
    assert KEY not in repr(vars(error))
    data = pickle.dumps(error)
    # A process without autocapture (isolated: no site-packages) loads it as well.
    loader = "import pickle, sys; print(repr(pickle.loads(sys.stdin.buffer.read())))"
    elsewhere = subprocess.run(
        [sys.executable, "-I", "-S", "-c", loader], input=data, capture_output=True, check=True
    )
    assert elsewhere.stdout.decode().strip() == "ConnectionError('stripe unreachable')"
    restored = pickle.loads(data)  # noqa: S301 - our own bytes
    assert (type(restored), restored.args) == (ConnectionError, error.args)
    assert copy.copy(error).args == error.args
    sink = MemorySink()
    capture_error(restored, sink=sink)
    capture_error(error, sink=sink)
    unpickled, original = sink.events
    assert "api_key" not in unpickled.context  # the context stayed in this process
    assert original.context["api_key"] == REDACTED


def test_an_error_raised_from_it_outside_any_handler_carries_it() -> None:
    """``raise X from err`` with ``err`` kept from earlier: a cause and no ``__context__``."""
    sink = MemorySink()
    try:
        with bind_context(order_id="o-8"):
            _charge()
    except ConnectionError as exc:
        kept = exc

    def later() -> None:
        raise PaymentFailedError("checkout failed") from kept

    with pytest.raises(PaymentFailedError) as raised:
        later()
    assert raised.value.__context__ is None
    capture_error(raised.value, sink=sink)
    [event] = sink.events
    assert event.context["order_id"] == "o-8"


async def test_the_middleware_reports_a_routes_error_with_the_routes_block_and_the_request() -> (
    None
):
    """A route binds context around the failing work; the middleware's event has it all."""
    import httpx
    from fastapi import FastAPI

    from autocapture.asgi import instrument

    sink = MemorySink()
    app = FastAPI()

    @app.get("/v1/orders/{order_id}")
    async def pay(order_id: str) -> None:
        with bind_context(order_id=order_id):
            _charge()

    transport = httpx.ASGITransport(app=instrument(app, sink=sink), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/v1/orders/o-9", headers={"x-request-id": "req-9"})
    assert response.status_code == 500
    [event] = sink.events
    assert (event.context["order_id"], event.context["request_id"]) == ("o-9", "req-9")
    assert event.tags["endpoint"] == "/v1/orders/{order_id}"


async def test_sibling_requests_sharing_a_failed_task_never_see_each_others_context() -> None:
    """Two requests (tasks) await one failed task; B captures after its block exits, with
    async clean-up in between: B's event is B's, whichever block the error left last."""
    import asyncio

    sink = MemorySink()

    async def fetch_config() -> None:
        await asyncio.sleep(0.01)
        raise ConnectionError("config service down")

    async def request_a(shared: asyncio.Future[None]) -> None:
        with bind_context(user_id="alice", request_id="req-A"):
            await asyncio.sleep(0.02)
            await shared

    @auto_capture_errors(sink=sink)
    async def request_b(shared: asyncio.Future[None]) -> None:
        try:
            with bind_context(user_id="bob", request_id="req-B"):
                await shared
        finally:
            await asyncio.sleep(0.03)

    with bind_context(service="api"):
        shared = asyncio.ensure_future(fetch_config())
        await asyncio.gather(request_a(shared), request_b(shared), return_exceptions=True)
    [event] = sink.events
    assert "alice" not in repr(dict(event.context))
    assert dict(event.user) in ({}, {"id": "bob"})


async def test_a_task_that_binds_nothing_never_gets_a_siblings_context() -> None:
    import asyncio

    sink = MemorySink()

    async def fetch_config() -> None:
        raise ConnectionError("config service down")

    async def handle_a(shared: asyncio.Future[None]) -> None:
        with bind_context(user_id="alice"):
            await shared

    @auto_capture_errors(sink=sink)
    async def handle_b(shared: asyncio.Future[None]) -> None:
        await shared

    with bind_context(service="api"):
        shared = asyncio.ensure_future(fetch_config())
        await asyncio.sleep(0)
        for task in (asyncio.create_task(handle_a(shared)), asyncio.create_task(handle_b(shared))):
            with pytest.raises(ConnectionError):
                await task
    [event] = sink.events
    assert dict(event.context) == {"service": "api"}


def test_a_thread_never_gets_the_context_another_thread_left() -> None:
    """Captured in the main thread, or in a later thread (which may reuse the ident)."""
    import threading

    sink = MemorySink()
    capture_error(_left_in_a_thread("carol"), sink=sink)
    left_elsewhere = _left_in_a_thread("dave")
    later = threading.Thread(target=lambda: capture_error(left_elsewhere, sink=sink))
    later.start()
    later.join()
    assert len(sink.events) == 2
    for event in sink.events:
        assert "user_id" not in event.context


def _left_in_a_thread(user_id: str) -> BaseException:
    import threading

    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with bind_context(user_id=user_id):
                _charge()
        except ConnectionError as exc:
            errors.append(exc)

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    return errors[0]
