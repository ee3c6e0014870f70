"""The names a function compiled by ``_rewrite`` uses of its own (a leaf: imports nothing).

Shared by the rewrite, the reporter it calls, ``is_decorated`` (a rewritten function
captures its errors) and the exits that show frame variables (the originals kept for
reporting are ours, not the user's variables).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["REPORTER", "original_name", "user_variables"]

REPORTER = "__autocapture__"
"""The module global a rewritten function calls when it fails (a dunder: never mangled)."""
_KEPT = ("__autocapture_", "__")


def original_name(parameter: str) -> str:
    """The local that keeps the value ``parameter`` was passed, when the body rebinds it."""
    return f"{_KEPT[0]}{parameter}{_KEPT[1]}"


def user_variables(local_vars: Mapping[str, Any]) -> Mapping[str, Any]:
    """A frame's variables without the originals ``original_name`` kept (ours, not theirs)."""
    if not any(name.startswith(_KEPT[0]) for name in local_vars):
        return local_vars  # nearly always: no copy
    return {
        name: value
        for name, value in local_vars.items()
        if not (name.startswith(_KEPT[0]) and name.endswith(_KEPT[1]))
    }
