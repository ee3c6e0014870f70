"""A wrapper carries every attribute ``functools.wraps`` would copy, for every kind.

Decoration takes shortcuts to be cheap (it sets only what differs from what a new
function already has): these tests pin down that the result is what a ``functools.wraps``
closure shows, attribute by attribute, including a function changed after its ``def``.
"""

from __future__ import annotations

import functools
import inspect
import pickle
from collections.abc import AsyncIterator, Iterator
from typing import Any, Callable

import pytest

from autocapture import auto_capture_errors


def plain(a: int, b: int = 2, *rest: int, c: int = 3, **extra: int) -> int:
    """Add the arguments."""
    return a + b + c + sum(rest) + sum(extra.values())


def bare(a, b=2, *, c=3):  # type: ignore[no-untyped-def]  # no annotations, no doc
    return a + b + c


def gen(limit: int, *, step: int = 1) -> Iterator[int]:
    """Count."""
    yield from range(0, limit, step)


async def coro(value: int) -> int:
    return value


async def agen(limit: int) -> AsyncIterator[int]:
    for n in range(limit):
        yield n


def changed(a: int) -> int:
    return a


# Changed after its ``def``, as other decorators and code generators do.
changed.__name__ = "renamed"
changed.__qualname__ = "Somewhere.renamed"
changed.__module__ = "elsewhere"
changed.__doc__ = "Set later."
changed.__defaults__ = (7,)
changed.marker = "kept"  # type: ignore[attr-defined]


def keywords_only(*, key: str, flag: bool = False) -> str:
    return key


FUNCTIONS: list[Callable[..., Any]] = [plain, bare, gen, coro, agen, changed, keywords_only]


def reference(func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return wrapper


@pytest.mark.parametrize("func", FUNCTIONS, ids=lambda f: f.__code__.co_name)
def test_attributes_are_those_of_functools_wraps(func: Callable[..., Any]) -> None:
    wrapped = auto_capture_errors(func)
    expected = reference(func)
    for name in functools.WRAPPER_ASSIGNMENTS:
        assert getattr(wrapped, name) == getattr(expected, name), name
    assert wrapped.__annotations__ is func.__annotations__
    assert wrapped.__dict__ == expected.__dict__
    assert wrapped.__dict__ is not func.__dict__
    assert wrapped.__wrapped__ is func  # type: ignore[attr-defined]
    assert wrapped.__defaults__ is func.__defaults__  # type: ignore[attr-defined]
    assert wrapped.__kwdefaults__ == func.__kwdefaults__  # type: ignore[attr-defined]
    assert wrapped.__globals__ is func.__globals__  # type: ignore[attr-defined]
    assert inspect.signature(wrapped, follow_wrapped=False) == inspect.signature(func)
    assert inspect.getfullargspec(wrapped) == inspect.getfullargspec(func)


def test_the_kinds_are_those_of_the_function() -> None:
    for func in FUNCTIONS:
        wrapped = auto_capture_errors(func)
        for probe in (
            inspect.isgeneratorfunction,
            inspect.iscoroutinefunction,
            inspect.isasyncgenfunction,
        ):
            assert probe(wrapped) == probe(func), (func, probe)


def test_keyword_defaults_are_the_functions_own() -> None:
    """A later change to the function's keyword defaults is seen, as for the original."""

    def f(*, c: int = 3) -> int:
        return c

    wrapped = auto_capture_errors(f)
    assert wrapped() == 3
    assert wrapped(c=4) == 4
    assert wrapped.__kwdefaults__ is f.__kwdefaults__  # type: ignore[attr-defined]


def test_calls_by_keyword_reach_the_function() -> None:
    assert auto_capture_errors(plain)(1, b=1, c=1, d=1) == 4
    assert list(auto_capture_errors(gen)(6, step=2)) == [0, 2, 4]
    assert auto_capture_errors(keywords_only)(key="k") == "k"
    with pytest.raises(TypeError, match="argument"):
        auto_capture_errors(keywords_only)("k")


def test_parameters_named_like_the_templates_own_names() -> None:
    """A parameter named ``func``, ``handle`` or ``exc`` reaches the function unchanged.

    (The wrapper is then the template as written, ``(*args, **kwargs)``; ``inspect`` follows
    ``__wrapped__`` to the real parameters.)
    """

    def f(func: int, handle: int = 1, *, exc: int = 2) -> int:
        return func + handle + exc

    wrapped = auto_capture_errors(f)
    assert wrapped(1, handle=2, exc=3) == 6
    assert inspect.signature(wrapped) == inspect.signature(f)


def test_a_function_without_doc_has_none() -> None:
    def f() -> None:
        pass

    assert auto_capture_errors(f).__doc__ is None


def test_pickled_by_qualname() -> None:
    assert pickle.loads(pickle.dumps(decorated_here)) is decorated_here  # noqa: S301


@auto_capture_errors
def decorated_here(value: int) -> int:
    return value


def test_the_decorator_shows_its_documented_options() -> None:
    """``auto_capture_errors`` takes ``**options`` (cheap bare decoration) but shows them."""
    parameters = inspect.signature(auto_capture_errors).parameters
    assert list(parameters) == [
        "func",
        "context_type",
        "operation",
        "reraise",
        "default",
        "capture_args",
        "tags",
        "sink",
        "ignore",
        "level",
    ]
    assert parameters["reraise"].default is True
    assert parameters["level"].default == "error"
    assert parameters["tags"].kind is inspect.Parameter.KEYWORD_ONLY
    with pytest.raises(TypeError, match="unexpected keyword argument 'retries'"):
        auto_capture_errors(retries=3)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="reraise"):
        auto_capture_errors(reraise="yes")  # type: ignore[call-overload]


def test_options_given_as_their_defaults_decorate_like_bare() -> None:
    explicit = auto_capture_errors(reraise=True, level="error", default=None)(plain)
    assert explicit(1) == auto_capture_errors(plain)(1) == 6
    assert auto_capture_errors()(plain)(1) == 6
    assert auto_capture_errors(reraise=False, default=-1)(changed).__wrapped__ is changed  # type: ignore[attr-defined]
