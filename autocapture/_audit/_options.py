"""What the audit is told: layers, excludes, capture helper names and assumption overrides."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

DEFAULT_LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "routes",
        ("routes", "route", "api", "apis", "endpoints", "endpoint", "views", "view",
         "routers", "router", "controllers", "controller"),
    ),
    ("services", ("services", "service")),
    (
        "db",
        ("db", "database", "databases", "repositories", "repository", "repos", "repo",
         "dao", "crud", "models", "model"),
    ),
    (
        "tasks",
        ("tasks", "task", "workers", "worker", "jobs", "job", "background", "scheduled",
         "scheduler", "cron"),
    ),
)  # fmt: skip
"""Layer names and the folder names that put a file in them; everything else is ``other``."""

OTHER_LAYER = "other"
"""The layer of files that no folder name places."""

DEFAULT_EXCLUDED_DIRS: frozenset[str] = frozenset(
    {
        "tests",
        "test",
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        "build",
        "dist",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "__pycache__",
        "site-packages",
        ".eggs",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
    }
)
"""Folder names never descended into (besides any folder holding a ``pyvenv.cfg``)."""

DEFAULT_CAPTURE_HELPERS: tuple[str, ...] = ("capture_error", "capture_*_error")
"""Function names (globs) of capture helpers: autocapture's and the ``sentry_context`` style."""

DEFAULT_DECORATORS: tuple[str, ...] = ("auto_capture_errors",)
"""Decorator names that capture every error escaping the decorated function."""

_LAYER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")


@dataclass(frozen=True)
class AuditOptions:
    """How to audit: every field has a default that reproduces ``autocapture audit PATH``."""

    layers: tuple[tuple[str, tuple[str, ...]], ...] = DEFAULT_LAYERS
    """Layer names in report order, each with the folder names (lower case) that select it."""
    excludes: tuple[str, ...] = ()
    """Extra globs; a file is skipped when its relative path, a parent or its name matches."""
    default_excludes: bool = True
    """Skip tests, virtual environments, VCS, ``node_modules`` and build folders."""
    capture_helpers: tuple[str, ...] = DEFAULT_CAPTURE_HELPERS
    """Function names (globs) whose call counts as an explicit capture."""
    decorators: tuple[str, ...] = DEFAULT_DECORATORS
    """Decorator names that capture errors escaping the function."""
    assume_logging_captured: Optional[bool] = None
    """Force whether logged-with-traceback errors reach the tracker; ``None`` detects it."""
    assume_http_5xx_captured: Optional[bool] = None
    """Force whether 5xx ``HTTPException``s reach the tracker; ``None`` detects it."""
    include_migrations: bool = False
    """Also audit database migration scripts (alembic revisions, Django migrations)."""
    folder_layers: dict[str, str] = field(init=False, repr=False, compare=False)
    """Folder name (lower case) -> layer, derived from ``layers``."""

    def __post_init__(self) -> None:
        """Derive the folder lookup table; the later layer wins a folder name claimed twice."""
        lookup: dict[str, str] = {}
        for name, folders in self.layers:
            for folder in folders:
                lookup[folder.lower()] = name
        object.__setattr__(self, "folder_layers", lookup)

    @property
    def layer_names(self) -> tuple[str, ...]:
        """Every layer name in report order, ``other`` last.

        Returns:
            The configured names followed by ``other``.
        """
        return (*(name for name, _ in self.layers), OTHER_LAYER)


def override_layers(
    overrides: Mapping[str, Iterable[str]],
    base: tuple[tuple[str, tuple[str, ...]], ...] = DEFAULT_LAYERS,
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Replace the folder names of known layers, and add new layers before ``other``.

    Args:
        overrides: Layer name -> folder names; a known layer's names are replaced.
        base: The layers to start from.

    Returns:
        The new layer table.

    Raises:
        ValueError: On an invalid layer name, ``other``, or an empty folder list.
    """
    table = dict(base)
    for name, folders in overrides.items():
        if not _LAYER_NAME.match(name):
            raise ValueError(f"invalid layer name {name!r}")
        if name == OTHER_LAYER:
            raise ValueError("the 'other' layer takes every file no folder name places")
        cleaned = tuple(f.strip().lower() for f in folders if f.strip())
        if not cleaned:
            raise ValueError(f"layer {name!r} needs at least one folder name")
        table[name] = cleaned
    # The folder of a layer that is overridden must not keep pointing at its old layer.
    claimed = {folder for name in overrides for folder in table[name]}
    return tuple(
        (
            name,
            folders
            if name in overrides
            else tuple(folder for folder in folders if folder not in claimed),
        )
        for name, folders in table.items()
    )
