"""instrument_modules compiles the modules it imports so that their functions report their
own errors: no wrapper, the arguments as passed, once, and a cache like Python's own."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import json
import os
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import sentry_sdk

from autocapture import auto_capture_errors, configure, instrument_modules
from autocapture._decorator import is_decorated
from autocapture._rewritten import original_name
from autocapture.sinks import MemorySink, SentrySink
from tests._packages import Package
from tests.conftest import RecordingTransport


def test_the_function_is_the_function(package: Package, captured_errors: MemorySink) -> None:
    """No wrapper: same signature, names, docstring, code names, source, pickling."""
    package.write(
        "svc.py",
        '''
        def charge(amount, /, currency="eur", *, retries=2, **extra):
            """Charge an amount."""
            raise RuntimeError(f"declined {amount}")
        ''',
    )
    instrument_modules(package.name)
    svc = package.load("svc")
    charge = svc.charge
    assert not hasattr(charge, "__wrapped__")
    assert charge.__doc__ == "Charge an amount."
    assert str(inspect.signature(charge)) == "(amount, /, currency='eur', *, retries=2, **extra)"
    assert charge.__code__.co_varnames[:4] == ("amount", "currency", "retries", "extra")
    assert "declined" in inspect.getsource(charge)
    assert pickle.loads(pickle.dumps(charge)) is charge  # noqa: S301 - our own bytes
    assert is_decorated(charge)  # it captures its errors: instrument_modules leaves it be
    with pytest.raises(RuntimeError, match="declined 3"):
        charge(3, "usd", retries=1, trace="t-1")
    [event] = captured_errors.events
    assert event.function == f"{package.name}.svc.charge"
    assert dict(event.arguments) == {
        "amount": 3,
        "currency": "usd",
        "retries": 1,
        "extra": {"trace": "t-1"},
    }


def test_arguments_are_reported_as_passed(package: Package, captured_errors: MemorySink) -> None:
    """A parameter the body rebinds or deletes is reported with the value passed."""
    package.write(
        "svc.py",
        """
        def rebinds(amount, *items, note=None):
            amount = amount * 100
            items = ()
            del note
            raise ValueError("bad amount")

        def untouched(user_id, limit=10):
            raise ValueError("missing")
        """,
    )
    instrument_modules(package.name)
    svc = package.load("svc")
    with pytest.raises(ValueError):
        svc.rebinds(7, "a", "b", note="n")
    with pytest.raises(ValueError):
        svc.untouched("u-1")
    assert [e.arguments for e in captured_errors.events] == [
        {"amount": 7, "items": ["a", "b"], "note": "n"},
        {"user_id": "u-1", "limit": 10},
    ]
    # Only the rebound parameters are kept (one store each at entry).
    local_names = svc.rebinds.__code__.co_varnames
    assert original_name("amount") in local_names
    assert original_name("note") in local_names
    assert not any(name.startswith("__autocapture") for name in svc.untouched.__code__.co_varnames)


def test_every_kind_of_function_and_method(package: Package, captured_errors: MemorySink) -> None:
    """Generators, coroutines, async generators, methods of every kind, nested classes."""
    package.write(
        "svc.py",
        """
        import contextlib
        import functools

        def numbers():
            yield 1
            raise KeyError("gen")

        async def fetch(url):
            raise ConnectionError(url)

        async def stream():
            yield 1
            raise OSError("stream")

        @contextlib.contextmanager
        def opened(path):
            raise FileNotFoundError(path)
            yield

        class Repo:
            def __init__(self, dsn):
                self.dsn = dsn

            def __repr__(self):
                raise RuntimeError("protocol plumbing is not captured")

            @property
            def size(self):
                raise LookupError("size")

            @classmethod
            def build(cls):
                raise TypeError("build")

            @staticmethod
            def check(value):
                raise ValueError(value)

            @functools.lru_cache(maxsize=None)
            def cached(self, key):
                raise KeyError(key)

            class Inner:
                def deep(self):
                    raise RuntimeError("deep")
        """,
    )
    instrument_modules(package.name)
    svc = package.load("svc")
    repo = svc.Repo("db://x")
    calls = [
        lambda: list(svc.numbers()),
        lambda: asyncio.run(svc.fetch("https://example.test")),
        lambda: asyncio.run(_drain(svc.stream())),
        lambda: svc.opened("/nope").__enter__(),
        lambda: repr(repo),
        lambda: repo.size,
        svc.Repo.build,
        lambda: svc.Repo.check("v"),
        lambda: repo.cached("k"),
        lambda: svc.Repo.Inner().deep(),
    ]
    for call in calls:
        with pytest.raises(Exception):  # noqa: B017 - each raises its own
            call()
    functions = [e.function.removeprefix(f"{package.name}.svc.") for e in captured_errors.events]
    assert functions == [
        "numbers",
        "fetch",
        "stream",
        "opened",
        "Repo.size",
        "Repo.build",
        "Repo.check",
        "Repo.cached",
        "Repo.Inner.deep",
    ]
    assert inspect.isgeneratorfunction(svc.numbers)
    assert inspect.iscoroutinefunction(svc.fetch)
    assert inspect.isasyncgenfunction(svc.stream)


async def _drain(agen: object) -> None:
    async for _ in agen:  # type: ignore[attr-defined]
        pass


def test_one_event_per_error_up_the_stack(package: Package, captured_errors: MemorySink) -> None:
    """An error passing through three instrumented functions is reported once, where raised."""
    package.write(
        "svc.py",
        """
        def outer(order_id):
            return middle(order_id)

        def middle(order_id):
            return inner(order_id)

        def inner(order_id):
            raise RuntimeError(order_id)
        """,
    )
    instrument_modules(package.name)
    with pytest.raises(RuntimeError):
        package.load("svc").outer("o-1")
    [event] = captured_errors.events
    assert event.function.endswith(".inner")


def test_decorated_functions_keep_their_options(
    package: Package, captured_errors: MemorySink
) -> None:
    """In the source, under an alias, or decorated later: the decorator's options win."""
    package.write(
        "jobs.py",
        """
        from autocapture import auto_capture_errors as capture

        @capture(tags={"own": "alias"})
        def aliased():
            raise RuntimeError("aliased")

        def later():
            raise RuntimeError("later")
        """,
    )
    instrument_modules(package.name, tags={"own": "package"})
    jobs = package.load("jobs")
    later = auto_capture_errors(tags={"own": "later"})(jobs.later)
    for call in (jobs.aliased, later, jobs.later):
        with pytest.raises(RuntimeError):
            call()
    assert [e.tags["own"] for e in captured_errors.events] == ["alias", "later", "package"]


