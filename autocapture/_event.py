"""The event, and what receives it: every sink gets a ``CapturedError`` through ``emit``."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from autocapture._stack import StackFrame

__all__ = ["CapturedError", "Sink", "at_capture"]


@dataclasses.dataclass(frozen=True)
class CapturedError:
    """One reported error, scrubbed and ready for a sink.

    Everything but ``exception`` is already scrubbed and JSON-compatible, so a sink can ship
    the fields as they are. ``exception`` is the original object, for sinks that need its
    traceback (Sentry, logging); such sinks must scrub what they derive from it.
    """

    event_id: str
    """32 lowercase hex characters; the same id Sentry stores."""
    exception: BaseException = dataclasses.field(repr=False)
    """The original exception object (left out of ``repr``: its message is not scrubbed)."""
    message: str
    """``str(exception)``, scrubbed."""
    context_type: str
    """One of the built-in context types (``"provider"``, ``"database"``...) or a custom one."""
    operation: str | None
    """The operation that failed (``"insert"``, ``"charge"``...), when known."""
    function: str
    """Qualified name of the failing function: ``"app.db.users.get_user"``."""
    module: str
    """Module of the failing function."""
    arguments: Mapping[str, Any]
    """The call's arguments, scrubbed; never ``self`` or ``cls``."""
    context: Mapping[str, Any]
    """Well-known fields of the context type plus the bound context, scrubbed."""
    tags: Mapping[str, str]
    """At least ``context_type``, ``function``, ``module``, and ``operation`` when known."""
    level: str
    """``"fatal"``, ``"error"``, ``"warning"`` or ``"info"``."""
    timestamp: datetime
    """When the error was captured, timezone-aware UTC."""
    handled: bool = True
    """False when the error went on propagating (Sentry's ``mechanism.handled``)."""
    user: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    """The user the error happened for (``id``, ``email``...), scrubbed; empty when unknown."""
    callers: tuple[StackFrame, ...] = ()
    """What called the failing function, outermost first (file, line, function, module):
    the stack above the frame that caught the error, copied as data when it was captured.
    Sinks show it above the exception's own traceback. Empty for explicit captures."""

    def __getattr__(self, name: str) -> Any:
        # Only for a name missing from the instance: the scrubbed fields of an event a
        # plain MemorySink received are built at their first read (``_pending``).
        held = self.__dict__
        pending = held.get("_pending")
        if pending is not None and name in _DEFERRED:
            pending.fill(self)
            if name in held:
                return held[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __getstate__(self) -> dict[str, Any]:
        """The fields, built first if they are pending (a copy holds no snapshot)."""
        pending = self.__dict__.get("_pending")
        if pending is not None:
            pending.fill(self)
        return {k: v for k, v in self.__dict__.items() if k != "_pending"}


# The fields ``_pending`` builds at the first read.
_DEFERRED = frozenset(("message", "arguments", "context", "tags", "user", "callers", "timestamp"))
# A field with a plain default is also a class attribute, which an instance read finds
# before ``__getattr__``; ``callers`` is deferred, so its default lives in ``__init__``
# (and in ``dataclasses.fields``) only.
del CapturedError.callers


@runtime_checkable
class Sink(Protocol):
    """What the capture core needs of a sink.

    ``emit`` may raise anything: the capture core reports the failure on the
    ``autocapture`` logger and the user's exception propagates unchanged. Only
    ``KeyboardInterrupt`` goes through (``SystemExit``, ``GeneratorExit`` and custom
    ``BaseException`` subclasses are reported like any failure).
    """

    def emit(self, event: CapturedError) -> None:
        """Deliver one event."""


def at_capture(event: CapturedError) -> BaseException:
    """The exception as it was when captured, for the built-in sinks to read its frames.

    On the caller that is ``event.exception`` itself. An event queued for background
    delivery also carries a snapshot taken on the caller (``_delivery``): its frames and
    their locals, copied and scrubbed before the failing frames died or changed. Custom
    sinks still get the original object in ``exception`` (API: "the original object").
    """
    return event.__dict__.get("_at_capture", event.exception)  # type: ignore[no-any-return]
