"""Background starts (tasks, threads, executor jobs) and their targets."""

from __future__ import annotations

import ast
from typing import Optional

from autocapture._audit._ast_tools import (
    ASYNCIO_STARTS,
    AWAITS_ARGUMENTS,
    TASK_GROUP_HINTS,
    argument,
    dotted,
    is_false,
    keyword_arg,
)
from autocapture._audit._facts import (
    RawBackground,
)
from autocapture._audit._walk import WalkerBase


class BackgroundVisitor(WalkerBase, ast.NodeVisitor):
    """Record starts of background work and name what they run."""

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
        shown = dotted(node.func) if isinstance(node.func, ast.Attribute) else name
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
        if awaited and (name in AWAITS_ARGUMENTS or last in ASYNCIO_STARTS):
            self._await_arguments(node, name)
        target: Optional[ast.expr] = None
        if last == "add_task":
            target = argument(node, 0, "func")
        elif last in ASYNCIO_STARTS:
            # A task group, too, re-raises its tasks' errors in the awaiting code.
            if not awaited and not any(hint in receiver for hint in TASK_GROUP_HINTS):
                target = argument(node, 0, "coro", "coro_or_future")
        elif last == "run_in_executor":
            target = None if awaited else argument(node, 1, "func")
        elif name == "threading.Thread":
            target = argument(node, 1, "target")
        elif name == "threading.Timer":
            target = argument(node, 1, "function")
        elif last in {"submit", "map"} and (
            "executor" in receiver.lower() or "pool" in receiver.lower()
        ):
            target = argument(node, 0, "fn", "func")
        return target

    def _await_arguments(self, node: ast.Call, name: str) -> None:
        """Mark the awaitables an awaited call awaits in turn as awaited too.

        Args:
            node: An awaited ``asyncio.gather``, ``wait_for``, ``shield``, ``create_task``
                or ``ensure_future`` call.
            name: Its resolved name.
        """
        returned = keyword_arg(node, "return_exceptions")
        if name == "asyncio.gather" and returned is not None and not is_false(returned):
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
        shown = dotted(target) if isinstance(target, (ast.Name, ast.Attribute)) else None
        self.facts.background.append(RawBackground(line, call, shown, local_key, qualified, via))