def test_functions_registered_at_definition_are_captured(
    package: Package, captured_errors: MemorySink
) -> None:
    """A decorator that keeps the original (a route, a task registry) calls a function that
    reports its own errors; a closure bound at module level is wrapped as before."""
    package.write(
        "routes.py",
        """
        ROUTES = {}

        def route(path):
            def register(func):
                ROUTES[path] = func
                return func
            return register

        @route("/users")
        def users(user_id):
            raise LookupError(user_id)

        def make(name):
            def handler(payload):
                raise RuntimeError(name)
            return handler

        webhook = make("webhook")
        """,
    )
    instrument_modules(package.name)
    routes = package.load("routes")
    with pytest.raises(LookupError):
        routes.ROUTES["/users"]("u-7")
    with pytest.raises(RuntimeError):
        routes.webhook({"id": 1})
    assert [e.function.rsplit(".", 1)[-1] for e in captured_errors.events] == [
        "users",
        "handler",
    ]
    assert captured_errors.events[0].arguments == {"user_id": "u-7"}


def test_only_errors_are_reported(package: Package, captured_errors: MemorySink) -> None:
    """Returns, StopIteration, KeyboardInterrupt, SystemExit and GeneratorExit pass untouched."""
    package.write(
        "svc.py",
        """
        def ok(x):
            return x * 2

        def interrupted():
            raise KeyboardInterrupt

        def exits():
            raise SystemExit(3)

        def numbers():
            yield 1
            yield 2
        """,
    )
    instrument_modules(package.name)
    svc = package.load("svc")
    assert svc.ok(21) == 42
    with pytest.raises(KeyboardInterrupt):
        svc.interrupted()
    with pytest.raises(SystemExit):
        svc.exits()
    gen = svc.numbers()
    next(gen)
    gen.close()
    assert list(svc.numbers()) == [1, 2]
    assert captured_errors.events == []


def test_recursion_errors_propagate_as_they_are(
    package: Package, captured_errors: MemorySink
) -> None:
    """At the recursion limit the report may fail; the user's RecursionError goes on."""
    package.write("svc.py", "def down(n):\n    return down(n + 1)\n")
    instrument_modules(package.name)
    with pytest.raises(RecursionError):
        package.load("svc").down(0)
    assert len(captured_errors.events) <= 1


