"""A cache in front of the model catalogue."""

from __future__ import annotations

from autocapture import auto_capture_errors


@auto_capture_errors(reraise=False, default=[])
def get_cached_models(key: str) -> list[str]:
    """Read the catalogue from the cache; the cache is down, so an empty list is served."""
    raise ConnectionRefusedError(f"redis://cache:6379 refused the connection for {key}")
