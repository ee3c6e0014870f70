"""The wrapper is invisible: tools that introspect a decorated function see the function.

Each test reproduces, with the standard library alone, a break found by running real
libraries' test suites with every function wrapped (issue 11, items 1-8).
"""

from __future__ import annotations

import asyncio
import copy
import functools
import gc
import inspect
import pickle
import sys
import types
import typing
import weakref
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from autocapture import auto_capture_errors
from autocapture.sinks import MemorySink


class Payload:
    """A type defined in this module, named by string annotations below."""


@auto_capture_errors
def create(body: Payload, count: int = 1) -> Payload:
    """A function whose annotations are strings (from __future__ import annotations)."""
    return body


@auto_capture_errors
async def acreate(body: Payload) -> Payload:
    return body


@auto_capture_errors
def numbers(limit: int) -> Iterator[int]:
    yield from range(limit)


@auto_capture_errors
async def anumbers(limit: int) -> AsyncIterator[int]:
    for n in range(limit):
        yield n


def test_globals_are_the_functions() -> None:
    """__globals__ (so every frame's f_globals) are the module's, for every kind (item 1)."""
    for func in (create, acreate, numbers, anumbers):
        assert func.__globals__ is globals()  # type: ignore[attr-defined]


def test_get_type_hints_resolve_string_annotations() -> None:
    """typing.get_type_hints resolves annotations in the function's module (FastAPI's way)."""
    assert typing.get_type_hints(create) == {"body": Payload, "count": int, "return": Payload}
    assert typing.get_type_hints(acreate) == {"body": Payload, "return": Payload}


def test_signature_with_eval_str_resolves_like_the_original() -> None:
    """inspect.signature(f, eval_str=True) gives types, not strings (item 2, Typer)."""
    for func in (create, acreate):
        assert inspect.signature(func, eval_str=True) == inspect.signature(
            func.__wrapped__,  # type: ignore[attr-defined]
            eval_str=True,
        )
    assert inspect.signature(create, eval_str=True).parameters["body"].annotation is Payload
    assert "__signature__" not in vars(create)


def test_async_generator_frames_name_the_users_module() -> None:
    """An async generator's frame globals name the user's module (trio's naming)."""
    agen = anumbers(1)
    assert agen.ag_frame.f_globals["__name__"] == __name__
    asyncio.run(agen.aclose())


def test_types_coroutine_generators_stay_awaitable() -> None:
    """A @types.coroutine generator is still awaitable once decorated (item 3)."""

    @auto_capture_errors
    @types.coroutine
    def legacy() -> Any:
        yield from asyncio.sleep(0).__await__()
        return "done"

    async def main() -> str:
        return await legacy()  # type: ignore[no-any-return]

    assert asyncio.run(main()) == "done"
    assert inspect.isgeneratorfunction(legacy)


class Repository:
    calls: typing.ClassVar[list[int]] = []

    @auto_capture_errors
    @functools.cache  # noqa: B019 - the descriptor under test
    def lookup(self, key: int) -> tuple[Repository, int]:
        Repository.calls.append(key)
        return self, key


def test_descriptors_still_bind() -> None:
    """An lru_cache method (a descriptor, not a function) still receives self (item 4)."""
    repo = Repository()
    assert repo.lookup(3) == (repo, 3)
    assert repo.lookup(3) == (repo, 3)
    assert Repository.calls == [3]


def test_proxy_errors_of_bound_descriptors_are_captured(captured_errors: MemorySink) -> None:
    """A failing bound descriptor call is captured, without self in the arguments."""

    class Broken:
        @auto_capture_errors
        @functools.cache  # noqa: B019
        def fail(self, key: int) -> None:
            raise KeyError(key)

    with pytest.raises(KeyError):
        Broken().fail(5)
    [event] = captured_errors.events
    assert event.arguments == {"key": 5}


def plain_add(a: int, b: int) -> int:
    return a + b


partial_add = auto_capture_errors(functools.partial(plain_add, 1))


