"""What the code base captures at run time, across modules.

Read once every module's facts are in: the functions whose failures are captured (by
``@auto_capture_errors``, by ``instrument_modules(...)``, or by a project decorator that
logs with the traceback), the exceptions the app answers with a client error (with
their subclasses), and the set-up that captures background work wholesale
(``instrument(app)`` / ``AutoCaptureMiddleware`` for request background tasks,
``install_hooks()`` for threads and asyncio tasks).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from collections.abc import Iterable

    from autocapture._audit._facts import ModuleFacts, RawBackground

_CLIENT_ERROR = 400
_SERVER_ERROR = 500
_DECORATED = "decorated with @auto_capture_errors"


def _matches(module: str, prefixes: Iterable[str]) -> bool:
    """Tell whether a module (named from the audited root) is under an import prefix.

    The audited root may sit above or below the import root (``src/`` holding ``app``, or
    ``app/`` itself), so a prefix matches by any of its tails: ``app.services`` matches
    ``app.services.x`` and, audited from inside ``app``, ``services.x``.

    Args:
        module: The module's dotted name relative to the audited root.
        prefixes: Dotted import prefixes.

    Returns:
        True when the module is under one of them.
    """
    for prefix in prefixes:
        parts = prefix.split(".")
        for start in range(len(parts)):
            tail = ".".join(parts[start:])
            if module == tail or module.startswith(tail + "."):
                return True
    return False


@dataclass
class Runtime:
    """Run-time capture across the code base."""

    instrumented_modules: set[str]
    """Modules under an ``instrument_modules(...)`` prefix (and not excluded)."""
    install_hooks: bool
    """Whether ``install_hooks()`` is called anywhere."""
    request_tasks_captured: Optional[str]
    """Why request background tasks are captured (``instrument(app)``...), or ``None``."""
    captured_functions: dict[str, Optional[str]]
    """``module.qualname`` -> why its failures are captured, or ``None`` when they are not."""
    mapped: dict[str, Optional[int]]
    """Exception class name -> status, for those the app answers with a client error."""


def _mapped(facts_list: list[ModuleFacts]) -> dict[str, Optional[int]]:
    """Collect the exceptions answered with a client error, subclasses included.

    Args:
        facts_list: Every module's facts.

    Returns:
        Class name -> status (``None`` when the handler's status is not a constant).
    """
    mapped: dict[str, Optional[int]] = {}
    for facts in facts_list:
        for name, status in facts.mapped.items():
            if status is None or _CLIENT_ERROR <= status < _SERVER_ERROR:
                mapped.setdefault(name, status)
    bases: dict[str, tuple[str, ...]] = {}
    for facts in facts_list:
        for qualname, found in facts.classes.items():
            bases.setdefault(qualname.rsplit(".", 1)[-1], found)
    changed = True
    while changed:  # FastAPI looks handlers up along the MRO: subclasses are answered too
        changed = False
        for name, parents in bases.items():
            if name in mapped:
                continue
            parent = next((p for p in parents if p in mapped), None)
            if parent is not None:
                mapped[name] = mapped[parent]
                changed = True
    return mapped


def build_runtime(facts_list: list[ModuleFacts], logging_captured: bool) -> Runtime:
    """Gather what is captured at run time.

    Args:
        facts_list: Every module's facts.
        logging_captured: Whether records logged with a traceback become events.

    Returns:
        The run-time picture.
    """
    prefixes = [p for f in facts_list for p in f.instrumented]
    excluded = [p for f in facts_list for p in f.instrument_excluded]
    instrumented = {
        f.module
        for f in facts_list
        if prefixes and _matches(f.module, prefixes) and not _matches(f.module, excluded)
    }
    tb_functions = {
        (f"{f.module}." if f.module else "") + name
        for f in facts_list
        for name in f.traceback_functions
    }
    captured: dict[str, Optional[str]] = {}
    for facts in facts_list:
        prefix = f"{facts.module}." if facts.module else ""
        for name in facts.functions:
            reason: Optional[str] = None
            if name in facts.decorated:
                reason = _DECORATED
            elif facts.module in instrumented:
                reason = "instrumented by instrument_modules()"
            elif logging_captured:
                reason = _logging_decorator(facts, name, tb_functions)
            captured[prefix + name] = reason
    request = None
    for facts in facts_list:
        for middleware in facts.middleware:
            if middleware.captures_http_5xx:
                request = f"{middleware.name} captures request background tasks"
                break
    return Runtime(
        instrumented_modules=instrumented,
        install_hooks=any(f.install_hooks for f in facts_list),
        request_tasks_captured=request,
        captured_functions=captured,
        mapped=_mapped(facts_list),
    )


def _logging_decorator(facts: ModuleFacts, name: str, tb_functions: set[str]) -> Optional[str]:
    """Find a project decorator on a function that logs its errors with the traceback.

    Args:
        facts: The function's module.
        name: Its qualified name.
        tb_functions: Every function of the tree that may log a traceback.

    Returns:
        Why its failures are captured, or ``None``.
    """
    for decorator in facts.decorators_of.get(name, ()):
        if not decorator:
            continue
        local = f"{facts.module}.{decorator}" if facts.module else decorator
        if ("." not in decorator and local in tb_functions) or (
            "." in decorator and lookup(decorator, dict.fromkeys(tb_functions, "")) is not None
        ):
            shown = decorator.rsplit(".", 1)[-1]
            return f"decorated with @{shown}, which logs errors with their traceback"
    return None


def lookup(qualified: str, index: dict[str, Optional[str]]) -> Optional[tuple[str, Optional[str]]]:
    """Find an imported function in an index, allowing for a different import root.

    Args:
        qualified: The import's dotted name (``src.services.jobs.send``).
        index: ``module.qualname`` -> value.

    Returns:
        The matching name and its value, or ``None``.
    """
    parts = qualified.split(".")
    # Keep at least module + function: a bare function name is too ambiguous to match.
    for start in range(len(parts) - 1):
        candidate = ".".join(parts[start:])
        if candidate in index:
            return candidate, index[candidate]
    return None


def background_verdict(  # noqa: PLR0911 - one return per verdict
    raw: RawBackground, facts: ModuleFacts, runtime: Runtime
) -> tuple[bool, str]:
    """Decide whether the failures of one background start are captured.

    Args:
        raw: The start.
        facts: Its module's facts.
        runtime: What is captured at run time.

    Returns:
        Whether they are, and why.
    """
    if raw.via is not None:
        return True, raw.via
    call = raw.call.rsplit(".", 1)[-1]
    if call == "add_task" and runtime.request_tasks_captured:
        return True, runtime.request_tasks_captured
    if runtime.install_hooks and (
        raw.call.startswith("threading.") or call in {"create_task", "ensure_future"}
    ):
        return True, "install_hooks() reports the uncaught errors of threads and tasks"
    index = runtime.captured_functions
    if raw.local_key is not None:
        key = f"{facts.module}.{raw.local_key}" if facts.module else raw.local_key
        if key in index:
            reason = index[key]
            if reason is not None:
                return True, f"target {reason}"
            return False, f"{raw.target} is not {_DECORATED}"
        return False, f"{raw.target} is not a function of this module"
    if raw.qualified is not None:
        found = lookup(raw.qualified, index)
        if found is None:
            return False, f"{raw.qualified} is outside the audited code"
        name, reason = found
        if reason is not None:
            return True, f"target {name} {reason}"
        return False, f"{name} is not {_DECORATED}"
    return False, "the target could not be resolved"
