"""instrument_modules: every function of a package captured, with no edit to its code."""

from __future__ import annotations

import importlib
import importlib.machinery
import inspect
import subprocess
import sys
import traceback
from pathlib import Path
from typing import Any, Callable

import pytest

import autocapture
from autocapture import auto_capture_errors, instrument_modules
from autocapture._decorator import is_decorated
from autocapture.sinks import MemorySink
from tests._packages import Package, numbers

SERVICE = """
    from json import dumps
    from {name}.helpers import helper

    def charge(amount):
        raise RuntimeError(f"declined {{amount}}")

    async def acharge(amount):
        raise RuntimeError("declined")

    alias = charge

    class Billing:
        def refund(self, amount):
            raise RuntimeError("refund")

        class Nested:
            def deep(self):
                raise RuntimeError("deep")
"""
HELPERS = """
    def helper():
        raise RuntimeError("helper")
"""


def _service(package: Package) -> None:
    package.write("helpers.py", HELPERS)
    package.write("billing/__init__.py", "")
    package.write("billing/service.py", SERVICE.format(name=package.name))


def test_modules_imported_afterwards_are_captured(
    package: Package, captured_errors: MemorySink
) -> None:
    """Functions and methods defined in a matching module are captured; imports are not."""
    _service(package)
    handle = instrument_modules(f"{package.name}.billing", tags={"team": "billing"})
    service = package.load("billing.service")
    with pytest.raises(RuntimeError, match="declined 5"):
        service.charge(5)
    with pytest.raises(RuntimeError):
        service.Billing().refund(1)
    with pytest.raises(RuntimeError):
        service.Billing.Nested().deep()
    assert service.alias is service.charge
    assert inspect.iscoroutinefunction(service.acharge)
    assert not is_decorated(service.dumps)
    assert not is_decorated(service.helper)  # defined in helpers, outside the prefix
    names = [e.function for e in captured_errors.events]
    assert names == [
        f"{package.name}.billing.service.charge",
        f"{package.name}.billing.service.Billing.refund",
        f"{package.name}.billing.service.Billing.Nested.deep",
    ]
    assert captured_errors.events[0].arguments == {"amount": 5}
    assert {e.tags["team"] for e in captured_errors.events} == {"billing"}
    assert handle.modules == [f"{package.name}.billing", f"{package.name}.billing.service"]
    assert handle.functions == 4  # charge, acharge, refund, deep (alias is charge)
    # The real loader is back: source, resources and reload see it.
    assert isinstance(service.__loader__, importlib.machinery.SourceFileLoader)
    assert service.__spec__.loader is service.__loader__
    assert "declined" in inspect.getsource(service.charge)


def test_modules_imported_before_are_instrumented_in_place(
    package: Package, captured_errors: MemorySink
) -> None:
    """Already imported modules: their functions get the rewritten code, in place, so an
    earlier `from x import f` is the same function and reports its errors too."""
    _service(package)
    service = package.load("billing.service")
    early = service.charge  # like `from service import charge` done before the call
    handle = instrument_modules(package.name)
    assert service.charge is early
    assert is_decorated(early)
    assert not hasattr(early, "__wrapped__")
    assert is_decorated(service.Billing.refund)
    assert is_decorated(service.Billing.Nested.deep)
    assert not is_decorated(service.dumps)
    with pytest.raises(RuntimeError):
        early(1)
    with pytest.raises(RuntimeError):
        service.Billing().refund(2)
    assert [e.arguments for e in captured_errors.events] == [{"amount": 1}, {"amount": 2}]
    assert handle.functions == 5  # charge, acharge, refund, deep; helper in helpers


