"""The shared state and name resolution of the module walk, and its expression walk.

Names are resolved through the module's imports (``import sentry_sdk as sdk``,
``from sentry_sdk import capture_exception as ce``) and through simple assignments from
resolved calls (``scope = sentry_sdk.get_current_scope()``), never by raw text.
"""

from __future__ import annotations

import abc
import ast
from fnmatch import fnmatchcase
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Callable, Optional

from autocapture._audit._ast_tools import (
    CHILD_FIELDS,
    LEAVES,
    LEVEL_NAMES,
    NON_NODE_FIELDS,
    SENTRY_CAPTURES,
    STATUS_CONSTANT,
)
from autocapture._audit._facts import (
    ModuleFacts,
    RawHandler,
)
from autocapture._audit._lines import (
    LineIndex,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from autocapture._audit._options import AuditOptions


class WalkerBase(ast.NodeVisitor, metaclass=abc.ABCMeta):
    """State and helpers every concern of the walk shares (the module visitor completes it)."""

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
        if last in SENTRY_CAPTURES:
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
        match = STATUS_CONSTANT.match(parts[-1])
        if match:
            return int(match.group(1))
        if len(parts) > 1 and parts[-2] == "HTTPStatus" and parts[-1] in HTTPStatus.__members__:
            return int(HTTPStatus[parts[-1]])
        return None

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
        return LEVEL_NAMES.get((name or "").rsplit(".", 1)[-1], default)

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
            fields = CHILD_FIELDS.get(cls)
            if fields is None:
                fields = CHILD_FIELDS[cls] = tuple(
                    f for f in cls._fields if f not in NON_NODE_FIELDS
                )
            for name in fields:
                value = getattr(current, name, None)
                if type(value) is list:
                    for item in value:
                        if type(item) not in LEAVES and isinstance(item, ast.AST):
                            push(item)
                elif (
                    value is not None and type(value) not in LEAVES and isinstance(value, ast.AST)
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

    @abc.abstractmethod
    def _call(self, node: ast.Call) -> None:
        """Judge one call; the module visitor combines every concern's judgement.

        Args:
            node: The call.
        """

    @abc.abstractmethod
    def _body(self, body: Iterable[ast.stmt]) -> None:
        """Visit a list of statements; the module visitor prunes and dispatches.

        Args:
            body: The statements.
        """
