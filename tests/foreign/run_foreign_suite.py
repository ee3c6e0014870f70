"""Run a released library's own test suite plainly and under ``instrument_modules``.

The proof that the wrapper is invisible (issue 11): with every function of the library
wrapped, its own tests must give the same outcome, test by test, as without. CI runs:

    python tests/foreign/run_foreign_suite.py

which downloads the library's sdist from PyPI (its tests ship in it), runs its suite the
way the library does (``python -m unittest``) twice, at the same time, in fresh
interpreters: plainly, and with ``instrument_modules(<package>)`` called before the tests
are loaded. It fails when an outcome differs, or when nothing was instrumented.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
import unittest
from pathlib import Path
from typing import Any

# A pure-Python library whose own suite runs in seconds, with releases for Python 3.9+.
REQUIREMENT = "more-itertools==10.5.0"
PACKAGE = "more_itertools"
CACHE = Path(__file__).resolve().parents[2] / ".cache" / "foreign"


def download() -> Path:
    """Return the unpacked sdist, downloading it once into .cache/foreign."""
    CACHE.mkdir(parents=True, exist_ok=True)
    archives = sorted(CACHE.glob("*.tar.gz"))
    if not archives:
        subprocess.run(
            [
                *(sys.executable, "-m", "pip", "download", "--disable-pip-version-check"),
                *("-q", "--no-binary", ":all:", "--no-deps", "-d", str(CACHE), REQUIREMENT),
            ],
            check=True,
        )
        archives = sorted(CACHE.glob("*.tar.gz"))
    root = CACHE / archives[0].name.removesuffix(".tar.gz")
    if not root.is_dir():
        with tarfile.open(archives[0]) as archive:
            archive.extractall(CACHE, filter="data")
    return root


class _Recorder(unittest.TextTestResult):
    """Keeps every test's outcome by id."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.outcomes: dict[str, str] = {}

    def addSuccess(self, test: unittest.TestCase) -> None:
        super().addSuccess(test)
        self.outcomes.setdefault(test.id(), "passed")

    def addFailure(self, test: unittest.TestCase, err: Any) -> None:
        super().addFailure(test, err)
        self.outcomes[test.id()] = "failed"

    def addError(self, test: unittest.TestCase, err: Any) -> None:
        super().addError(test, err)
        self.outcomes[test.id()] = "error"

    def addSkip(self, test: unittest.TestCase, reason: str) -> None:
        super().addSkip(test, reason)
        self.outcomes[test.id()] = "skipped"

    def addExpectedFailure(self, test: unittest.TestCase, err: Any) -> None:
        super().addExpectedFailure(test, err)
        self.outcomes[test.id()] = "expected failure"

    def addUnexpectedSuccess(self, test: unittest.TestCase) -> None:
        super().addUnexpectedSuccess(test)
        self.outcomes[test.id()] = "unexpected success"

    def addSubTest(self, test: Any, subtest: Any, err: Any) -> None:
        super().addSubTest(test, subtest, err)
        if err is not None:
            self.outcomes[test.id()] = "failed"


def child(mode: str, report: Path) -> int:
    """Run the suite in this interpreter (cwd: the sdist) and write the outcomes."""
    sys.path.insert(0, str(Path.cwd()))
    instrumented: dict[str, Any] = {}
    if mode == "instrumented":
        import autocapture
        from autocapture.sinks import MemorySink

        class CountingSink(MemorySink):
            """Counts events without keeping them (the suite raises on purpose a lot)."""

            count = 0

            def emit(self, event: Any) -> None:
                CountingSink.count += 1

        autocapture.configure(sink=CountingSink())
        handle = autocapture.instrument_modules(PACKAGE)
    suite = unittest.defaultTestLoader.discover("tests", top_level_dir=".")
    stream = open(os.devnull, "w")  # noqa: PTH123, SIM115 - closed at exit
    result = unittest.TextTestRunner(stream=stream, resultclass=_Recorder).run(suite)
    if mode == "instrumented":
        instrumented = {
            "modules": handle.modules,
            "functions": handle.functions,
            "events": CountingSink.count,
        }
    outcomes = result.outcomes  # type: ignore[attr-defined]
    report.write_text(json.dumps({"outcomes": outcomes, "instrumented": instrumented}))
    return 0


def main() -> int:
    """Run both suites side by side and compare them test by test."""
    root = download()
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        reports = {mode: Path(tmp) / f"{mode}.json" for mode in ("plain", "instrumented")}
        runs = {
            mode: subprocess.Popen(
                [sys.executable, __file__, "--child", mode, str(path)], cwd=root
            )
            for mode, path in reports.items()
        }
        codes = {mode: run.wait() for mode, run in runs.items()}
        if any(codes.values()):
            print(f"foreign suite: a run crashed: {codes}")
            return 1
        plain, instrumented = (json.loads(reports[m].read_text()) for m in reports)
    elapsed = time.perf_counter() - began
    differ = {
        test: (outcome, instrumented["outcomes"].get(test, "missing"))
        for test, outcome in plain["outcomes"].items()
        if instrumented["outcomes"].get(test) != outcome
    }
    info = instrumented["instrumented"]
    counts: dict[str, int] = {}
    for outcome in plain["outcomes"].values():
        counts[outcome] = counts.get(outcome, 0) + 1
    print(
        f"foreign suite {REQUIREMENT}: {len(plain['outcomes'])} tests "
        f"({', '.join(f'{n} {o}' for o, n in sorted(counts.items()))}) in {elapsed:.1f} s; "
        f"instrumented {info['functions']} functions in {len(info['modules'])} modules, "
        f"{info['events']} errors captured"
    )
    for test, (before, after) in sorted(differ.items()):
        print(f"  DIFFERENT {test}: plain {before}, instrumented {after}")
    if differ or len(instrumented["outcomes"]) != len(plain["outcomes"]):
        return 1
    if info["functions"] < 100 or f"{PACKAGE}.more" not in info["modules"]:
        print("foreign suite: the package was not instrumented")
        return 1
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        raise SystemExit(child(sys.argv[2], Path(sys.argv[3])))
    raise SystemExit(main())
