"""Celery: capture the failures of tasks that are not decorated, from the worker's signal.

A task decorated with ``@auto_capture_errors`` (under ``@app.task``) needs nothing from
here. ``capture_celery_failures`` connects Celery's ``task_failure`` signal, which the
worker sends for a task that raised (not for ``Retry``, ``Ignore`` or ``Reject``, which are
Celery's control flow), so that every task's failure is captured once: a decorated task's
error was already reported and is not reported again. Celery is imported only when it is
called.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from autocapture._context import bind_context
from autocapture._log import report_failure
from autocapture._plan import Plan

__all__ = ["capture_celery_failures"]


class _FailureReporter:
    """The ``task_failure`` receiver for one app (or every app when ``app`` is None)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._plans: dict[str, Plan] = {}
        self._lock = threading.Lock()

    def __call__(
        self,
        sender: Any = None,
        task_id: str | None = None,
        exception: BaseException | None = None,
        args: Any = None,
        kwargs: Any = None,
        **_: Any,
    ) -> None:
        if not isinstance(exception, Exception) or sender is None:
            return
        if self.app is not None and getattr(sender, "app", None) is not self.app:
            return
        try:
            name = str(getattr(sender, "name", None) or type(sender).__qualname__)
            plan = self._plan(name, sender)
            with bind_context(celery_task=name, celery_task_id=task_id):
                plan.handle(
                    exception,
                    tuple(args) if isinstance(args, (list, tuple)) else (),
                    dict(kwargs) if isinstance(kwargs, dict) else {},
                )
        except Exception as err:
            report_failure("reporting a Celery task failure", err)

    def _plan(self, name: str, task: Any) -> Plan:
        plan = self._plans.get(name)
        if plan is None:
            # The task's own function names the event and gives the argument names.
            run = getattr(task, "run", task)
            plan = Plan(
                run,
                context_type=None,
                operation=None,
                reraise=True,
                capture_args=True,
                tags={"celery_task": name},
                sink=None,
                ignore_types=(),
                ignore_predicate=None,
                level="error",
            )
            with self._lock:
                self._plans.setdefault(name, plan)
        return plan


def capture_celery_failures(app: Any = None) -> Callable[[], None]:
    """Capture the failure of every Celery task, decorated or not, once.

    Connects Celery's ``task_failure`` signal. The event names the task's function, carries
    its scrubbed arguments, the tag ``celery_task`` and the context ``celery_task`` and
    ``celery_task_id``. Celery still records the failure as usual. Calling it again for the
    same app connects nothing more.

    Args:
        app: Only the tasks of this ``Celery`` app; ``None``: the tasks of every app.

    Returns:
        A function that disconnects the signal again.

    Raises:
        ImportError: Celery is not installed (``pip install 'autocapture[celery]'``).
    """
    try:
        from celery.signals import task_failure
    except ImportError as err:  # pragma: no cover - the test environment has Celery
        raise ImportError(
            "capture_celery_failures needs Celery: pip install 'autocapture[celery]'"
        ) from err
    uid = f"autocapture.capture_celery_failures:{id(app) if app is not None else 'all'}"
    task_failure.connect(_FailureReporter(app), weak=False, dispatch_uid=uid)

    def disconnect() -> None:
        task_failure.disconnect(dispatch_uid=uid)

    return disconnect
