"""The library's own voice: failures of autocapture itself, reported without flooding."""

from __future__ import annotations

import logging
import threading
import time

from autocapture._config import get_config

__all__ = ["logger", "report_failure"]

logger = logging.getLogger("autocapture")

# One report per (what, exception type) per window: a sink that fails on every event must
# not turn each user error into a log line of ours.
_WINDOW_SECONDS = 60.0
_last_reported: dict[tuple[str, type[BaseException]], tuple[float, int]] = {}
_lock = threading.Lock()


def report_failure(what: str, exc: BaseException) -> None:
    """Log that autocapture failed at ``what``, at most once a minute per kind of failure.

    Args:
        what: A short description of the failing step (``"sink MemorySink.emit"``).
        exc: The exception autocapture caught from that step.
    """
    key = (what, type(exc))
    now = time.monotonic()
    with _lock:
        last, suppressed = _last_reported.get(key, (float("-inf"), 0))
        if now - last < _WINDOW_SECONDS:
            _last_reported[key] = (last, suppressed + 1)
            return
        _last_reported[key] = (now, 0)
        if len(_last_reported) > 1024:  # noqa: PLR2004 - a bound, not a magic number
            # Forget the oldest kinds so that a flood of distinct failures stays bounded.
            for stale in sorted(_last_reported, key=lambda k: _last_reported[k][0])[:512]:
                del _last_reported[stale]
    try:
        logger.warning(
            "autocapture failed at %s: %s: %s%s; the user's error is unaffected",
            what,
            type(exc).__name__,
            _safe_str(exc),
            f" ({suppressed} similar failures suppressed)" if suppressed else "",
        )
    except KeyboardInterrupt:
        raise
    except BaseException:  # noqa: S110 - logging itself failed: nowhere left to report
        pass


def _safe_str(exc: BaseException) -> str:
    # The failure may come from user code (a sink that fails with the URL and token it
    # used, a predicate, a resolver): its message is scrubbed like any other, and bounded.
    try:
        text = str(exc)
    except KeyboardInterrupt:
        raise
    except BaseException:  # whatever a __str__ raises, the report goes on
        return "<unprintable>"
    try:
        text = get_config().scrubber.scrub_text(text)
    except KeyboardInterrupt:
        raise
    except BaseException:  # a scrub callback raising SystemExit, say
        return "<message withheld: it could not be scrubbed>"
    return text if len(text) <= 200 else text[:200] + "..."  # noqa: PLR2004


def _reset() -> None:
    """Forget the rate limiting state (for tests)."""
    with _lock:
        _last_reported.clear()
