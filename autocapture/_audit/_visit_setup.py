"""The app's set-up, the set-up concern of the walk.

``sentry_sdk.init``, capture middleware, exception handlers, ``install_hooks()`` and
``instrument_modules(...)``.
"""

from __future__ import annotations

import ast
import logging
from typing import Optional

from autocapture._audit._ast_tools import (
    AUTOCAPTURE_INSTRUMENT,
    CAPTURE_MIDDLEWARE_5XX,
    DEFAULT_FAILED_STATUS_CODES,
    argument,
    dotted,
    int_set,
    is_false,
    keyword_arg,
    string_constant,
)
from autocapture._audit._facts import (
    RawInit,
    RawMiddleware,
)
from autocapture._audit._walk import WalkerBase


class SetupVisitor(WalkerBase, ast.NodeVisitor):
    """Record how Sentry and the app are set up."""

    def _setup_call(self, node: ast.Call, name: str, last: str, rooted: bool) -> bool:
        """Record a set-up call: init, middleware, exception handlers, autocapture's.

        Args:
            node: The call.
            name: Its resolved name.
            last: The last segment of the name.
            rooted: Whether the name comes from an import.

        Returns:
            True when the call was one of those (it starts no background work).
        """
        if name == "sentry_sdk.init":
            self._init(node)
        elif last == "add_middleware" and node.args:
            self._middleware(node, node.args[0])
        elif name == AUTOCAPTURE_INSTRUMENT:
            self.facts.middleware.append(
                RawMiddleware(node.lineno, "instrument", captures_http_5xx=True)
            )
        elif node.args and (
            last in CAPTURE_MIDDLEWARE_5XX or ("Sentry" in last and last.endswith("Middleware"))
        ):
            # Wrapping the app: AutoCaptureMiddleware(app), SentryAsgiMiddleware(app).
            self._middleware(node, node.func)
        else:
            return self._exception_handlers(node, last) or self._autocapture_call(
                node, name, last, rooted
            )
        return True

    def _exception_handlers(self, node: ast.Call, last: str) -> bool:
        """Record the exceptions the app answers itself (``add_exception_handler``...).

        Args:
            node: The call.
            last: The last segment of its name.

        Returns:
            True when the call registers a handler.
        """
        if last in {"add_exception_handler", "exception_handler"} and node.args:
            exc = self._class_name(node.args[0])
            if exc is not None:
                self.facts.mapped.setdefault(exc, None)
                handler = argument(node, 1, "handler")
                if isinstance(handler, ast.Name):
                    self._mapped_to[exc] = handler.id
            return True
        table = keyword_arg(node, "exception_handlers")
        if isinstance(table, ast.Dict):
            for key, value in zip(table.keys, table.values):
                exc = None if key is None else self._class_name(key)
                if exc is not None:
                    self.facts.mapped.setdefault(exc, None)
                    if isinstance(value, ast.Name):
                        self._mapped_to[exc] = value.id
        return False

    def _autocapture_call(self, node: ast.Call, name: str, last: str, rooted: bool) -> bool:
        """Record ``install_hooks()`` and ``instrument_modules(...)``.

        Args:
            node: The call.
            name: Its resolved name.
            last: The last segment of the name.
            rooted: Whether the name comes from an import.

        Returns:
            True when the call was one of those.
        """
        if not (rooted and name.startswith("autocapture")):
            return False
        if last == "install_hooks":
            self.facts.install_hooks = True
            return True
        if last == "instrument_modules":
            self.facts.instrumented += [
                string_constant(a) for a in node.args if string_constant(a)
            ]
            exclude = keyword_arg(node, "exclude")
            if isinstance(exclude, (ast.Tuple, ast.List, ast.Set)):
                self.facts.instrument_excluded += [
                    string_constant(a) for a in exclude.elts if string_constant(a)
                ]
            elif exclude is not None and string_constant(exclude):
                self.facts.instrument_excluded.append(string_constant(exclude))
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
            return dotted(node).rsplit(".", 1)[-1]
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
                    argument(node, 1, "status_code", "status")
                    if name.endswith("Response")
                    else keyword_arg(node, "status_code")
                )
                status = self._status(arg)
                if status is not None:
                    return status
        return None

    def _init(self, node: ast.Call) -> None:
        """Record ``sentry_sdk.init(...)`` and what its options mean for logging and HTTP.

        Args:
            node: The call.
        """
        defaults = not is_false(keyword_arg(node, "default_integrations"))
        auto = not is_false(keyword_arg(node, "auto_enabling_integrations"))
        level: Optional[int] = logging.ERROR if defaults else None
        codes: Optional[frozenset[int]] = (
            DEFAULT_FAILED_STATUS_CODES if defaults and auto else None
        )
        integrations = keyword_arg(node, "integrations")
        web_codes: Optional[set[int]] = None
        if isinstance(integrations, (ast.List, ast.Tuple, ast.Set)):
            for item in integrations.elts:
                func = item.func if isinstance(item, ast.Call) else item
                kind = (self._resolve(func)[0] or "").rsplit(".", 1)[-1]
                call = item if isinstance(item, ast.Call) else None
                if kind == "LoggingIntegration":
                    level = self._level(
                        None if call is None else keyword_arg(call, "event_level"), logging.ERROR
                    )
                elif kind in {"StarletteIntegration", "FastApiIntegration"}:
                    value = (
                        None if call is None else keyword_arg(call, "failed_request_status_codes")
                    )
                    found = set(DEFAULT_FAILED_STATUS_CODES) if value is None else int_set(value)
                    # An expression the audit cannot read keeps the SDK default.
                    found = set(DEFAULT_FAILED_STATUS_CODES) if found is None else found
                    web_codes = found if web_codes is None else web_codes | found
        if web_codes is not None:
            codes = frozenset(web_codes)
        disabled = keyword_arg(node, "disabled_integrations")
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
                RawMiddleware(node.lineno, name, name in CAPTURE_MIDDLEWARE_5XX)
            )
