"""One pruned walk per module that gathers the facts the audit judges.

Speed matters (the audit must cost little more than ``ast.parse``), so the walk visits
statements only, and descends into expressions in two cases: inside ``except`` handlers,
and in statements whose lines hold one of a few keywords (``capture``, ``sentry``,
``add_task``, ``Thread``...) found by a cheap byte search before the walk. Every call that
can matter to the audit (a capture, ``sentry_sdk.init``, a middleware, a background start)
contains one of those keywords in its own text, so nothing relevant is skipped.

Names are resolved through the module's imports (``import sentry_sdk as sdk``,
``from sentry_sdk import capture_exception as ce``) and through simple assignments from
resolved calls (``scope = sentry_sdk.get_current_scope()``), never by raw text.
"""

from __future__ import annotations

import ast
import logging
import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import lru_cache
from http import HTTPStatus
from itertools import accumulate
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from autocapture._audit._model import HandlerClass
    from autocapture._audit._options import AuditOptions

DEFAULT_FAILED_STATUS_CODES: frozenset[int] = frozenset(range(500, 600))
"""sentry-sdk's default ``failed_request_status_codes`` for Starlette and FastAPI."""

# A keyword found on a line makes the statements spanning it worth an expression walk.
# Searched in the lower-cased file, so "sentry" also finds SentryAsgiMiddleware and
# "thread" finds threading.Thread; every call that can matter holds one of these.
_KEYWORDS: tuple[bytes, ...] = (
    b"capture",
    b"sentry",
    b"_task",
    b"ensure_future",
    b"thread",
    b"timer",
    b"submit",
    b".map(",
    b"executor",
    b"pool",
    b"middleware",
    b"instrument",
    b"taskgroup",
    b"task_group",
    b"suppress",
    b"exception_handler",
    b"install_hooks",
)
# A line holding one of these may log a traceback: a function spanning one is a candidate
# for a project decorator that reports its wrapped function's errors.
_TRACEBACK_WORDS: tuple[bytes, ...] = (b"exc_info", b".exception(", b"traceback", b"exception=")

