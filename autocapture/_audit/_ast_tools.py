"""Small readers of syntax trees, and the word tables the visitors judge by.

Names are spelled as written (``dotted``), call arguments found by position or keyword
(``argument``), constants read (``int_set``, ``is_false``); the tables are data.
"""

from __future__ import annotations

import ast
import logging
import re
from http import HTTPStatus
from typing import Optional, Union

from autocapture._answers import ANSWER_STATUSES, HTTP_ANSWER_CLASSES

DEFAULT_FAILED_STATUS_CODES: frozenset[int] = frozenset(range(500, 600))
"""sentry-sdk's default ``failed_request_status_codes`` for Starlette and FastAPI."""


SENTRY_CAPTURES = frozenset({"capture_exception", "capture_message", "capture_event"})


LOG_LEVELS: dict[str, int] = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "warn": logging.WARNING,
    "error": logging.ERROR,
    "exception": logging.ERROR,
    "critical": logging.CRITICAL,
    "fatal": logging.CRITICAL,
    "log": logging.ERROR,  # the real level is the first argument, read when constant
}


LEVEL_NAMES: dict[str, int] = {
    "CRITICAL": logging.CRITICAL,
    "FATAL": logging.CRITICAL,
    "ERROR": logging.ERROR,
    "WARNING": logging.WARNING,
    "WARN": logging.WARNING,
    "INFO": logging.INFO,
    "DEBUG": logging.DEBUG,
    "NOTSET": logging.NOTSET,
}


# Exceptions used for control flow, which no tracker should receive (API.md section 1).
CONTROL_FLOW = frozenset(
    {
        "StopIteration",
        "StopAsyncIteration",
        "GeneratorExit",
        "KeyboardInterrupt",
        "SystemExit",
        "CancelledError",
        # Task-framework retries: dramatiq's and Celery's Retry, tenacity's TryAgain.
        "Retry",
        "TryAgain",
    }
)


RETRIES = frozenset({"Retry", "TryAgain"})


NO_RETURN = frozenset({"NoReturn", "Never"})


# A pydantic validator's ValueError (and friends) becomes a 422 validation error.
VALIDATORS = frozenset({"validator", "field_validator", "model_validator", "root_validator"})


VALIDATION_ERRORS = frozenset({"ValueError", "TypeError", "AssertionError", "PydanticCustomError"})


UNPROCESSABLE = 422


BROAD = frozenset({"Exception", "BaseException"})


ABORTS = frozenset({"flask.abort", "werkzeug.exceptions.abort", "werkzeug.abort"})


PAIR = 2


SERVER_ERROR = 500


CLIENT_ERROR = 400


STATUS_CONSTANT = re.compile(r"HTTP_(\d{3})(?:_|\Z)")


CAPTURE_MIDDLEWARE_5XX = frozenset({"AutoCaptureMiddleware"})


AUTOCAPTURE_INSTRUMENT = "autocapture.asgi.instrument"


# Fields that never hold a node worth walking (names, contexts, operators, flags).
NON_NODE_FIELDS = frozenset(
    {"ctx", "op", "id", "attr", "arg", "kind", "type_comment", "conversion", "level",
     "module", "is_async", "simple", "name", "names"}
)  # fmt: skip


LEAVES: frozenset[type[ast.AST]] = frozenset({ast.Name, ast.Constant})


CHILD_FIELDS: dict[type[ast.AST], tuple[str, ...]] = {}


# Statements with a body: skipped only when they span neither a keyword nor an except.
BLOCKS: frozenset[type[ast.AST]] = frozenset(
    getattr(ast, name)
    for name in (
        "FunctionDef", "AsyncFunctionDef", "ClassDef", "If", "For", "AsyncFor", "While",
        "With", "AsyncWith", "Try", "TryStar", "Match",
    )
    if hasattr(ast, name)
)  # fmt: skip


# Imports are cheap and feed name resolution everywhere: never skipped.
ALWAYS: frozenset[type[ast.AST]] = frozenset({ast.Import, ast.ImportFrom})


TASK_GROUP_HINTS = ("TaskGroup", "task_group", "create_task_group", "Nursery")


# Awaiting one of these awaits its arguments too: their errors reach the awaiting code.
AWAITS_ARGUMENTS = frozenset({"asyncio.gather", "asyncio.wait_for", "asyncio.shield"})


ASYNCIO_STARTS = frozenset({"create_task", "ensure_future"})


def answer_status(name: str) -> Optional[int]:
    """The status of a raised web framework answer, read from the runtime's own table.

    Only a framework's own HTTP exceptions (``autocapture._answers``) are answers, as at
    run time: an SDK's status error is an error. A name counts when it is a class of
    that table with a fixed status (Django's, also re-exported elsewhere in its package:
    ``django.http.Http404``), or a class of one of the table's modules named after an
    HTTP status (Werkzeug's ``NotFound``, ``ServiceUnavailable``).

    Args:
        name: The raised name, resolved through the module's imports (``a.b.C``).

    Returns:
        The status, or ``None`` when the name is no framework answer the audit knows.
    """
    module, _, last = name.rpartition(".")
    top = module.partition(".")[0]
    for (answer_module, qualname), status in ANSWER_STATUSES.items():
        if last == qualname and top == answer_module.partition(".")[0]:
            return status
    if module in _ANSWER_MODULES:
        snake = re.sub(r"(?<!^)(?=[A-Z])", "_", last).upper()
        if snake in HTTPStatus.__members__:
            return int(HTTPStatus[snake])
    return None


