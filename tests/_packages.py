"""Throw-away packages on disk, for the tests of instrument_modules."""

from __future__ import annotations

import importlib
import itertools
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

numbers = itertools.count()


class Package:
    """A throw-away package on disk, importable under a unique name."""

    def __init__(self, root: Path) -> None:
        self.name = f"acpkg{next(numbers)}"
        self.root = root
        (root / self.name).mkdir()
        self.write("__init__.py", "")

    def write(self, relative: str, source: str) -> None:
        path = self.root / self.name / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))

    def load(self, relative: str = "") -> Any:
        return importlib.import_module(f"{self.name}.{relative}" if relative else self.name)


def package_on_path(tmp_path: Path) -> Iterator[Package]:
    """A fresh package on sys.path; its modules and every hook are gone afterwards."""
    sys.path.insert(0, str(tmp_path))
    importlib.invalidate_caches()
    made = Package(tmp_path)
    yield made
    sys.path.remove(str(tmp_path))
    for name in [n for n in sys.modules if n == made.name or n.startswith(f"{made.name}.")]:
        del sys.modules[name]
    from autocapture import _modules

    for handle in list(_modules._active):
        handle.remove()
