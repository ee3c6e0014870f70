# ruff: noqa: LOG015,RUF006
# mypy: ignore-errors
"""Background jobs: receipts, cache refresh, the mailer thread."""

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

import autocapture.tasks
from autocapture import auto_capture_errors
from autocapture.tasks import create_task as captured_task

executor = ThreadPoolExecutor(max_workers=4)


def send_receipt(user_id: int) -> None:
    """Send a receipt (errors are lost in the background)."""


@auto_capture_errors
def send_receipt_captured(user_id: int) -> None:
    """Send a receipt, errors captured."""


async def refresh_cache() -> None:
    """Refresh the cache."""


@auto_capture_errors(context_type="cache")
async def warm_cache() -> None:
    """Warm the cache."""


class Mailer:
    def start(self) -> None:
        threading.Thread(target=self._run, daemon=True).start()

    def start_safe(self) -> None:
        threading.Thread(target=self._run_safe, daemon=True).start()

    def _run(self) -> None:
        while True:
            try:
                self._send_one()
            except Exception:  # expect: logged
                logging.exception("mailer loop failed")

    @auto_capture_errors
    def _run_safe(self) -> None:
        self._send_one()

    def _send_one(self) -> None:
        """Send one mail."""


async def schedule() -> None:
    asyncio.create_task(refresh_cache())
    asyncio.create_task(warm_cache())
    captured_task(refresh_cache())
    autocapture.tasks.create_task(refresh_cache(), name="refresh")
    executor.submit(send_receipt, 1)
    loop = asyncio.get_running_loop()
    loop.create_task(refresh_cache())
    async with asyncio.TaskGroup() as tg:
        tg.create_task(refresh_cache())
