"""README.md's promises: its interactive examples run as shown, its commands exist."""

from __future__ import annotations

import doctest
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_interactive_examples_print_what_they_show() -> None:
    """Every ``>>>`` example in README.md gives the output written under it."""
    text = README.read_text(encoding="utf-8")
    parser = doctest.DocTestParser()
    test = parser.get_doctest(text, {}, "README.md", str(README), 0)
    assert test.examples, "README.md lost its interactive examples"
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


def test_readme_has_the_two_front_door_commands() -> None:
    """The demo command and a marked test command are in README.md."""
    text = README.read_text(encoding="utf-8")
    assert "python -m pip install . && autocapture demo" in text
    marked = re.search(r"<!-- test-command -->\s*```sh\n(.+)\n```\s*<!-- /test-command -->", text)
    assert marked is not None
    assert "pytest" in marked.group(1)


def test_readme_audit_example_is_what_the_audit_prints() -> None:
    """The audit output README.md shows over the demo service is the audit's output."""
    text = README.read_text(encoding="utf-8")
    example = r"```text\n(autocapture audit of autocapture/_demo/service.*?)```"
    shown = re.search(example, text, re.DOTALL)
    assert shown is not None, "README.md lost its audit example"
    result = subprocess.run(
        [sys.executable, "-m", "autocapture", "audit", "autocapture/_demo/service"],
        cwd=README.parent,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert shown.group(1) == result.stdout