_SENTRY_CAPTURES = frozenset({"capture_exception", "capture_message", "capture_event"})
_LOG_LEVELS: dict[str, int] = {
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
_LEVEL_NAMES: dict[str, int] = {
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
_CONTROL_FLOW = frozenset(
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
_RETRIES = frozenset({"Retry", "TryAgain"})
_NO_RETURN = frozenset({"NoReturn", "Never"})
# A pydantic validator's ValueError (and friends) becomes a 422 validation error.
_VALIDATORS = frozenset({"validator", "field_validator", "model_validator", "root_validator"})
_VALIDATION_ERRORS = frozenset({"ValueError", "TypeError", "AssertionError", "PydanticCustomError"})
_UNPROCESSABLE = 422
_BROAD = frozenset({"Exception", "BaseException"})
_ABORTS = frozenset({"flask.abort", "werkzeug.exceptions.abort", "werkzeug.abort"})
_PAIR = 2
_SERVER_ERROR = 500
_CLIENT_ERROR = 400
_STATUS_CONSTANT = re.compile(r"HTTP_(\d{3})(?:_|\Z)")
_CAPTURE_MIDDLEWARE_5XX = frozenset({"AutoCaptureMiddleware"})
_AUTOCAPTURE_INSTRUMENT = "autocapture.asgi.instrument"
# Fields that never hold a node worth walking (names, contexts, operators, flags).
_NON_NODE_FIELDS = frozenset(
    {"ctx", "op", "id", "attr", "arg", "kind", "type_comment", "conversion", "level",
     "module", "is_async", "simple", "name", "names"}
)  # fmt: skip
_LEAVES: frozenset[type[ast.AST]] = frozenset({ast.Name, ast.Constant})
_CHILD_FIELDS: dict[type[ast.AST], tuple[str, ...]] = {}
# Statements with a body: skipped only when they span neither a keyword nor an except.
_BLOCKS: frozenset[type[ast.AST]] = frozenset(
    getattr(ast, name)
    for name in (
        "FunctionDef", "AsyncFunctionDef", "ClassDef", "If", "For", "AsyncFor", "While",
        "With", "AsyncWith", "Try", "TryStar", "Match",
    )
    if hasattr(ast, name)
)  # fmt: skip
# Imports are cheap and feed name resolution everywhere: never skipped.
_ALWAYS: frozenset[type[ast.AST]] = frozenset({ast.Import, ast.ImportFrom})
_TASK_GROUP_HINTS = ("TaskGroup", "task_group", "create_task_group", "Nursery")
# Awaiting one of these awaits its arguments too: their errors reach the awaiting code.
_AWAITS_ARGUMENTS = frozenset({"asyncio.gather", "asyncio.wait_for", "asyncio.shield"})
_ASYNCIO_STARTS = frozenset({"create_task", "ensure_future"})


@dataclass
class HttpOutcome:
    """An HTTP error the handler turns the exception into."""

    status: Optional[int]
    """The status when it is a constant."""
    raised: bool
    """Raised as an exception (``HTTPException``, ``abort``) rather than a returned response."""
    text: str
    """The construct, e.g. ``HTTPException`` or ``JSONResponse``."""
    mapped: bool = False
    """An exception the app's exception handlers answer with a client error."""

    @property
    def is_5xx(self) -> bool:
        """Tell whether the status is a server error (an unknown status counts as one).

        Returns:
            True for 5xx and unknown statuses (not for a mapped exception).
        """
        if self.status is None:
            return not self.mapped
        return self.status >= _SERVER_ERROR


@dataclass
class RawHandler:
    """What one ``except`` handler does, as read from its body."""

    line: int
    caught: str
    broad: bool
    control_flow: bool
    function: Optional[str]
    in_decorated: bool
    bound: Optional[str]
    end_line: int = 0
    validator: bool = False
    captures: list[str] = field(default_factory=list)
    reraise: list[str] = field(default_factory=list)
    http: list[HttpOutcome] = field(default_factory=list)
    log_exc_level: Optional[int] = None
    log_exc_calls: list[str] = field(default_factory=list)
    log_plain_calls: list[str] = field(default_factory=list)
    log_plain_level: Optional[int] = None
    actions: list[str] = field(default_factory=list)
    chain_lost: list[tuple[int, str]] = field(default_factory=list)
    # (class name, index of its chain_lost entry or -1) for each new error raised.
    raised: list[tuple[str, int]] = field(default_factory=list)
    # Functions of the module called from the handler ("helper", "Class.method").
    local_calls: list[str] = field(default_factory=list)
    retry: bool = False

    def classify(self) -> tuple[HandlerClass, Optional[HttpOutcome]]:
        """Pick the handler class; the first that applies wins (see ``docs/audit.md``).

        Returns:
            The class, and the HTTP outcome behind an ``http_*`` class.
        """
        if self.captures:
            return "captured", None
        server = [h for h in self.http if h.is_5xx]
        if server:
            # A raised 5xx can be reported by an integration; a returned response cannot.
            return "http_5xx", next((h for h in server if h.raised), server[0])
        if self.http:
            return "http_4xx", self.http[0]
        if self.reraise:
            return "reraise", None
        if self.log_exc_level is not None:
            return "logged", None
        return "swallowed", None


@dataclass
class RawInit:
    """A ``sentry_sdk.init`` call and its options."""

    line: int
    default_integrations: bool
    logging_event_level: Optional[int]
    failed_request_status_codes: Optional[frozenset[int]]


@dataclass
class RawMiddleware:
    """A capture middleware installed by the module."""

    line: int
    name: str
    captures_http_5xx: bool


@dataclass
class RawBackground:
    """A start of background work, before its target is resolved across modules."""

    line: int
    call: str
    target: Optional[str]
    local_key: Optional[str]
    qualified: Optional[str]
    via: Optional[str]


@dataclass
class ModuleFacts:
    """Everything the walk found in one module."""

    module: str
    handlers: list[RawHandler] = field(default_factory=list)
    has_capture: bool = False
    inits: list[RawInit] = field(default_factory=list)
    middleware: list[RawMiddleware] = field(default_factory=list)
    background: list[RawBackground] = field(default_factory=list)
    functions: set[str] = field(default_factory=set)
    decorated: set[str] = field(default_factory=set)
    aliases: dict[str, str] = field(default_factory=dict)
    raisers: set[str] = field(default_factory=set)
    """Functions that always raise (``-> NoReturn``, or a body that ends in ``raise``)."""
    mapped: dict[str, Optional[int]] = field(default_factory=dict)
    """Exception class names the app's exception handlers answer, with the status if known."""
    classes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Class qualname -> the last names of its bases."""
    traceback_functions: set[str] = field(default_factory=set)
    """Functions whose body may log a traceback (candidates for a reporting decorator)."""
    decorators_of: dict[str, list[str]] = field(default_factory=dict)
    """Function qualname -> its decorators, resolved (``app.decorators.background_task``)."""
    install_hooks: bool = False
    """Whether ``autocapture.tasks.install_hooks()`` is called."""
    instrumented: list[str] = field(default_factory=list)
    """Prefixes given to ``autocapture.instrument_modules``."""
    instrument_excluded: list[str] = field(default_factory=list)
    """Their ``exclude=`` prefixes."""


@lru_cache(maxsize=8)
def keywords_for(
    helpers: tuple[str, ...], decorators: tuple[str, ...]
) -> Optional[tuple[bytes, ...]]:
    """List the byte strings whose lines deserve a look, for given helper and decorator names.

    Args:
        helpers: Capture helper globs.
        decorators: Capture decorator names.

    Returns:
        The keywords, or ``None`` when a glob has no literal part (every line matters).
    """
    extra: list[bytes] = []
    for name in (*helpers, *decorators):
        literal = max(re.split(r"[*?\[\]]", name), key=len)
        if not literal:
            return None
        extra.append(literal.lower().encode("utf-8"))
    # A keyword that contains another adds nothing but a second search.
    found = dict.fromkeys((*_KEYWORDS, *extra))
    return tuple(k for k in found if not any(o != k and o in k for o in found))


def _line_numbers(data: bytes, needles: Iterable[bytes]) -> list[int]:
    """Find the 1-based lines on which any needle occurs.

    Args:
        data: The file's bytes.
        needles: The byte strings to find.

    Returns:
        The line numbers, sorted, without duplicates.
    """
    positions: list[int] = []
    for needle in needles:
        pos = data.find(needle)
        while pos != -1:
            positions.append(pos)
            pos = data.find(needle, pos + 1)
    positions.sort()
    lines: list[int] = []
    line = 1
    previous = 0
    for pos in positions:
        line += data.count(b"\n", previous, pos)
        previous = pos
        if not lines or lines[-1] != line:
            lines.append(line)
    return lines


class LineIndex:
    """Which line ranges hold a keyword, and which hold a keyword or an ``except``.

    Both questions are answered in constant time from prefix sums over the lines.
    """

    def __init__(self, data: bytes, keywords: Optional[tuple[bytes, ...]]) -> None:
        """Index a file.

        Args:
            data: The file's bytes (every encoding PEP 263 allows is ASCII-compatible).
            keywords: The keywords (see :func:`keywords_for`); ``None``: every line.
        """
        # Old Mac line ends (CR only) defeat the line count: then every line matters.
        self.everything = keywords is None or (b"\r" in data and b"\n" not in data)
        size = data.count(b"\n") + 2
        self._size = size
        lowered = data.lower()
        tb_marks = bytearray(size + 1)
        for line in _line_numbers(lowered, _TRACEBACK_WORDS):
            tb_marks[line] = 1
        self._traceback = list(accumulate(tb_marks))
        if self.everything or keywords is None:
            self._keyword: list[int] = []
            self._hot: list[int] = []
            return
        keyword_lines = _line_numbers(lowered, keywords)
        marks = bytearray(size + 1)
        for line in keyword_lines:
            marks[line] = 1
        self._keyword = list(accumulate(marks))
        # Every handler's line holds the word "except": a statement spanning none holds
        # no handler, and one spanning no keyword either can be skipped whole.
        for line in _line_numbers(lowered, (b"except",)):
            marks[line] = 1
        self._hot = list(accumulate(marks))

    def keyword(self, start: int, end: int) -> bool:
        """Tell whether lines ``start`` to ``end`` hold a keyword.

        Args:
            start: The first line.
            end: The last line.

        Returns:
            True when an expression walk of those lines may find something.
        """
        if self.everything:
            return True
        prefix = self._keyword
        return prefix[min(end, self._size)] > prefix[start - 1]

    def traceback(self, start: int, end: int) -> bool:
        """Tell whether lines ``start`` to ``end`` may log a traceback.

        Args:
            start: The first line.
            end: The last line.

        Returns:
            True when a word such as ``exc_info`` or ``.exception(`` is there.
        """
        prefix = self._traceback
        return prefix[min(end, self._size)] > prefix[start - 1]

    def hot(self, start: int, end: int) -> bool:
        """Tell whether lines ``start`` to ``end`` hold a keyword or an ``except``.

        Args:
            start: The first line.
            end: The last line.

        Returns:
            True when the statements on those lines must be visited.
        """
        if self.everything:
            return True
        prefix = self._hot
        return prefix[min(end, self._size)] > prefix[start - 1]


def _dotted(node: ast.expr) -> str:
    """Spell a caught type (or any name expression) the way it was written.

    Args:
        node: The expression.

    Returns:
        ``a.b.C`` for names and attributes, ``(A, B)`` for tuples, ``...`` otherwise.
    """
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    if isinstance(node, ast.Tuple):
        return "(" + ", ".join(_dotted(e) for e in node.elts) + ")"
    return "..."


def _caught_names(node: Optional[ast.expr]) -> list[str]:
    """List the last name segment of every caught type.

    Args:
        node: The handler's ``type`` (``None`` for a bare ``except``).

    Returns:
        E.g. ``["Exception"]`` or ``["KeyError", "ValueError"]``; ``[]`` for bare except.
    """
    if node is None:
        return []
    elts = node.elts if isinstance(node, ast.Tuple) else [node]
    return [_dotted(e).rsplit(".", 1)[-1] for e in elts]


def _keyword(call: ast.Call, *names: str) -> Optional[ast.expr]:
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


def _argument(call: ast.Call, index: int, *names: str) -> Optional[ast.expr]:
    """Return an argument given by keyword, else by position.

    Args:
        call: The call.
        index: Its position.
        *names: Its keyword names.

    Returns:
        The value expression, or ``None``.
    """
    value = _keyword(call, *names)
    if value is not None:
        return value
    if len(call.args) > index and not isinstance(call.args[index], ast.Starred):
        return call.args[index]
    return None


def _is_false(node: Optional[ast.expr]) -> bool:
    """Tell whether an expression is a literal false value.

    Args:
        node: The expression, or ``None`` when absent.

    Returns:
        True for ``False``, ``None``, ``0`` and ``""``.
    """
    return isinstance(node, ast.Constant) and not node.value


def _int_set(node: ast.expr) -> Optional[set[int]]:
    """Evaluate a literal set of status codes (``{500, 503}``, ``{*range(500, 600)}``...).

    Args:
        node: The expression.

    Returns:
        The codes, or ``None`` when the expression is not a literal the audit understands.
    """
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return {node.value}
    if isinstance(node, ast.Starred):
        return _int_set(node.value)
    if isinstance(node, (ast.Set, ast.List, ast.Tuple)):
        return _int_collection(node)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        left, right = _int_set(node.left), _int_set(node.right)
        return None if left is None or right is None else left | right
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return _int_call(node, node.func.id)
    return None


def _int_collection(node: Union[ast.Set, ast.List, ast.Tuple]) -> Optional[set[int]]:
    """Evaluate a set, list or tuple of codes, ranges or ``(low, high)`` pairs.

    Args:
        node: The collection.

    Returns:
        The codes, or ``None`` when an element is not understood.
    """
    bounds = [e.value for e in node.elts if isinstance(e, ast.Constant)]
    if isinstance(node, ast.Tuple) and len(node.elts) == len(bounds) == _PAIR:
        # A (low, high) pair inside a list is sentry-sdk's deprecated inclusive range.
        low, high = bounds
        if isinstance(low, int) and isinstance(high, int):
            return set(range(low, high + 1))
    out: set[int] = set()
    for elt in node.elts:
        part = _int_set(elt)
        if part is None:
            return None
        out |= part
    return out


def _int_call(node: ast.Call, func: str) -> Optional[set[int]]:
    """Evaluate ``set(...)``, ``frozenset(...)`` or ``range(...)`` of constants.

    Args:
        node: The call.
        func: The called name.

    Returns:
        The codes, or ``None`` when the call is not understood.
    """
    if func in {"set", "frozenset"}:
        return set() if not node.args else _int_set(node.args[0])
    if func == "range":
        bounds = [a.value for a in node.args if isinstance(a, ast.Constant)]
        ints = [b for b in bounds if isinstance(b, int)]
        if len(ints) == len(node.args):
            return set(range(*ints))
    return None


class ModuleVisitor(ast.NodeVisitor):
    """Walk one module's statements once and gather its :class:`ModuleFacts`."""

    def __init__(
        self,
        module: str,
        package: str,
        lines: LineIndex,
        options: AuditOptions,
    ) -> None:
        """Prepare a walk.

        Args:
            module: The module's dotted name relative to the audited root.
            package: The package relative imports start from.
            lines: Where the keywords and ``except`` clauses are.
            options: The audit options (helper and decorator names).
        """
        self.facts = ModuleFacts(module)
        self._package = package
        self._lines = lines
        self._helpers = options.capture_helpers
        self._decorators = frozenset(options.decorators)
        self._aliases = self.facts.aliases
        # The top is the handler whose body is being walked, or None at a barrier
        # (a function or class defined inside a handler runs elsewhere).
        self._frames: list[Optional[RawHandler]] = []
        self._frame: Optional[RawHandler] = None
        # (name, is_class, decorated) for the enclosing definitions.
        self._scopes: list[tuple[str, bool, bool]] = []
        self._dispatch: dict[type[ast.AST], Callable[[Any], None]] = {}
        # Calls whose result is awaited where they are made (ids of ast.Call nodes).
        self._awaited: set[int] = set()
        # Whether each enclosing function is a pydantic validator.
        self._validators: list[bool] = []
        # Function definitions by qualname, to read an exception handler's status later.
        self._defs: dict[str, ast.AST] = {}
        # Exception name -> the local handler function given to add_exception_handler.
        self._mapped_to: dict[str, str] = {}

    # -- helpers -------------------------------------------------------------------

    def _spans_keyword(self, node: ast.AST) -> bool:
        """Tell whether a node's lines contain a keyword line.

        Args:
            node: A statement or expression with positions.

        Returns:
            True when the node deserves an expression walk.
        """
        start: int = getattr(node, "lineno", 1)
        end: int = getattr(node, "end_lineno", None) or start
        return self._lines.keyword(start, end)

    def _push(self, frame: Optional[RawHandler]) -> None:
        """Enter a handler (or, with ``None``, a definition that runs elsewhere).

        Args:
            frame: The handler, or ``None``.
        """
        self._frames.append(frame)
        self._frame = frame

    def _pop(self) -> None:
        """Leave the innermost handler or definition."""
        self._frames.pop()
        self._frame = self._frames[-1] if self._frames else None

    def _qualified(self, name: str) -> str:
        """Qualify a name defined in the current scope.

        Args:
            name: The function or class name.

        Returns:
            E.g. ``Worker.run``.
        """
        return ".".join([*(n for n, _, _ in self._scopes), name])

    def _qualname(self) -> Optional[str]:
        """Spell the enclosing definitions as a qualified name.

        Returns:
            E.g. ``Worker.run``, or ``None`` at module level.
        """
        return ".".join(name for name, _, _ in self._scopes) or None

    def _resolve(self, node: ast.expr) -> tuple[Optional[str], bool]:
        """Resolve a name expression through the module's imports.

        Args:
            node: A name, attribute chain or call chain.

        Returns:
            The dotted name (a call in the chain is spelled ``name()``), and whether its
            root is an imported (or import-derived) name.
        """
        if isinstance(node, ast.Name):
            target = self._aliases.get(node.id)
            return (node.id, False) if target is None else (target, True)
        if isinstance(node, ast.Attribute):
            base, rooted = self._resolve(node.value)
            return (None, False) if base is None else (f"{base}.{node.attr}", rooted)
        if isinstance(node, ast.Call):
            base, rooted = self._resolve(node.func)
            return (None, False) if base is None else (f"{base}()", rooted)
        return None, False

    def _is_capture(self, name: str, rooted: bool, func: ast.expr) -> bool:
        """Tell whether a resolved call name is an explicit capture.

        Args:
            name: The resolved dotted name.
            rooted: Whether its root comes from an import.
            func: The call's function expression.

        Returns:
            True for Sentry's capture functions (on ``sentry_sdk`` or an object obtained
            from it) and for capture helpers called as functions (not methods of unknown
            objects).
        """
        last = name.rsplit(".", 1)[-1]
        if last in _SENTRY_CAPTURES:
            return name.startswith("sentry_sdk.")
        if not (rooted or isinstance(func, ast.Name)):
            return False
        return any(fnmatchcase(last, pattern) for pattern in self._helpers)

    def _is_decorator(self, node: ast.expr) -> bool:
        """Tell whether a decorator (bare or called) is a capture decorator.

        Args:
            node: The decorator expression.

        Returns:
            True for ``@auto_capture_errors`` and ``@auto_capture_errors(...)``, however
            imported.
        """
        func = node.func if isinstance(node, ast.Call) else node
        name, rooted = self._resolve(func)
        if name is None or not (rooted or isinstance(func, ast.Name)):
            return False
        return name.rsplit(".", 1)[-1] in self._decorators

    def _status(self, node: Optional[ast.expr]) -> Optional[int]:
        """Read an HTTP status: an int, ``status.HTTP_503_...`` or ``HTTPStatus.X``.

        Args:
            node: The status expression.

        Returns:
            The status, or ``None`` when it is not a recognised constant.
        """
        if node is None:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        name, _ = self._resolve(node)
        if name is None:
            return None
        name = name.removesuffix(".value")
        parts = name.rsplit(".", 2)
        match = _STATUS_CONSTANT.match(parts[-1])
        if match:
            return int(match.group(1))
        if len(parts) > 1 and parts[-2] == "HTTPStatus" and parts[-1] in HTTPStatus.__members__:
            return int(HTTPStatus[parts[-1]])
        return None

    def _http_exception(self, node: ast.expr) -> Optional[HttpOutcome]:
        """Recognise a raised HTTP error: ``HTTPException(...)`` and friends.

        Args:
            node: The raised expression.

        Returns:
            The outcome, or ``None`` when it is not an HTTP error.
        """
        func = node.func if isinstance(node, ast.Call) else node
        name, _ = self._resolve(func)
        if name is None:
            return None
        last = name.rsplit(".", 1)[-1]
        if last.endswith("HTTPException"):
            status = (
                self._status(_argument(node, 0, "status_code"))
                if isinstance(node, ast.Call)
                else None
            )
            return HttpOutcome(status, raised=True, text=last)
        if name.startswith("werkzeug.exceptions.") or last == "Http404":
            snake = re.sub(r"(?<!^)(?=[A-Z])", "_", last).upper()
            if last == "Http404":
                return HttpOutcome(404, raised=True, text=last)
            if snake in HTTPStatus.__members__:
                return HttpOutcome(int(HTTPStatus[snake]), raised=True, text=last)
        return None

    # -- calls ---------------------------------------------------------------------

    def _walk(self, node: ast.AST) -> None:
        """Visit every call inside an expression tree (or a simple statement).

        Args:
            node: The root of the tree.
        """
        # A hand-rolled ast.walk: per-class field lists that skip names, contexts and
        # operators, and no descent into leaves, make it several times faster.
        stack: list[ast.AST] = [node]
        pop = stack.pop
        push = stack.append
        while stack:
            current = pop()
            cls = type(current)
            if cls is ast.Call:
                self._call(current)  # type: ignore[arg-type]
            elif cls is ast.Await and type(current.value) is ast.Call:  # type: ignore[attr-defined]
                # A parent is met before its children: the call learns it is awaited.
                self._awaited.add(id(current.value))  # type: ignore[attr-defined]
            fields = _CHILD_FIELDS.get(cls)
            if fields is None:
                fields = _CHILD_FIELDS[cls] = tuple(
                    f for f in cls._fields if f not in _NON_NODE_FIELDS
                )
            for name in fields:
                value = getattr(current, name, None)
                if type(value) is list:
                    for item in value:
                        if type(item) not in _LEAVES and isinstance(item, ast.AST):
                            push(item)
                elif (
                    value is not None and type(value) not in _LEAVES and isinstance(value, ast.AST)
                ):
                    push(value)

    def _walk_all(self, nodes: Iterable[Optional[ast.AST]]) -> None:
        """Walk several optional expressions.

        Args:
            nodes: The expressions (``None`` entries are skipped).
        """
        for node in nodes:
            if node is not None:
                self._walk(node)

    def _call(self, node: ast.Call) -> None:
        """Judge one call: capture, logging, HTTP error, init, middleware, background.

        Args:
            node: The call.
        """
        func = node.func
        name, rooted = self._resolve(func)
        if name is None:
            return
        last = name.rsplit(".", 1)[-1]
        frame = self._frame
        if self._is_capture(name, rooted, func):
            self.facts.has_capture = True
            if frame is not None:
                frame.captures.append(name)
            return
        if frame is not None:
            if self._handler_call(frame, node, name, last):
                return
            self._local_call(frame, func, name, last)
        if self._app_call(node, name, last, rooted):
            return
        if name == "sentry_sdk.init":
            self._init(node)
        elif last == "add_middleware" and node.args:
            self._middleware(node, node.args[0])
        elif name == _AUTOCAPTURE_INSTRUMENT:
            self.facts.middleware.append(
                RawMiddleware(node.lineno, "instrument", captures_http_5xx=True)
            )
        elif node.args and (
            last in _CAPTURE_MIDDLEWARE_5XX or ("Sentry" in last and last.endswith("Middleware"))
        ):
            # Wrapping the app: AutoCaptureMiddleware(app), SentryAsgiMiddleware(app).
            self._middleware(node, func)
        else:
            self._background(node, name, last, rooted)

    def _local_call(self, frame: RawHandler, func: ast.expr, name: str, last: str) -> None:
        """Note a call from a handler to a function or method of this module.

        Args:
            frame: The handler.
            func: The call's function expression.
            name: Its resolved name.
            last: The last segment of the name.
        """
        if isinstance(func, ast.Name) and func.id not in self._aliases:
            frame.local_calls.append(func.id)
        elif (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in {"self", "cls"}
        ):
            if last == "retry":
                frame.retry = True  # Celery's self.retry(exc=e) raises its Retry
                return
            owner = next((n for n, is_class, _ in reversed(self._scopes) if is_class), None)
            if owner is not None:
                frame.local_calls.append(f"{owner}.{last}")
        elif last == "retry" and name.endswith(".retry"):
            frame.retry = True

    def _app_call(self, node: ast.Call, name: str, last: str, rooted: bool) -> bool:
        """Record the app set-up calls that change what reaches the tracker.

        Exception handlers (``add_exception_handler``, ``@app.exception_handler``,
        ``exception_handlers=``), ``install_hooks()`` and ``instrument_modules(...)``.

        Args:
            node: The call.
            name: Its resolved name.
            last: The last segment of the name.
            rooted: Whether the name comes from an import.

        Returns:
            True when the call was one of those.
        """
        if last in {"add_exception_handler", "exception_handler"} and node.args:
            exc = self._class_name(node.args[0])
            if exc is not None:
                self.facts.mapped.setdefault(exc, None)
                handler = _argument(node, 1, "handler")
                if isinstance(handler, ast.Name):
                    self._mapped_to[exc] = handler.id
            return True
        table = _keyword(node, "exception_handlers")
        if isinstance(table, ast.Dict):
            for key, value in zip(table.keys, table.values):
                exc = None if key is None else self._class_name(key)
                if exc is not None:
                    self.facts.mapped.setdefault(exc, None)
                    if isinstance(value, ast.Name):
                        self._mapped_to[exc] = value.id
        if not (rooted and name.startswith("autocapture")):
            return False
        if last == "install_hooks":
            self.facts.install_hooks = True
            return True
        if last == "instrument_modules":
            self.facts.instrumented += [_text(a) for a in node.args if _text(a)]
            exclude = _keyword(node, "exclude")
            if isinstance(exclude, (ast.Tuple, ast.List, ast.Set)):
                self.facts.instrument_excluded += [_text(a) for a in exclude.elts if _text(a)]
            elif exclude is not None and _text(exclude):
                self.facts.instrument_excluded.append(_text(exclude))
            return True
        return False

    def _class_name(self, node: ast.expr) -> Optional[str]:
        """Name the exception class an expression stands for (its last segment).

        Args:
            node: ``NotPermitted``, ``errors.NotPermitted``...

        Returns:
            The class name, or ``None`` for a status code or anything else.
        """
        if isinstance(node, (ast.Name, ast.Attribute)):
            return _dotted(node).rsplit(".", 1)[-1]
        return None

    def _answer_status(self, function: ast.AST) -> Optional[int]:
        """Read the status an exception handler function answers with, when constant.

        Args:
            function: The handler function's definition.

        Returns:
            The first constant status of a response it builds, or ``None``.
        """
        for node in ast.walk(function):
            if isinstance(node, ast.Call):
                name = (self._resolve(node.func)[0] or "").rsplit(".", 1)[-1]
                arg = (
                    _argument(node, 1, "status_code", "status")
                    if name.endswith("Response")
                    else _keyword(node, "status_code")
                )
                status = self._status(arg)
                if status is not None:
                    return status
        return None

    def _handler_call(self, frame: RawHandler, node: ast.Call, name: str, last: str) -> bool:
        """Record a call inside a handler that logs or converts the error to HTTP.

        Args:
            frame: The handler.
            node: The call.
            name: Its resolved name.
            last: The last segment of the name.

        Returns:
            True when the call was one of those (nothing else to look for).
        """
        if last in _LOG_LEVELS and isinstance(node.func, ast.Attribute):
            receiver = name[: -len(last) - 1]
            if "log" in receiver.lower():
                self._log(frame, node, receiver, last)
                return True
        if last.endswith("Response"):
            status = self._status(_argument(node, 1, "status_code", "status"))
            if status is not None and status >= _CLIENT_ERROR:
                frame.http.append(HttpOutcome(status, raised=False, text=last))
            return True
        if name in _ABORTS or (last == "abort" and isinstance(node.func, ast.Name)):
            status = self._status(_argument(node, 0, "code"))
            frame.http.append(HttpOutcome(status, raised=True, text=last))
            return True
        return False

    def _log(self, frame: RawHandler, node: ast.Call, receiver: str, method: str) -> None:
        """Record a logging call: with a traceback (``exc_info``) or without.

        Args:
            frame: The handler.
            node: The call.
            receiver: The logger expression, resolved.
            method: The logging method.
        """
        level = _LOG_LEVELS[method]
        if method == "log" and node.args:
            level = self._level(node.args[0], default=logging.ERROR) or logging.ERROR
        exc_info = _keyword(node, "exc_info")
        if isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Call):
            # loguru spells the traceback as logger.opt(exception=...).error(...).
            exception = _keyword(node.func.value, "exception")
            if exception is not None and not _is_false(exception):
                exc_info = exception
        has_traceback = not _is_false(exc_info) if exc_info is not None else method == "exception"
        spelled = f"{receiver.rsplit('.', 1)[-1]}.{method}"
        if has_traceback:
            frame.log_exc_calls.append(spelled)
            if frame.log_exc_level is None or level > frame.log_exc_level:
                frame.log_exc_level = level
        else:
            frame.log_plain_calls.append(spelled)
            if frame.log_plain_level is None or level > frame.log_plain_level:
                frame.log_plain_level = level

    def _level(self, node: Optional[ast.expr], default: Optional[int]) -> Optional[int]:
        """Read a logging level constant.

        Args:
            node: ``logging.ERROR``, ``40``, ``None``... or ``None`` when absent.
            default: The level when absent or not understood.

        Returns:
            The level; ``None`` for a literal ``None``.
        """
        if node is None:
            return default
        if isinstance(node, ast.Constant):
            if node.value is None:
                return None
            return node.value if isinstance(node.value, int) else default
        name, _ = self._resolve(node)
        return _LEVEL_NAMES.get((name or "").rsplit(".", 1)[-1], default)

    def _init(self, node: ast.Call) -> None:
        """Record ``sentry_sdk.init(...)`` and what its options mean for logging and HTTP.

        Args:
            node: The call.
        """
        defaults = not _is_false(_keyword(node, "default_integrations"))
        auto = not _is_false(_keyword(node, "auto_enabling_integrations"))
        level: Optional[int] = logging.ERROR if defaults else None
        codes: Optional[frozenset[int]] = (
            DEFAULT_FAILED_STATUS_CODES if defaults and auto else None
        )
        integrations = _keyword(node, "integrations")
        web_codes: Optional[set[int]] = None
        if isinstance(integrations, (ast.List, ast.Tuple, ast.Set)):
            for item in integrations.elts:
                func = item.func if isinstance(item, ast.Call) else item
                kind = (self._resolve(func)[0] or "").rsplit(".", 1)[-1]
                call = item if isinstance(item, ast.Call) else None
                if kind == "LoggingIntegration":
                    level = self._level(
                        None if call is None else _keyword(call, "event_level"), logging.ERROR
                    )
                elif kind in {"StarletteIntegration", "FastApiIntegration"}:
                    value = None if call is None else _keyword(call, "failed_request_status_codes")
                    found = set(DEFAULT_FAILED_STATUS_CODES) if value is None else _int_set(value)
                    # An expression the audit cannot read keeps the SDK default.
                    found = set(DEFAULT_FAILED_STATUS_CODES) if found is None else found
                    web_codes = found if web_codes is None else web_codes | found
        if web_codes is not None:
            codes = frozenset(web_codes)
        disabled = _keyword(node, "disabled_integrations")
        if isinstance(disabled, (ast.List, ast.Tuple, ast.Set)):
            for item in disabled.elts:
                func = item.func if isinstance(item, ast.Call) else item
                kind = (self._resolve(func)[0] or "").rsplit(".", 1)[-1]
                if kind == "LoggingIntegration":
                    level = None
                elif kind in {"StarletteIntegration", "FastApiIntegration"}:
                    codes = None
        self.facts.inits.append(RawInit(node.lineno, defaults, level, codes))

    def _middleware(self, node: ast.Call, middleware: ast.expr) -> None:
        """Record an installed capture middleware.

        Args:
            node: The installing call.
            middleware: The middleware expression.
        """
        name = (self._resolve(middleware)[0] or "").rsplit(".", 1)[-1]
        if "sentry" in name.lower() or "capture" in name.lower():
            self.facts.middleware.append(
                RawMiddleware(node.lineno, name, name in _CAPTURE_MIDDLEWARE_5XX)
            )

    def _background(self, node: ast.Call, name: str, last: str, rooted: bool) -> None:
        """Record a start of background work (task, thread, executor job).

        Args:
            node: The call.
            name: Its resolved name.
            last: The last segment.
            rooted: Whether the name comes from an import.
        """
        target = self._start_target(node, name, last)
        if target is None:
            return
        shown = _dotted(node.func) if isinstance(node.func, ast.Attribute) else name
        via = (
            "started through autocapture.tasks"
            if rooted and name.startswith("autocapture.tasks.")
            else None
        )
        self._record_background(node.lineno, shown, target, via)

    def _start_target(self, node: ast.Call, name: str, last: str) -> Optional[ast.expr]:
        """Find what a call starts in the background, if it starts anything.

        Args:
            node: The call.
            name: Its resolved name.
            last: The last segment.

        Returns:
            The target expression, or ``None`` when the call is no background start.
        """
        receiver = name[: -len(last) - 1] if "." in name else ""
        # Awaited where it starts, a task or job raises its error in the awaiting code.
        awaited = id(node) in self._awaited
        if awaited and (name in _AWAITS_ARGUMENTS or last in _ASYNCIO_STARTS):
            self._await_arguments(node, name)
        target: Optional[ast.expr] = None
        if last == "add_task":
            target = _argument(node, 0, "func")
        elif last in _ASYNCIO_STARTS:
            # A task group, too, re-raises its tasks' errors in the awaiting code.
            if not awaited and not any(hint in receiver for hint in _TASK_GROUP_HINTS):
                target = _argument(node, 0, "coro", "coro_or_future")
        elif last == "run_in_executor":
            target = None if awaited else _argument(node, 1, "func")
        elif name == "threading.Thread":
            target = _argument(node, 1, "target")
        elif name == "threading.Timer":
            target = _argument(node, 1, "function")
        elif last in {"submit", "map"} and (
            "executor" in receiver.lower() or "pool" in receiver.lower()
        ):
            target = _argument(node, 0, "fn", "func")
        return target

    def _await_arguments(self, node: ast.Call, name: str) -> None:
        """Mark the awaitables an awaited call awaits in turn as awaited too.

        Args:
            node: An awaited ``asyncio.gather``, ``wait_for``, ``shield``, ``create_task``
                or ``ensure_future`` call.
            name: Its resolved name.
        """
        returned = _keyword(node, "return_exceptions")
        if name == "asyncio.gather" and returned is not None and not _is_false(returned):
            return  # the errors come back as values, which the audit does not follow
        awaited = self._awaited
        for arg in node.args:
            value = arg.value if isinstance(arg, ast.Starred) else arg
            if isinstance(value, (ast.GeneratorExp, ast.ListComp, ast.SetComp)):
                elts: list[ast.expr] = [value.elt]
            elif isinstance(value, (ast.List, ast.Tuple, ast.Set)):
                elts = value.elts
            else:
                elts = [value]
            awaited.update(id(e) for e in elts if isinstance(e, ast.Call))

    def _runner_job(self, target: ast.expr) -> Optional[ast.expr]:
        """See through a call that runs a job in a thread, passed to a task start.

        Args:
            target: The target expression of a background start.

        Returns:
            ``job`` for ``asyncio.to_thread(job, ...)`` (a coroutine that runs it);
            ``None`` for ``loop.run_in_executor(...)``, a start recorded on its own;
            otherwise the target itself.
        """
        if not isinstance(target, ast.Call):
            return target
        wrapper = self._resolve(target.func)[0] or ""
        if wrapper.rsplit(".", 1)[-1] == "run_in_executor":
            return None
        if wrapper == "asyncio.to_thread" and target.args:
            return target.args[0]
        return target

    def _record_background(
        self, line: int, call: str, target: ast.expr, via: Optional[str]
    ) -> None:
        """Name the function a background start runs, for resolution after the walk.

        Args:
            line: The call's line.
            call: The call as written.
            target: The target expression (a function, a coroutine call, a partial...).
            via: Why failures are captured whatever the target, if they are.
        """
        job = self._runner_job(target)
        if job is None:
            return  # ensure_future(loop.run_in_executor(...)): the job counts once, itself
        target = job
        if isinstance(target, ast.Call):
            inner = target.func
            if self._is_decorator(inner):
                # Wrapped at the call: add_task(auto_capture_errors(job), ...).
                via = via or "wrapped in a capture decorator at the call"
                target = target.args[0] if target.args else inner
            elif isinstance(inner, ast.Call) and self._is_decorator(inner.func):
                # Wrapped, then called: create_task(auto_capture_errors(job)(...)).
                via = via or "wrapped in a capture decorator at the call"
                target = inner.args[0] if inner.args else inner.func
            elif (self._resolve(inner)[0] or "").rsplit(".", 1)[-1] == "partial" and target.args:
                target = target.args[0]
            else:
                target = inner
        if isinstance(target, ast.Lambda) and isinstance(target.body, ast.Call):
            target = target.body.func
        local_key: Optional[str] = None
        qualified: Optional[str] = None
        if isinstance(target, ast.Name):
            qualified = self._aliases.get(target.id)
            local_key = target.id if qualified is None else None
        elif (
            isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name)
            and target.value.id in {"self", "cls"}
        ):
            owner = next((n for n, is_class, _ in reversed(self._scopes) if is_class), None)
            local_key = None if owner is None else f"{owner}.{target.attr}"
        elif isinstance(target, ast.Attribute):
            resolved, rooted = self._resolve(target)
            qualified = resolved if rooted else None
        shown = _dotted(target) if isinstance(target, (ast.Name, ast.Attribute)) else None
        self.facts.background.append(RawBackground(line, call, shown, local_key, qualified, via))

    # -- statements ----------------------------------------------------------------

    def run(self, tree: ast.Module) -> ModuleFacts:
        """Walk a whole module.

        Args:
            tree: The parsed module.

        Returns:
            The facts gathered.
        """
        self._body(tree.body)
        facts = self.facts
        for exc, function in self._mapped_to.items():
            definition = self._defs.get(function)
            if definition is not None and facts.mapped.get(exc) is None:
                facts.mapped[exc] = self._answer_status(definition)
        for raw in facts.handlers:
            # A helper that always raises re-raises for the handler (one level).
            raising = [c for c in raw.local_calls if c in facts.raisers]
            raw.reraise += [f"{c}() always raises" for c in raising]
        return facts

    def _body(self, body: Iterable[ast.stmt]) -> None:
        """Visit a list of statements.

        Args:
            body: The statements.
        """
        # NodeVisitor.visit builds "visit_" + class name per node; a per-class cache of
        # bound methods does the same dispatch without the string work.
        dispatch = self._dispatch
        lines = self._lines
        prune = not lines.everything
        for stmt in body:
            kind = type(stmt)
            if prune and self._frame is None and kind not in _ALWAYS:
                end = stmt.end_lineno or stmt.lineno
                if kind in _BLOCKS:
                    decorators = getattr(stmt, "decorator_list", None)
                    start = decorators[0].lineno if decorators else stmt.lineno
                    if not lines.hot(start, end):
                        # Nothing to find inside; a function is still worth knowing by name.
                        if kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
                            self._define(stmt)  # type: ignore[arg-type]
                        elif kind is ast.ClassDef:
                            self._define_class(stmt)  # type: ignore[arg-type]
                        continue
                elif not lines.keyword(stmt.lineno, end):
                    continue  # a simple statement holds no handler: only keywords matter
            method = dispatch.get(kind)
            if method is None:
                method = dispatch[kind] = getattr(
                    self, "visit_" + kind.__name__, self.generic_visit
                )
            method(stmt)

    def generic_visit(self, node: ast.AST) -> None:
        """Visit a simple statement: walk its expressions when they may matter.

        Args:
            node: The statement.
        """
        if self._frame is not None or self._spans_keyword(node):
            self._walk(node)

    def _compound(self, node: ast.stmt, header: Sequence[Optional[ast.AST]]) -> None:
        """Visit a compound statement: its header expressions if they matter, then bodies.

        Args:
            node: The statement (``if``, ``for``, ``while``, ``with``...).
            header: Its header expressions.
        """
        if self._frame is not None or self._spans_keyword_header(node, header):
            self._walk_all(header)
        self._body(getattr(node, "body", ()))
        self._body(getattr(node, "orelse", ()))

    def _spans_keyword_header(self, node: ast.stmt, header: Sequence[Optional[ast.AST]]) -> bool:
        """Tell whether the header expressions of a compound statement hold a keyword line.

        Args:
            node: The statement.
            header: Its header expressions.

        Returns:
            True when the header deserves an expression walk.
        """
        del node
        return any(h is not None and self._spans_keyword(h) for h in header)

    def visit_If(self, node: ast.If) -> None:
        """Visit an ``if``."""
        self._compound(node, (node.test,))

    def visit_While(self, node: ast.While) -> None:
        """Visit a ``while``."""
        self._compound(node, (node.test,))

    def visit_For(self, node: Union[ast.For, ast.AsyncFor]) -> None:
        """Visit a ``for``."""
        self._compound(node, (node.iter,))

    visit_AsyncFor = visit_For  # noqa: N815 - ast.NodeVisitor's naming

    def visit_With(self, node: Union[ast.With, ast.AsyncWith]) -> None:
        """Visit a ``with``: its ``as`` names can be bound to resolved calls."""
        for item in node.items:
            if self._frame is not None or self._spans_keyword(item.context_expr):
                self._suppress(node, item.context_expr)
                self._walk(item.context_expr)
                if isinstance(item.optional_vars, ast.Name):
                    self._bind(item.optional_vars.id, item.context_expr)
        self._body(node.body)

    visit_AsyncWith = visit_With  # noqa: N815 - ast.NodeVisitor's naming

    def _suppress(self, node: ast.stmt, context: ast.expr) -> None:
        """Record ``with contextlib.suppress(...)`` as a handler that swallows.

        Args:
            node: The ``with`` statement.
            context: One of its context expressions.
        """
        if not isinstance(context, ast.Call):
            return
        if self._resolve(context.func)[0] != "contextlib.suppress":
            return
        names = [_dotted(a).rsplit(".", 1)[-1] for a in context.args]
        self.facts.handlers.append(
            RawHandler(
                line=node.lineno,
                caught=", ".join(_dotted(a) for a in context.args) or "nothing",
                broad=any(n in _BROAD for n in names),
                control_flow=bool(names) and all(n in _CONTROL_FLOW for n in names),
                function=self._qualname(),
                in_decorated=False,
                bound=None,
                end_line=node.lineno,
                actions=["contextlib.suppress"],
            )
        )

    def visit_Match(self, node: ast.stmt) -> None:
        """Visit a ``match`` (Python 3.10+)."""
        subject: Optional[ast.AST] = getattr(node, "subject", None)
        if subject is not None and (self._frame is not None or self._spans_keyword(subject)):
            self._walk(subject)
        for case in getattr(node, "cases", ()):
            self._body(case.body)

    def visit_Import(self, node: ast.Import) -> None:
        """Record ``import a.b`` (binds ``a``) and ``import a.b as c`` (binds ``c``)."""
        for alias in node.names:
            if alias.asname:
                self._aliases[alias.asname] = alias.name
            else:
                root = alias.name.split(".", 1)[0]
                self._aliases[root] = root

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        """Record ``from a import b as c``, resolving relative imports to the package."""
        base = node.module or ""
        if node.level:
            parts = self._package.split(".") if self._package else []
            keep = len(parts) - (node.level - 1)
            prefix = ".".join(parts[: max(keep, 0)])
            base = f"{prefix}.{base}".strip(".") if base else prefix
        for alias in node.names:
            if alias.name == "*":
                continue
            self._aliases[alias.asname or alias.name] = f"{base}.{alias.name}".lstrip(".")

    def visit_Assign(self, node: Union[ast.Assign, ast.AnnAssign]) -> None:
        """Visit an assignment; a name bound to a resolved call or name becomes an alias."""
        if self._frame is None and not self._spans_keyword(node):
            return
        self._walk(node)
        value = node.value
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if value is not None and len(targets) == 1 and isinstance(targets[0], ast.Name):
            self._bind(targets[0].id, value)

    visit_AnnAssign = visit_Assign  # noqa: N815 - ast.NodeVisitor's naming

    def _bind(self, name: str, value: ast.expr) -> None:
        """Let ``name`` stand for a resolved expression, or mark a wrapped function.

        Args:
            name: The bound name.
            value: The value expression.
        """
        if isinstance(value, ast.Call) and self._is_decorator(value.func):
            # Wrapped once by assignment: the name now stands for a decorated function.
            self.facts.decorated.add(name)
            self.facts.functions.add(name)
            return
        if isinstance(value, (ast.Call, ast.Attribute)):
            resolved, rooted = self._resolve(value)
            if rooted and resolved is not None:
                self._aliases[name] = resolved

    def visit_Raise(self, node: ast.Raise) -> None:
        """Record how a handler raises: re-raise, HTTP conversion, new error."""
        frame = self._frame
        if frame is None:
            self.generic_visit(node)
            return
        self._walk(node)
        exc = node.exc
        if exc is None:
            frame.reraise.append("raise")
            return
        cause = node.cause
        spelled_last = _dotted(exc.func if isinstance(exc, ast.Call) else exc).rsplit(".", 1)[-1]
        if spelled_last in _RETRIES:
            frame.retry = True
        elif frame.validator and spelled_last in _VALIDATION_ERRORS:
            frame.http.append(HttpOutcome(_UNPROCESSABLE, raised=True, text=spelled_last))
            return
        http = self._http_exception(exc)
        if http is not None:
            frame.http.append(http)
            if http.is_5xx and (cause is None or _is_false(cause)):
                self._chain_lost(frame, node, f"raise {http.text}(...)")
            return
        if isinstance(exc, ast.Name) and exc.id == frame.bound:
            frame.reraise.append(f"raise {exc.id}")
            if _is_false(cause):
                self._chain_lost(frame, node, f"raise {exc.id}")
            return
        new_error = isinstance(exc, ast.Call) or (
            isinstance(exc, (ast.Name, ast.Attribute))
            and _dotted(exc).split(".")[-1][:1].isupper()
        )
        spelled = _dotted(exc.func if isinstance(exc, ast.Call) else exc)
        frame.reraise.append(f"raise {spelled}")
        index = -1
        if new_error and (cause is None or _is_false(cause)):
            index = len(frame.chain_lost)
            self._chain_lost(frame, node, f"raise {spelled}(...)")
        if new_error:
            frame.raised.append((spelled.rsplit(".", 1)[-1], index))

    @staticmethod
    def _chain_lost(frame: RawHandler, node: ast.Raise, spelled: str) -> None:
        """Record a raise that drops the caught error as explicit cause.

        Args:
            frame: The handler.
            node: The raise.
            spelled: The raise as shown.
        """
        if node.cause is None:
            detail = f"{spelled} without 'from': the caught error is not its explicit cause"
        else:
            detail = f"{spelled} from None: the caught error is dropped from the event"
        frame.chain_lost.append((node.lineno, detail))

    def visit_Return(self, node: ast.Return) -> None:
        """Record that a handler returns (a default, a response...)."""
        frame = self._frame
        if frame is not None:
            is_none = node.value is None or (
                isinstance(node.value, ast.Constant) and node.value.value is None
            )
            frame.actions.append("returns None" if is_none else "returns a value")
        self.generic_visit(node)

    def visit_Pass(self, node: ast.Pass) -> None:
        """Record ``pass`` in a handler."""
        del node
        if self._frame is not None:
            self._frame.actions.append("pass")

    def visit_Continue(self, node: ast.Continue) -> None:
        """Record ``continue`` in a handler."""
        del node
        if self._frame is not None:
            self._frame.actions.append("continue")

    def visit_Break(self, node: ast.Break) -> None:
        """Record ``break`` in a handler."""
        del node
        if self._frame is not None:
            self._frame.actions.append("break")

    def visit_Try(self, node: ast.Try) -> None:
        """Visit a ``try``: its body, then each handler as a frame of its own."""
        self._try(node)

    def visit_TryStar(self, node: ast.stmt) -> None:
        """Visit a ``try`` with ``except*`` (Python 3.11+) like any ``try``."""
        self._try(node)

    def _try(self, node: ast.stmt) -> None:
        """Visit the body, handlers, ``else`` and ``finally`` of a ``try``.

        Args:
            node: An ``ast.Try`` or ``ast.TryStar``.
        """
        self._body(getattr(node, "body", ()))
        for handler in getattr(node, "handlers", ()):
            self._handler(handler)
        self._body(getattr(node, "orelse", ()))
        self._body(getattr(node, "finalbody", ()))

    def _handler(self, node: ast.ExceptHandler) -> None:
        """Walk one ``except`` handler and record what it does.

        Args:
            node: The handler.
        """
        names = _caught_names(node.type)
        decorated = next((d for _, is_class, d in reversed(self._scopes) if not is_class), False)
        raw = RawHandler(
            line=node.lineno,
            caught="bare except" if node.type is None else _dotted(node.type),
            broad=not names or any(n in _BROAD for n in names),
            control_flow=bool(names) and all(n in _CONTROL_FLOW for n in names),
            function=self._qualname(),
            in_decorated=decorated,
            bound=node.name,
            end_line=node.end_lineno or node.lineno,
            validator=bool(self._validators) and self._validators[-1],
        )
        if node.type is not None and self._spans_keyword(node.type):
            self._walk(node.type)
        self._push(raw)
        self._body(node.body)
        self._pop()
        self.facts.handlers.append(raw)

    def visit_FunctionDef(self, node: Union[ast.FunctionDef, ast.AsyncFunctionDef]) -> None:
        """Visit a function: note whether it is decorated, then walk its body."""
        decorated = False
        validator = False
        qualname = self._define(node)
        for decorator in node.decorator_list:
            if self._is_decorator(decorator):
                decorated = True
                continue
            if self._frame is not None or self._spans_keyword(decorator):
                self._walk(decorator)
            func = decorator.func if isinstance(decorator, ast.Call) else decorator
            last = _dotted(func).rsplit(".", 1)[-1]
            validator = validator or last in _VALIDATORS
            if last == "exception_handler" and isinstance(decorator, ast.Call) and decorator.args:
                exc = self._class_name(decorator.args[0])
                if exc is not None:
                    self.facts.mapped[exc] = self._answer_status(node)
        if decorated:
            self.facts.decorated.add(qualname)
            self.facts.has_capture = True
        self._scopes.append((node.name, False, decorated))
        self._validators.append(validator)
        self._push(None)
        self._body(node.body)
        self._pop()
        self._validators.pop()
        self._scopes.pop()

    visit_AsyncFunctionDef = visit_FunctionDef  # noqa: N815 - ast.NodeVisitor's naming

    def _define(self, node: Union[ast.FunctionDef, ast.AsyncFunctionDef]) -> str:
        """Record what a function definition tells without walking its body.

        Its name, whether it always raises, its decorators, and whether it may log a
        traceback (a project decorator that reports errors).

        Args:
            node: The definition.

        Returns:
            Its qualified name.
        """
        qualname = self._qualified(node.name)
        facts = self.facts
        facts.functions.add(qualname)
        self._defs[qualname] = node
        returns = node.returns
        if returns is not None:
            spelled = returns.value if isinstance(returns, ast.Constant) else _dotted(returns)
            if isinstance(spelled, str) and spelled.rsplit(".", 1)[-1] in _NO_RETURN:
                facts.raisers.add(qualname)
        if node.body and type(node.body[-1]) is ast.Raise:
            facts.raisers.add(qualname)
        if node.decorator_list:
            facts.decorators_of[qualname] = [
                self._resolve(d.func if isinstance(d, ast.Call) else d)[0] or ""
                for d in node.decorator_list
            ]
        if self._lines.traceback(node.lineno, node.end_lineno or node.lineno):
            facts.traceback_functions.add(qualname)
        return qualname

    def _define_class(self, node: ast.ClassDef) -> None:
        """Record a class and the last names of its bases.

        Args:
            node: The class definition.
        """
        self.facts.classes[self._qualified(node.name)] = tuple(
            _dotted(b).rsplit(".", 1)[-1] for b in node.bases if isinstance(b, (ast.Name, ast.Attribute))
        )

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        """Visit a class body (methods get ``Class.method`` names)."""
        self._define_class(node)
        if self._frame is not None or any(self._spans_keyword(b) for b in node.bases):
            self._walk_all(node.bases)
        self._scopes.append((node.name, True, False))
        self._push(None)
        self._body(node.body)
        self._pop()
        self._scopes.pop()


def _text(node: ast.expr) -> str:
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


def visit_module(tree: ast.Module, data: bytes, rel: str, options: AuditOptions) -> ModuleFacts:
    """Gather the facts of one parsed module.

    Args:
        tree: The parsed module.
        data: Its bytes (for the keyword search).
        rel: Its path relative to the audited root.
        options: The audit options.

    Returns:
        The module's facts.
    """
    module, package = module_names(rel)
    keywords = keywords_for(options.capture_helpers, options.decorators)
    visitor = ModuleVisitor(module, package, LineIndex(data, keywords), options)
    visitor.run(tree)
    return visitor.facts
