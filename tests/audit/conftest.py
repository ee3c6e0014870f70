"""Fixtures for the audit tests: the labelled fixture code base and a CLI runner."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest

from autocapture._audit.cli import main

FIXTURE_APP = Path(__file__).parent / "fixture_app"
_EXPECT = re.compile(r"^\s*except\b.*#\s*expect:\s*(\w+)")


@dataclass(frozen=True)
class CliResult:
    """What one in-process run of ``autocapture audit`` returned and printed."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        """Parse standard output as JSON."""
        return json.loads(self.out)


@pytest.fixture
def fixture_app() -> Path:
    """The labelled fixture code base."""
    return FIXTURE_APP


@pytest.fixture
def run_audit_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run ``autocapture audit`` in-process and capture what it printed."""

    def run(*args: str | Path) -> CliResult:
        capsys.readouterr()
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


def expected_labels(root: Path) -> set[tuple[str, int, str]]:
    """Read the ``# expect: CLASS`` labels of every audited file under ``root``."""
    labels = set()
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel.split("/")[0] in {"tests", "node_modules"}:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = _EXPECT.match(line)
            if match:
                labels.add((rel, number, match.group(1)))
    return labels


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write a small code base: relative path -> source text (UTF-8) or raw bytes."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root