def test_exclude_and_already_decorated_functions(
    package: Package, captured_errors: MemorySink
) -> None:
    """Excluded modules are left alone; decorated functions keep their own options."""
    package.write(
        "jobs.py",
        """
        from autocapture import auto_capture_errors

        @auto_capture_errors(tags={"own": "yes"})
        def run():
            raise RuntimeError("own")
        """,
    )
    package.write("migrations/__init__.py", "def migrate():\n    raise RuntimeError('m')\n")
    instrument_modules(package.name, exclude=[f"{package.name}.migrations"], tags={"own": "no"})
    assert not is_decorated(package.load("migrations").migrate)
    jobs = package.load("jobs")
    assert not is_decorated(jobs.run.__wrapped__)  # not wrapped twice
    with pytest.raises(RuntimeError):
        jobs.run()
    [event] = captured_errors.events
    assert event.tags["own"] == "yes"


def test_idempotent_and_remove(package: Package) -> None:
    """The same call returns the same handle; remove() stops it for later imports."""
    package.write("a.py", "def f():\n    return 1\n")
    package.write("b.py", "def g():\n    return 2\n")
    first = instrument_modules(package.name)
    assert instrument_modules(package.name) is first
    assert is_decorated(package.load("a").f)
    first.remove()
    first.remove()
    assert not first.active
    assert not is_decorated(package.load("b").g)
    assert is_decorated(package.load("a").f)  # wrapped functions stay wrapped
    from autocapture import _modules

    assert _modules._FINDER not in sys.meta_path
    assert "removed" in repr(first)


def test_circular_imports(package: Package, captured_errors: MemorySink) -> None:
    """A circular import works; the module attribute is wrapped, the early binding is not."""
    package.write(
        "first.py",
        f"""
        from {package.name} import second

        def work():
            raise RuntimeError("first")
        """,
    )
    package.write(
        "second.py",
        f"""
        from {package.name} import first

        def call_through_module():
            return first.work()
        """,
    )
    instrument_modules(package.name)
    second = package.load("second")
    with pytest.raises(RuntimeError):
        second.call_through_module()
    assert [e.function.rsplit(".", 1)[-1] for e in captured_errors.events] == ["work"]


def test_namespace_packages(tmp_path: Path, captured_errors: MemorySink) -> None:
    """A namespace package (no __init__.py) has no code; its modules are instrumented."""
    name = f"acns{next(numbers)}"
    (tmp_path / name).mkdir()
    (tmp_path / name / "mod.py").write_text("def fail():\n    raise RuntimeError('ns')\n")
    sys.path.insert(0, str(tmp_path))
    handle = instrument_modules(name)
    try:
        module = importlib.import_module(f"{name}.mod")
        with pytest.raises(RuntimeError):
            module.fail()
        assert len(captured_errors.events) == 1
    finally:
        handle.remove()
        sys.path.remove(str(tmp_path))
        for each in (name, f"{name}.mod"):
            sys.modules.pop(each, None)


def test_reload_instruments_the_new_functions(package: Package) -> None:
    """importlib.reload runs the module again; its new functions are wrapped again."""
    package.write("a.py", "def f():\n    return 1\n")
    instrument_modules(package.name)
    module = package.load("a")
    before = module.f
    package.write("a.py", "def f():\n    return 2\n\n\ndef g():\n    return 3\n")
    importlib.invalidate_caches()
    reloaded = importlib.reload(module)
    assert reloaded.f is not before
    assert is_decorated(reloaded.f)
    assert is_decorated(reloaded.g)
    assert reloaded.g() == 3


def test_c_extensions_are_skipped() -> None:
    """A C extension module imports as usual and keeps its builtins."""
    candidates = ("_bz2", "_lzma", "mmap", "_curses", "_dbm", "audioop", "_json")
    name = next(n for n in candidates if n not in sys.modules and importlib.util.find_spec(n))
    handle = instrument_modules(name)
    try:
        module = importlib.import_module(name)
        assert isinstance(module.__spec__.loader, importlib.machinery.ExtensionFileLoader)
        assert handle.modules == []
    finally:
        handle.remove()