def test_functions_and_proxies_pickle_and_copy() -> None:
    """Decorated functions and wrapt-path results pickle and copy like the original (5)."""
    assert pickle.loads(pickle.dumps(create)) is create  # noqa: S301
    assert copy.copy(create) is create
    restored = pickle.loads(pickle.dumps(partial_add))  # noqa: S301
    assert restored(2) == 3
    assert restored is not partial_add
    assert restored.__wrapped__.args == (1,)
    assert copy.copy(partial_add)(5) == 6
    assert copy.deepcopy(partial_add)(6) == 7
    builtin = auto_capture_errors(len)
    assert pickle.loads(pickle.dumps(builtin))([1, 2]) == 2  # noqa: S301


def test_a_propagating_exception_keeps_no_argument_alive() -> None:
    """No reference cycle through the wrapper's arguments when an exception propagates (6)."""

    class Resource:
        pass

    class Context:
        def __enter__(self) -> Context:  # noqa: PYI034
            return self

        @auto_capture_errors(ignore=ValueError)
        def __exit__(self, *exc_info: object) -> None:
            # Re-raises the exception it was given, and takes care to hold no cycle
            # itself (as anyio does): only the wrapper's frame could hold one.
            try:
                raise exc_info[1]  # type: ignore[misc]
            finally:
                del exc_info

    @auto_capture_errors(ignore=ValueError)
    def use(resource: Resource) -> None:
        raise ValueError("fail")

    resource = Resource()
    try:
        use(resource)
    except ValueError as exc:
        tb = exc.__traceback__
    frames = []
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    [ours] = [f for f in frames if f.f_code.co_filename.startswith("<autocapture ")]
    assert "resource" not in ours.f_locals  # only the function's own frame holds it

    class BoomError(ValueError):
        pass

    gc.collect()
    gc.disable()
    try:
        try:
            with Context():
                raise BoomError("inner")
        except ValueError as exc:
            error = weakref.ref(exc)
        assert error() is None  # freed by reference counting alone: no cycle
    finally:
        gc.enable()


def test_wrong_calls_raise_at_the_call_for_every_kind() -> None:
    """A wrong call raises TypeError at the call, generators and coroutines too (item 7)."""
    for func in (numbers, anumbers, acreate, create):
        with pytest.raises(TypeError, match="argument"):
            func()
        with pytest.raises(TypeError, match="argument"):
            func(1, 2, 3)


def test_getfullargspec_sees_the_real_parameters() -> None:
    """Tools that ignore __wrapped__ (Celery's getfullargspec) see the real parameters."""
    spec = inspect.getfullargspec(create)
    assert (spec.args, spec.defaults) == (["body", "count"], (1,))


def test_athrow_generator_exit_and_one_async_generator_per_call() -> None:
    """athrow(GeneratorExit) works, and the loop's hooks see ONE async generator (item 8)."""
    started: list[object] = []

    async def main() -> None:
        hooks = sys.get_asyncgen_hooks()

        def firstiter(agen: object) -> None:
            started.append(agen)
            if hooks.firstiter is not None:
                hooks.firstiter(agen)

        sys.set_asyncgen_hooks(firstiter=firstiter, finalizer=hooks.finalizer)
        try:
            agen = anumbers(3)
            assert await agen.__anext__() == 0
            with pytest.raises(GeneratorExit):
                await agen.athrow(GeneratorExit)
            assert [type(a).__name__ for a in started] == ["async_generator"]
            assert started == [agen]
            assert [n async for n in anumbers(2)] == [0, 1]
        finally:
            sys.set_asyncgen_hooks(*hooks)

    asyncio.run(main())
    assert len(started) == 2


def test_tracebacks_show_one_named_autocapture_frame() -> None:
    """What a user sees: one frame of ours, in a file named <autocapture ... wrapper>."""

    @auto_capture_errors
    def fail() -> None:
        raise RuntimeError("x")

    try:
        fail()
    except RuntimeError as exc:
        tb = exc.__traceback__
    import traceback

    files = [frame.filename for frame in traceback.extract_tb(tb)]
    assert files[1:] == ["<autocapture plain wrapper>", __file__]
    line = traceback.extract_tb(tb)[1].line
    assert line == "return func(*args, **kwargs)"


def test_the_stack_knows_every_wrapper_file() -> None:
    """Every template's file name is one the stack leaves out (and Sentry never shows)."""
    from autocapture import _stack, _wrappers

    assert all(_stack.is_wrapper_file(name) for name in _wrappers._OWN_FILES)