_ANSWER_MODULES = frozenset(module for module, _ in HTTP_ANSWER_CLASSES)


def dotted(node: ast.expr) -> str:
    """Spell a caught type (or any name expression) the way it was written.

    Args:
        node: The expression.

    Returns:
        ``a.b.C`` for names and attributes, ``(A, B)`` for tuples, ``...`` otherwise.
    """
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{dotted(node.value)}.{node.attr}"
    if isinstance(node, ast.Tuple):
        return "(" + ", ".join(dotted(e) for e in node.elts) + ")"
    return "..."


def caught_names(node: Optional[ast.expr]) -> list[str]:
    """List the last name segment of every caught type.

    Args:
        node: The handler's ``type`` (``None`` for a bare ``except``).

    Returns:
        E.g. ``["Exception"]`` or ``["KeyError", "ValueError"]``; ``[]`` for bare except.
    """
    if node is None:
        return []
    elts = node.elts if isinstance(node, ast.Tuple) else [node]
    return [dotted(e).rsplit(".", 1)[-1] for e in elts]


def keyword_arg(call: ast.Call, *names: str) -> Optional[ast.expr]:
    """Return the value of the first keyword argument among ``names``.

    Args:
        call: The call.
        *names: Accepted keyword names.

    Returns:
        The value expression, or ``None``.
    """
    for kw in call.keywords:
        if kw.arg in names:
            return kw.value
    return None


def argument(call: ast.Call, index: int, *names: str) -> Optional[ast.expr]:
    """Return an argument given by keyword, else by position.

    Args:
        call: The call.
        index: Its position.
        *names: Its keyword names.

    Returns:
        The value expression, or ``None``.
    """
    value = keyword_arg(call, *names)
    if value is not None:
        return value
    if len(call.args) > index and not isinstance(call.args[index], ast.Starred):
        return call.args[index]
    return None


def is_false(node: Optional[ast.expr]) -> bool:
    """Tell whether an expression is a literal false value.

    Args:
        node: The expression, or ``None`` when absent.

    Returns:
        True for ``False``, ``None``, ``0`` and ``""``.
    """
    return isinstance(node, ast.Constant) and not node.value


def int_set(node: ast.expr) -> Optional[set[int]]:
    """Evaluate a literal set of status codes (``{500, 503}``, ``{*range(500, 600)}``...).

    Args:
        node: The expression.

    Returns:
        The codes, or ``None`` when the expression is not a literal the audit understands.
    """
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return {node.value}
    if isinstance(node, ast.Starred):
        return int_set(node.value)
    if isinstance(node, (ast.Set, ast.List, ast.Tuple)):
        return int_collection(node)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        left, right = int_set(node.left), int_set(node.right)
        return None if left is None or right is None else left | right
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return int_call(node, node.func.id)
    return None


def int_collection(node: Union[ast.Set, ast.List, ast.Tuple]) -> Optional[set[int]]:
    """Evaluate a set, list or tuple of codes, ranges or ``(low, high)`` pairs.

    Args:
        node: The collection.

    Returns:
        The codes, or ``None`` when an element is not understood.
    """
    bounds = [e.value for e in node.elts if isinstance(e, ast.Constant)]
    if isinstance(node, ast.Tuple) and len(node.elts) == len(bounds) == PAIR:
        # A (low, high) pair inside a list is sentry-sdk's deprecated inclusive range.
        low, high = bounds
        if isinstance(low, int) and isinstance(high, int):
            return set(range(low, high + 1))
    out: set[int] = set()
    for elt in node.elts:
        part = int_set(elt)
        if part is None:
            return None
        out |= part
    return out


def int_call(node: ast.Call, func: str) -> Optional[set[int]]:
    """Evaluate ``set(...)``, ``frozenset(...)`` or ``range(...)`` of constants.

    Args:
        node: The call.
        func: The called name.

    Returns:
        The codes, or ``None`` when the call is not understood.
    """
    if func in {"set", "frozenset"}:
        return set() if not node.args else int_set(node.args[0])
    if func == "range":
        bounds = [a.value for a in node.args if isinstance(a, ast.Constant)]
        ints = [b for b in bounds if isinstance(b, int)]
        if len(ints) == len(node.args):
            return set(range(*ints))
    return None


def string_constant(node: ast.expr) -> str:
    """Read a string constant.

    Args:
        node: An expression.

    Returns:
        The string, or ``""`` when the expression is not a string constant.
    """
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else ""


def module_names(rel: str) -> tuple[str, str]:
    """Derive a file's dotted module name and the package its relative imports start from.

    Args:
        rel: The path relative to the audited root, ``/``-separated.

    Returns:
        ``("app.routes.chat", "app.routes")`` for ``app/routes/chat.py``; a package's
        ``__init__.py`` is the package itself.
    """
    parts = rel[:-3].split("/") if rel.endswith(".py") else rel.split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
        return ".".join(parts), ".".join(parts)
    return ".".join(parts), ".".join(parts[:-1])