def test_main_module_run_with_dash_m(package: Package, tmp_path: Path) -> None:
    """python -m pkg.cli: what the script defined before the call is wrapped, by its spec name."""
    package.write("service.py", "def work():\n    raise RuntimeError('work')\n")
    package.write(
        "cli.py",
        f"""
        import autocapture
        from autocapture._decorator import is_decorated

        def early():
            pass

        autocapture.instrument_modules("{package.name}")

        def late():
            pass

        from {package.name} import service

        print(is_decorated(early), is_decorated(late), is_decorated(service.work))
        """,
    )
    out = subprocess.run(
        [sys.executable, "-m", f"{package.name}.cli"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.split() == ["True", "False", "True"]


def test_a_traceback_shows_the_modules_frames_only(package: Package) -> None:
    """What a user sees: a module imported afterwards has no frame of ours at all."""
    package.write("a.py", "def f():\n    raise RuntimeError('x')\n")
    instrument_modules(package.name)
    module = package.load("a")
    with pytest.raises(RuntimeError) as info:
        module.f()
    files = [frame.filename for frame in traceback.extract_tb(info.value.__traceback__)]
    assert files[-1] == module.__file__
    assert not any(name.startswith("<autocapture") for name in files)
    assert "autocapture" not in "".join(files[-1:])


def test_a_module_imported_before_shows_its_frames_only(package: Package) -> None:
    """Given its rewritten code in place: no frame of ours either."""
    package.write("a.py", "def f():\n    raise RuntimeError('x')\n")
    module = package.load("a")
    instrument_modules(package.name)
    with pytest.raises(RuntimeError) as info:
        module.f()
    files = [frame.filename for frame in traceback.extract_tb(info.value.__traceback__)]
    assert files[-1] == module.__file__
    assert not any(name.startswith("<autocapture") for name in files)


def test_what_the_source_does_not_define_is_wrapped(
    package: Package, captured_errors: MemorySink
) -> None:
    """A closure a factory made, bound at module level: wrapped, one frame of ours above."""
    package.write(
        "a.py",
        """
        def make(name):
            def handler(payload):
                raise RuntimeError(name)
            return handler

        webhook = make("webhook")
        """,
    )
    module = package.load("a")
    instrument_modules(package.name)
    with pytest.raises(RuntimeError) as info:
        module.webhook({"id": 1})
    files = [frame.filename for frame in traceback.extract_tb(info.value.__traceback__)]
    assert files[-2:] == ["<autocapture plain wrapper>", module.__file__]
    [event] = captured_errors.events
    assert event.arguments == {"payload": {"id": 1}}


def test_disabled_configuration_instruments_nothing(package: Package) -> None:
    """configure(enabled=False): modules are imported untouched."""
    package.write("a.py", "def f():\n    return 1\n")
    autocapture.configure(enabled=False)
    instrument_modules(package.name)
    assert not is_decorated(package.load("a").f)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (instrument_modules, ValueError, "at least one"),
        (lambda: instrument_modules(3), TypeError, "module names"),
        (lambda: instrument_modules("app..x"), ValueError, "not a module name"),
        (lambda: instrument_modules("autocapture"), ValueError, "autocapture itself"),
        (lambda: instrument_modules("app", exclude="app.db"), TypeError, "iterable"),
        (lambda: instrument_modules("app", reraise=False), TypeError, "unknown option"),
        (lambda: instrument_modules("app", level="loud"), ValueError, "level"),
        (lambda: instrument_modules("app", tags=["x"]), TypeError, "tags"),
    ],
)
def test_options_are_validated_at_the_boundary(
    call: Callable[[], Any], error: type[Exception], match: str
) -> None:
    """Bad prefixes and options give a clear TypeError or ValueError."""
    with pytest.raises(error, match=match):
        call()


def test_decorated_helper_functions_are_untouched() -> None:
    """Sanity: a decorated function is recognised as ours, a plain one is not."""

    @auto_capture_errors
    def f() -> None:
        pass

    assert is_decorated(f)
    assert not is_decorated(f.__wrapped__)  # type: ignore[attr-defined]
