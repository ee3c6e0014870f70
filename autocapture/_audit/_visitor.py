"""One pruned walk per module that gathers the facts the audit judges.

Speed matters (the audit must cost little more than ``ast.parse``), so the walk visits
statements only, and descends into expressions in two cases: inside ``except`` handlers,
and in statements whose lines hold one of a few keywords (see ``_lines``). One walk,
several concerns, each in its own module: handlers (``_visit_handlers``), background
starts (``_visit_background``), Sentry and app set-up (``_visit_setup``); this module
holds the statement dispatch and definitions (functions, classes, imports).
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Optional, Union

from autocapture._audit._ast_tools import (
    ALWAYS,
    BLOCKS,
    DEFAULT_FAILED_STATUS_CODES,
    NO_RETURN,
    VALIDATORS,
    dotted,
    module_names,
)
from autocapture._audit._facts import (
    HttpOutcome,
    ModuleFacts,
    RawBackground,
    RawHandler,
)
from autocapture._audit._lines import (
    LineIndex,
    keywords_for,
)
from autocapture._audit._visit_background import BackgroundVisitor
from autocapture._audit._visit_handlers import HandlerVisitor
from autocapture._audit._visit_setup import SetupVisitor

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from autocapture._audit._options import AuditOptions

__all__ = [
    "DEFAULT_FAILED_STATUS_CODES",
    "HttpOutcome",
    "ModuleFacts",
    "ModuleVisitor",
    "RawBackground",
    "RawHandler",
    "visit_module",
]


class ModuleVisitor(HandlerVisitor, BackgroundVisitor, SetupVisitor, ast.NodeVisitor):
    """Walk one module's statements once and gather its :class:`ModuleFacts`."""

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
        if not self._setup_call(node, name, last, rooted):
            self._background(node, name, last, rooted)

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
            if prune and self._frame is None and kind not in ALWAYS:
                end = stmt.end_lineno or stmt.lineno
                if kind in BLOCKS:
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
            last = dotted(func).rsplit(".", 1)[-1]
            validator = validator or last in VALIDATORS
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
            spelled = returns.value if isinstance(returns, ast.Constant) else dotted(returns)
            if isinstance(spelled, str) and spelled.rsplit(".", 1)[-1] in NO_RETURN:
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
            dotted(b).rsplit(".", 1)[-1]
            for b in node.bases
            if isinstance(b, (ast.Name, ast.Attribute))
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
