"""Storms: how many events of one error pass, and what the rest leave behind (a count).

An error storm is one bug firing thousands of times a second (a provider down, a database
gone). Every event of it says the same thing; building and sending each one costs the
failing caller time, the error tracker quota, and makes which events survive the SDK's
own queue arbitrary. So events are limited per *fingerprint* (exception type, function,
raising line) and the suppressed ones are only counted: the next event of the fingerprint
that passes carries the count.

``RateLimit`` is the setting (data); ``Limiter`` is the state behind it: one lock, one
bounded LRU of fingerprints, one process-wide window. Deciding costs a lookup and a few
comparisons under the lock, a small fraction of building an event.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

__all__ = ["DEFAULT_RATE_LIMIT", "Limiter", "RateLimit", "check_rate_limit", "fingerprint"]


@dataclasses.dataclass(frozen=True)
class RateLimit:
    """How many events of one fingerprint pass per window, and a process-wide ceiling.

    A fingerprint's window opens at its first event and lasts ``per_seconds``: the first
    ``burst`` events in it pass, the others are counted and the next event that passes
    (in a later window) carries the count.
    """

    burst: int = 10
    """Events of one fingerprint that pass per window (at least 1)."""
    per_seconds: float = 60.0
    """The window's length, in seconds (more than 0)."""
    max_per_second: int = 100
    """Events per second that pass across all fingerprints together (at least 1): as many
    as sentry-sdk's transport queue holds (100), so a storm of many different errors
    cannot make the SDK drop arbitrary events as ``queue_overflow``."""
    max_fingerprints: int = 10_000
    """Fingerprints remembered at most; the least recently seen is forgotten first."""

    def __post_init__(self) -> None:
        """Refuse settings that cannot mean anything, at the boundary.

        Raises:
            TypeError: A field has the wrong type.
            ValueError: A field is out of range.
        """
        for name in ("burst", "max_per_second", "max_fingerprints"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(
                    f"RateLimit({name}=...) takes an int, got {type(value).__name__} {value!r}"
                )
            if value < 1:
                raise ValueError(f"RateLimit({name}=...) must be at least 1, got {value!r}")
        per = self.per_seconds
        if isinstance(per, bool) or not isinstance(per, (int, float)):
            raise TypeError(
                f"RateLimit(per_seconds=...) takes a number of seconds, got "
                f"{type(per).__name__} {per!r}"
            )
        if not 0 < per < float("inf"):
            raise ValueError(f"RateLimit(per_seconds=...) must be more than 0, got {per!r}")


DEFAULT_RATE_LIMIT = RateLimit()


def check_rate_limit(value: object) -> RateLimit | None:
    """Validate ``configure(rate_limit=...)``.

    Returns:
        The ``RateLimit``, or ``None`` (no limit).

    Raises:
        TypeError: ``value`` is neither a ``RateLimit`` nor ``None``.
    """
    if value is None or isinstance(value, RateLimit):
        return value
    raise TypeError(
        "configure(rate_limit=...) takes an autocapture.RateLimit, e.g. "
        "RateLimit(burst=10, per_seconds=60.0), or None to turn rate limiting off; got "
        f"{type(value).__name__} {value!r}"
    )


def fingerprint(exc: BaseException, function: str) -> tuple[Any, ...]:
    """Return what makes two errors the same for rate limiting.

    The exception type, the function reporting it and the line that raised it (the last
    frame of the traceback; none for an exception that was never raised).
    """
    tb = exc.__traceback__
    if tb is None:
        return (type(exc), function, None, 0)
    while tb.tb_next is not None:
        tb = tb.tb_next
    return (type(exc), function, tb.tb_frame.f_code.co_filename, tb.tb_lineno)


class Limiter:
    """The rate limiting state for one ``RateLimit``; thread-safe."""

    def __init__(self, settings: RateLimit, clock: Any = time.monotonic) -> None:
        """Start with no fingerprint seen.

        Args:
            settings: The limits.
            clock: Seconds, monotonic (tests pass a fake one).
        """
        self.settings = settings
        self._clock = clock
        self._lock = threading.Lock()
        # fingerprint -> [window start, passed in window, suppressed since last passed]
        self._seen: OrderedDict[Hashable, list[Any]] = OrderedDict()
        self._second_start = float("-inf")
        self._second_passed = 0

    def admit(self, key: Hashable) -> int | None:
        """Decide whether the event of fingerprint ``key`` passes.

        Returns:
            ``None`` when it is suppressed (now counted); otherwise how many events of
            that fingerprint were suppressed since the last one that passed.
        """
        settings = self.settings
        now = self._clock()
        with self._lock:
            seen = self._seen
            state = seen.get(key)
            if state is None:
                state = [now, 0, 0]
                seen[key] = state
                if len(seen) > settings.max_fingerprints:
                    seen.popitem(last=False)
            else:
                seen.move_to_end(key)
                if now - state[0] >= settings.per_seconds:
                    state[0] = now
                    state[1] = 0
            if state[1] >= settings.burst:
                state[2] += 1
                return None
            if now - self._second_start >= 1.0:
                self._second_start = now
                self._second_passed = 0
            if self._second_passed >= settings.max_per_second:
                state[2] += 1
                return None
            self._second_passed += 1
            state[1] += 1
            suppressed: int = state[2]
            state[2] = 0
            return suppressed

    def __len__(self) -> int:
        """Return how many fingerprints are remembered."""
        with self._lock:
            return len(self._seen)


_limiter: Limiter | None = None
_limiter_lock = threading.Lock()


def limiter_for(settings: RateLimit) -> Limiter:
    """Return the process's limiter for ``settings``; a new setting starts afresh."""
    global _limiter  # noqa: PLW0603 - one rate limiting state per process
    limiter = _limiter
    if limiter is not None and limiter.settings is settings:
        return limiter
    with _limiter_lock:
        if _limiter is None or _limiter.settings is not settings:
            _limiter = Limiter(settings)
        return _limiter


def _reset() -> None:
    """Forget every fingerprint (for tests)."""
    global _limiter  # noqa: PLW0603
    with _limiter_lock:
        _limiter = None


def _after_fork() -> None:
    # A thread of the parent may have held a lock at the fork: the child starts afresh.
    global _limiter, _limiter_lock  # noqa: PLW0603
    _limiter = None
    _limiter_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)