def test_the_rewritten_code_is_cached_beside_the_pyc(package: Package, tmp_path: Path) -> None:
    """A second process reads the cache; an edited source is compiled again."""
    package.write("svc.py", "def f():\n    return 1\n")
    script = (
        "import sys, autocapture\n"
        f"autocapture.instrument_modules({package.name!r})\n"
        f"from {package.name} import svc\n"
        "print(svc.f(), svc.f.__code__.co_names)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

    def run() -> str:
        return subprocess.run(
            [sys.executable, "-c", script],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    assert "__autocapture__" in run()
    cache = tmp_path / package.name / "__pycache__"
    [ours] = cache.glob("svc.*autocapture*.pyc")
    stamp = ours.stat().st_mtime_ns
    assert "__autocapture__" in run()
    assert ours.stat().st_mtime_ns == stamp  # read, not written again
    package.write("svc.py", "def f():\n    return 22\n")
    os.utime(tmp_path / package.name / "svc.py", (1, 1))  # a different mtime, surely
    assert run().startswith("22 ")


def test_without_bytecode_writing_it_still_works(
    package: Package, captured_errors: MemorySink, monkeypatch: pytest.MonkeyPatch
) -> None:
    """sys.dont_write_bytecode (PYTHONDONTWRITEBYTECODE): compiled each time, no file."""
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    package.write("svc.py", "def f():\n    raise RuntimeError('x')\n")
    instrument_modules(package.name)
    with pytest.raises(RuntimeError):
        package.load("svc").f()
    assert len(captured_errors.events) == 1
    assert not list((package.root / package.name).glob("__pycache__/svc.*autocapture*"))


def test_a_syntax_error_is_the_users_own(package: Package) -> None:
    """A module that does not compile fails to import exactly as without us."""
    package.write("broken.py", "def f(:\n    pass\n")
    instrument_modules(package.name)
    with pytest.raises(SyntaxError) as info:
        package.load("broken")
    assert info.value.filename.endswith("broken.py")


def test_other_loaders_are_wrapped_instead(tmp_path: Path, captured_errors: MemorySink) -> None:
    """A module from a zip archive (zipimport's loader) is wrapped after it runs."""
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("aczip/__init__.py", "")
        bundle.writestr("aczip/svc.py", "def f(x):\n    raise RuntimeError(x)\n")
    sys.path.insert(0, str(archive))
    handle = instrument_modules("aczip")
    try:
        svc = importlib.import_module("aczip.svc")
        assert svc.f.__wrapped__.__code__.co_names == ("RuntimeError",)
        with pytest.raises(RuntimeError):
            svc.f("zipped")
        [event] = captured_errors.events
        assert event.arguments == {"x": "zipped"}
    finally:
        handle.remove()
        sys.path.remove(str(archive))
        for name in ("aczip", "aczip.svc"):
            sys.modules.pop(name, None)


def test_the_source_on_disk_is_untouched(package: Package) -> None:
    """Tracebacks and inspect read the file as written; line numbers are the source's."""
    source = "import os\n\n\ndef f(path):\n    x = 1\n    return open(path)\n"
    package.write("svc.py", source)
    instrument_modules(package.name)
    svc = package.load("svc")
    with pytest.raises(FileNotFoundError) as info:
        svc.f("/no/such/file")
    assert info.traceback[-1].lineno + 1 == 6  # pytest counts lines from 0
    assert (package.root / package.name / "svc.py").read_text() == source


def test_sentry_sees_the_users_variables_only(
    package: Package, sentry_transport: RecordingTransport
) -> None:
    """The originals kept for reporting are not frame variables; the secret stays secret."""
    package.write(
        "client.py",
        """
        def call(provider, api_key, retries=1):
            retries = retries + 1
            api_key = api_key.strip()
            raise ConnectionError(f"{provider} refused the call")
        """,
    )
    configure(sink=SentrySink())
    instrument_modules(package.name)
    secret = "sk-live-" + "q7" * 16
    with pytest.raises(ConnectionError):
        package.load("client").call("openrouter", f" {secret} ")
    sentry_sdk.flush()
    [event] = sentry_transport.events
    frame = event["exception"]["values"][0]["stacktrace"]["frames"][-1]
    assert frame["function"] == "call"
    assert set(frame["vars"]) == {"provider", "api_key", "retries"}
    assert frame["vars"]["retries"] == 2  # the variable as it is at the failure
    assert event["extra"]["arguments"]["retries"] == 1  # the argument as it was passed
    assert secret not in json.dumps(event)


@pytest.mark.parametrize(
    "rebinding",
    [
        "value = 1",
        "value += '!'",
        "value: int = 1",
        "for value in range(2): pass",
        "with open(__file__) as value: pass",
        "try:\n        raise KeyError\n    except KeyError as value:\n        pass",
        "import os as value",
        "from os import sep as value",
        "def value(): pass",
        "class value: pass",
        "del value",
        "[(value := i) for i in range(2)]",
        "def inner():\n        nonlocal value\n        value = 2\n    inner()",
        "match 5:\n        case int() as value:\n            pass",
        "match [1, 2]:\n        case [*value]:\n            pass",
        "match {'a': 1}:\n        case {**value}:\n            pass",
    ],
)
def test_every_way_of_rebinding_a_parameter_keeps_the_argument(
    package: Package, captured_errors: MemorySink, rebinding: str
) -> None:
    """Whatever rebinds the parameter, the event shows the value that was passed."""
    package.write("svc.py", f"def f(value):\n    {rebinding}\n    raise RuntimeError('x')\n")
    instrument_modules(package.name)
    with pytest.raises(RuntimeError):
        package.load("svc").f("passed")
    [event] = captured_errors.events
    assert event.arguments == {"value": "passed"}


@pytest.mark.parametrize("owner", ["Client", "_Client", "__Client"])
def test_a_private_parameter_of_a_method_rebound_keeps_the_argument(
    package: Package, captured_errors: MemorySink, owner: str
) -> None:
    """``__label`` in a class body is name-mangled: the value passed is still the event's,
    as the decorator shows it (under the mangled name Python's signature gives)."""
    package.write(
        "svc.py",
        f"""
        class {owner}:
            def call(self, __label, model):
                __label = "changed-" + __label
                raise RuntimeError(model)
        """,
    )
    instrument_modules(package.name)
    with pytest.raises(RuntimeError):
        getattr(package.load("svc"), owner)().call("passed", "m")
    [event] = captured_errors.events
    assert event.arguments == {f"_{owner.lstrip('_')}__label": "passed", "model": "m"}


def test_a_function_only_a_registry_holds_is_found(
    package: Package, captured_errors: MemorySink
) -> None:
    """Not reachable from the module's names: the plan is still that function's own."""
    package.write(
        "svc.py",
        """
        HANDLERS = []

        class Jobs:
            def run(self, job_id):
                raise RuntimeError(job_id)

        HANDLERS.append(Jobs.run)
        del Jobs
        """,
    )
    instrument_modules(package.name)
    svc = package.load("svc")
    with pytest.raises(RuntimeError):
        svc.HANDLERS[0](None, "j-1")
    [event] = captured_errors.events
    assert event.function == f"{package.name}.svc.Jobs.run"
    assert event.arguments == {"job_id": "j-1"}


def test_in_place_only_code_the_source_still_compiles_to(
    package: Package, captured_errors: MemorySink
) -> None:
    """A source edited since the import: a changed function is wrapped, never given a body
    that did not run; an unchanged one gets its rewritten code."""
    package.write(
        "svc.py",
        """
        def same(x):
            raise RuntimeError("same")

        def edited(x):
            raise RuntimeError("old body")
        """,
    )
    svc = package.load("svc")
    package.write(
        "svc.py",
        """
        def same(x):
            raise RuntimeError("same")

        def edited(x):
            raise RuntimeError("NEW body")
        """,
    )
    os.utime(package.root / package.name / "svc.py", (2, 2))
    importlib.invalidate_caches()
    instrument_modules(package.name)
    assert not hasattr(svc.same, "__wrapped__")  # rewritten in place
    assert svc.edited.__wrapped__.__code__.co_consts[-1] != "NEW body"
    with pytest.raises(RuntimeError, match="old body"):
        svc.edited(1)
    with pytest.raises(RuntimeError, match="same"):
        svc.same(2)
    assert [e.function.rsplit(".", 1)[-1] for e in captured_errors.events] == ["edited", "same"]


def test_a_function_reading_its_callers_frame_still_works(package: Package) -> None:
    """No wrapper frame between caller and function (anyio's lazy importer does this)."""
    package.write(
        "lazy.py",
        """
        import sys

        def caller_module():
            return sys._getframe(1).f_globals["__name__"]
        """,
    )
    package.write(
        "user.py",
        f"""
        from {package.name}.lazy import caller_module

        def who():
            return caller_module()
        """,
    )
    before = package.load("lazy")
    instrument_modules(package.name)
    assert before.caller_module() == __name__  # imported before: rewritten in place
    assert package.load("user").who() == f"{package.name}.user"  # imported after


def test_a_modules_getattr_is_protocol_not_an_error(
    package: Package, captured_errors: MemorySink
) -> None:
    """`hasattr(module, x)` asks the module's __getattr__: its AttributeError is the answer."""
    source = """
        def __getattr__(name):
            raise AttributeError(name)

        def __dir__():
            return ["f"]
        """
    package.write("lazy.py", source)
    package.write("early.py", source)
    early = package.load("early")
    instrument_modules(package.name)
    lazy = package.load("lazy")
    assert not hasattr(lazy, "missing")
    assert not hasattr(early, "missing")
    assert captured_errors.events == []
    assert not is_decorated(lazy.__getattr__)
    assert not is_decorated(early.__getattr__)
