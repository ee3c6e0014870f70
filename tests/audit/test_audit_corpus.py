"""Accuracy of the audit on a labelled corpus shaped like real code bases' patterns."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from autocapture.audit import HANDLER_CLASSES, audit

CORPUS = Path(__file__).parent / "corpus"
_LABEL = re.compile(r"#\s*label:\s*(\w+)/(\w+)")


def _labels() -> dict[tuple[str, int], tuple[str, str]]:
    labels = {}
    for path in sorted(CORPUS.rglob("*.py")):
        rel = path.relative_to(CORPUS).as_posix()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = _LABEL.search(line)
            if match:
                labels[rel, number] = (match.group(1), match.group(2))
    return labels


def accuracy_table() -> dict[str, tuple[int, int]]:
    """Per expected class (and per reaches_as, per background verdict): (right, total)."""
    report = audit(str(CORPUS))
    handlers = {(h.path, h.line): h for h in report.handlers}
    starts = {(b.path, b.line): b for b in report.background}
    table: Counter[str] = Counter()
    right: Counter[str] = Counter()
    for where, (klass, second) in _labels().items():
        if klass == "start":
            key = f"start/{second}"
            table[key] += 1
            start = starts.get(where)
            right[key] += start is not None and start.captured == (second == "captured")
            continue
        handler = handlers.get(where)
        table[klass] += 1
        right[klass] += handler is not None and handler.handler_class == klass
        key = f"reaches_as={second}"
        table[key] += 1
        want = None if second == "none" else second
        right[key] += handler is not None and handler.reaches_as == want
    return {k: (right[k], table[k]) for k in sorted(table)}


def test_corpus_covers_every_class():
    """Every handler class, every reaches_as and both start verdicts are labelled."""
    table = accuracy_table()
    assert set(HANDLER_CLASSES) <= set(table)
    assert {"reaches_as=exception", "reaches_as=message", "reaches_as=none"} <= set(table)
    assert {"start/captured", "start/uncaptured"} <= set(table)


def test_accuracy_per_class():
    """The audit agrees with every label (the table is printed with -s)."""
    table = accuracy_table()
    for key, (right, total) in table.items():
        print(f"{key:<22} {right:>3}/{total:<3} {100.0 * right / total:5.1f}%")
    assert {k: r / t for k, (r, t) in table.items()} == dict.fromkeys(table, 1.0)


def test_migrations_of_the_corpus_are_left_out():
    assert audit(str(CORPUS)).migrations == ("alembic/versions/0001_init.py",)
