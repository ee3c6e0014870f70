"""README.md's promises: its interactive examples run as shown, its commands exist."""

from __future__ import annotations

import doctest
import re
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
