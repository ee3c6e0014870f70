"""What an ``except`` handler does with the error: the handler concern of the walk."""

from __future__ import annotations

import ast
import logging
from typing import Optional

from autocapture._audit._ast_tools import (
    ABORTS,
    BROAD,
    CLIENT_ERROR,
    CONTROL_FLOW,
    LOG_LEVELS,
    RETRIES,
    UNPROCESSABLE,
    VALIDATION_ERRORS,
    answer_status,
    argument,
    caught_names,
    dotted,
    is_false,
    keyword_arg,
)
from autocapture._audit._facts import (
    HttpOutcome,
    RawHandler,
)
from autocapture._audit._walk import WalkerBase


class HandlerVisitor(WalkerBase, ast.NodeVisitor):
    """Read handlers: re-raises, HTTP conversions, logging, returns, ``suppress``."""

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
                self._status(argument(node, 0, "status_code"))
                if isinstance(node, ast.Call)
                else None
            )
            return HttpOutcome(status, raised=True, text=last)
        status = answer_status(name)
        return None if status is None else HttpOutcome(status, raised=True, text=last)

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
        if last in LOG_LEVELS and isinstance(node.func, ast.Attribute):
            receiver = name[: -len(last) - 1]
            if "log" in receiver.lower():
                self._log(frame, node, receiver, last)
                return True
        if last.endswith("Response"):
            status = self._status(argument(node, 1, "status_code", "status"))
            if status is not None and status >= CLIENT_ERROR:
                frame.http.append(HttpOutcome(status, raised=False, text=last))
            return True
        if name in ABORTS or (last == "abort" and isinstance(node.func, ast.Name)):
            status = self._status(argument(node, 0, "code"))
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
        level = LOG_LEVELS[method]
        if method == "log" and node.args:
            level = self._level(node.args[0], default=logging.ERROR) or logging.ERROR
        exc_info = keyword_arg(node, "exc_info")
        if isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Call):
            # loguru spells the traceback as logger.opt(exception=...).error(...).
            exception = keyword_arg(node.func.value, "exception")
            if exception is not None and not is_false(exception):
                exc_info = exception
        has_traceback = not is_false(exc_info) if exc_info is not None else method == "exception"
        spelled = f"{receiver.rsplit('.', 1)[-1]}.{method}"
        if has_traceback:
            frame.log_exc_calls.append(spelled)
            if frame.log_exc_level is None or level > frame.log_exc_level:
                frame.log_exc_level = level
        else:
            frame.log_plain_calls.append(spelled)
            if frame.log_plain_level is None or level > frame.log_plain_level:
                frame.log_plain_level = level

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
        spelled_last = dotted(exc.func if isinstance(exc, ast.Call) else exc).rsplit(".", 1)[-1]
        if spelled_last in RETRIES:
            frame.retry = True
        elif frame.validator and spelled_last in VALIDATION_ERRORS:
            frame.http.append(HttpOutcome(UNPROCESSABLE, raised=True, text=spelled_last))
            return
        http = self._http_exception(exc)
        if http is not None:
            frame.http.append(http)
            if http.is_5xx and (cause is None or is_false(cause)):
                self._chain_lost(frame, node, f"raise {http.text}(...)")
            return
        if isinstance(exc, ast.Name) and exc.id == frame.bound:
            frame.reraise.append(f"raise {exc.id}")
            if is_false(cause):
                self._chain_lost(frame, node, f"raise {exc.id}")
            return
        self._new_error(frame, node, exc)

    def _new_error(self, frame: RawHandler, node: ast.Raise, exc: ast.expr) -> None:
        """Record ``raise X(...)`` in a handler: a re-raise, maybe without its chain.

        Args:
            frame: The handler.
            node: The raise.
            exc: The raised expression.
        """
        new_error = isinstance(exc, ast.Call) or (
            isinstance(exc, (ast.Name, ast.Attribute)) and dotted(exc).split(".")[-1][:1].isupper()
        )
        spelled = dotted(exc.func if isinstance(exc, ast.Call) else exc)
        frame.reraise.append(f"raise {spelled}")
        index = -1
        if new_error and (node.cause is None or is_false(node.cause)):
            index = len(frame.chain_lost)
            self._chain_lost(frame, node, f"raise {spelled}(...)")
        if new_error:
            # The app may answer this class itself (a mapped 4xx): judged across modules.
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
        names = caught_names(node.type)
        decorated = next((d for _, is_class, d in reversed(self._scopes) if not is_class), False)
        raw = RawHandler(
            line=node.lineno,
            caught="bare except" if node.type is None else dotted(node.type),
            broad=not names or any(n in BROAD for n in names),
            control_flow=bool(names) and all(n in CONTROL_FLOW for n in names),
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
        names = [dotted(a).rsplit(".", 1)[-1] for a in context.args]
        self.facts.handlers.append(
            RawHandler(
                line=node.lineno,
                caught=", ".join(dotted(a) for a in context.args) or "nothing",
                broad=any(n in BROAD for n in names),
                control_flow=bool(names) and all(n in CONTROL_FLOW for n in names),
                function=self._qualname(),
                in_decorated=False,
                bound=None,
                end_line=node.lineno,
                actions=["contextlib.suppress"],
            )
        )
