"""Background jobs, run by an executor as the audited service's cron-like tasks are."""

from __future__ import annotations

import threading

from autocapture import auto_capture_errors


@auto_capture_errors(context_type="provider", operation="sync")
def sync_model_catalog(provider: str, timeout_s: float) -> int:
    """Refresh the model catalogue from a provider; it times out."""
    raise TimeoutError(f"{provider} catalogue did not answer within {timeout_s}s")


def _refresh_pricing() -> None:
    raise RuntimeError("pricing feed unavailable")


def start_pricing_refresh() -> threading.Thread:
    """Start a fire-and-forget refresh thread, as the audited service does (not captured)."""
    thread = threading.Thread(target=_refresh_pricing, daemon=True)
    thread.start()
    return thread
