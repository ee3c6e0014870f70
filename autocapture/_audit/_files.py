"""Which files the audit reads, and the layer each belongs to."""

from __future__ import annotations

import os
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from autocapture._audit._options import DEFAULT_EXCLUDED_DIRS, OTHER_LAYER

if TYPE_CHECKING:
    from autocapture._audit._options import AuditOptions


@dataclass(frozen=True)
class SourceFile:
    """A Python file to audit."""

    path: str
    """The path to open."""
    rel: str
    """The path relative to the audited root, with ``/`` separators."""
    layer: str
    """The layer from the folder names (or, failing those, the file name)."""


def _patterns(globs: tuple[str, ...]) -> tuple[str, ...]:
    """Normalise user globs so that ``dir``, ``dir/``, ``**/dir`` and ``dir/**`` all match.

    Args:
        globs: The globs as given.

    Returns:
        The globs plus their normalised variants.
    """
    out: list[str] = []
    for glob in globs:
        pattern = glob.replace("\\", "/")
        while pattern.startswith("./"):
            pattern = pattern[2:]
        pattern = pattern.rstrip("/")
        variants = [pattern]
        if pattern.startswith("**/"):
            variants.append(pattern[3:])
        if pattern.endswith("/**"):
            variants.append(pattern[:-3])
        out.extend(v for v in variants if v)
    return tuple(out)


def _excluded(rel: str, name: str, patterns: tuple[str, ...]) -> bool:
    """Tell whether a relative path or its last component matches a user glob.

    Args:
        rel: The path relative to the root, ``/``-separated.
        name: Its last component.
        patterns: Normalised globs.

    Returns:
        True when the path is excluded.
    """
    return any(fnmatchcase(rel, p) or fnmatchcase(name, p) for p in patterns)


def _is_test_file(name: str) -> bool:
    """Tell whether a file name is a pytest test module or conftest.

    Args:
        name: The file name.

    Returns:
        True for ``test_*.py``, ``*_test.py`` and ``conftest.py``.
    """
    return name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"


def _file_layer(dir_layer: Optional[str], name: str, options: AuditOptions) -> str:
    """Pick the layer of a file from its innermost layer folder, else its own name.

    Args:
        dir_layer: The layer of the innermost folder that names one, if any.
        name: The file name (``views.py`` is a routes module even outside ``views/``).
        options: The audit options.

    Returns:
        The layer name.
    """
    if dir_layer is not None:
        return dir_layer
    return options.folder_layers.get(name[:-3].lower(), OTHER_LAYER)


def _skip_dir(
    entry: os.DirEntry[str], rel: str, options: AuditOptions, patterns: tuple[str, ...]
) -> bool:
    """Tell whether a folder is excluded, by default or by a user glob.

    Args:
        entry: The folder.
        rel: Its path relative to the root.
        options: The audit options.
        patterns: Normalised user globs.

    Returns:
        True when the folder is not descended into.
    """
    name = entry.name
    if options.default_excludes and (
        name in DEFAULT_EXCLUDED_DIRS
        or name.endswith(".egg-info")
        or Path(entry.path, "pyvenv.cfg").exists()
    ):
        return True
    return bool(patterns) and _excluded(rel, name, patterns)


def _skip_file(name: str, rel: str, options: AuditOptions, patterns: tuple[str, ...]) -> bool:
    """Tell whether a file is not audited: not Python, a test module, or excluded.

    Args:
        name: The file name.
        rel: Its path relative to the root.
        options: The audit options.
        patterns: Normalised user globs.

    Returns:
        True when the file is skipped.
    """
    if not name.endswith(".py"):
        return True
    if options.default_excludes and _is_test_file(name):
        return True
    return bool(patterns) and _excluded(rel, name, patterns)


def discover(root: str, options: AuditOptions) -> list[SourceFile]:
    """List the Python files under ``root`` that the audit reads, sorted by relative path.

    Args:
        root: A directory, or a single Python file.
        options: The audit options (excludes and layers).

    Returns:
        The files to audit.
    """
    patterns = _patterns(options.excludes)
    if Path(root).is_file():
        name = Path(root).name
        return [SourceFile(root, name, _file_layer(None, name, options))]
    found: list[SourceFile] = []
    # Iterative walk: (directory path, relative prefix, layer of the innermost layer folder).
    stack: list[tuple[str, str, Optional[str]]] = [(root, "", None)]
    while stack:
        directory, prefix, dir_layer = stack.pop()
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue  # an unreadable folder has nothing the audit can read
        subdirs: list[tuple[str, str, Optional[str]]] = []
        for entry in entries:
            rel = prefix + entry.name
            try:
                # Linked folders are not followed: a link to a parent would never end.
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue  # vanished or unreadable since the listing
            if is_dir:
                if not _skip_dir(entry, rel, options, patterns):
                    layer = options.folder_layers.get(entry.name.lower(), dir_layer)
                    subdirs.append((entry.path, rel + "/", layer))
            elif not _skip_file(entry.name, rel, options, patterns):
                found.append(
                    SourceFile(entry.path, rel, _file_layer(dir_layer, entry.name, options))
                )
        stack.extend(reversed(subdirs))
    found.sort(key=lambda f: f.rel)
    return found
