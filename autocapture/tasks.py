"""Background work whose errors reach the tracker: asyncio tasks and uncaught-error hooks.

``create_task(coro)`` starts an asyncio task whose failure is captured when it happens;
``install_hooks()`` / ``uninstall_hooks()`` route the uncaught errors of threads, of the
main thread and of asyncio loops to the sinks, chaining the hooks already in place.
Decorated functions need nothing more to work as FastAPI/Starlette background tasks,
``concurrent.futures`` jobs and Celery tasks (put ``@auto_capture_errors`` under
``@app.task``); ``capture_celery_failures(app)`` also captures the tasks that are not
decorated. Nothing here imports Celery or Starlette until it is used.
"""

from __future__ import annotations

from autocapture._celery import capture_celery_failures
from autocapture._hooks import install_hooks, uninstall_hooks
from autocapture._tasks import create_task

__all__ = ["capture_celery_failures", "create_task", "install_hooks", "uninstall_hooks"]
