"""A plain ``MemorySink``'s event: a snapshot taken on the caller, scrubbed at its first read.

A ``MemorySink`` only appends the event to a list; whoever reads it (a test, a health
page) reads it later, or never. So for that sink the failing call keeps what the event
is made of *as it was at the capture*, and the scrubbing (most of an event's cost) runs
when one of its scrubbed fields is first read, all of them at once, by the same code
that builds any other event (``_build``), under a lock (one event, one build).

What is kept is what could change or vanish once the call returns: a copy of the
arguments' containers (strings and numbers are immutable and shared), the start of
``str(exc)``, the failing frames' secret-named str locals, the callers, the bound tags
and the bound context (scrubbed at once: a request's context is scrubbed once per
request anyway). The scrubber and the rules are those of the capture.

Only where no user code would run at the read: the arguments must be plain data
(dicts with str keys, lists, tuples, str, int, float, bool, None, within the scrubber's
depth and item limits), the tags plain values, and the scrubber without a callback or
extra patterns (user code whose time budget belongs to the failing call). Otherwise, or
for any other sink, the event is built on the caller as before. Until the read, the
event's ``__dict__`` holds the snapshot behind an object that shows nothing of it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from time import time
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from autocapture._build import build_fields, message_text, redact_known
from autocapture._context import bound_context, bound_tags, scrubbed_bound_context
from autocapture._log import report_failure
from autocapture._scrub import REDACTED, EventSecrets, Scrubber, secret_locals
from autocapture._stack import resolve

if TYPE_CHECKING:
    from autocapture._event import CapturedError
    from autocapture._stack import RawCaller

__all__ = ["Pending", "defer", "inert", "plain_copy"]

_SCALARS = frozenset((str, int, float, bool, type(None)))
# Containers and items a snapshot copies at most; a bigger call is scrubbed on the caller
# (scrubbing bounds it, a copy would not).
_MAX_NODES = 1000
# One lock for every pending event: a build is short, and rare next to the failures.
_fill_lock = threading.RLock()

# What the plan hands over: the arguments' snapshot, the callers (``raw_callers``), and
# the function that picks the context fields from the scrubbed arguments.
Snapshot = tuple[dict[str, Any], "list[RawCaller]", Callable[[dict[str, Any]], dict[str, Any]]]


class _NotPlainError(Exception):
    """The value is not plain data within the limits: scrub it on the caller."""


def inert(scrubber: Scrubber) -> bool:
    """Tell whether ``scrubber`` runs no user code (no callback, no extra patterns)."""
    options = scrubber.options
    return options.callback is None and not options.extra_patterns


def plain_copy(arguments: dict[str, Any], scrubber: Scrubber) -> dict[str, Any] | None:
    """The arguments with their containers copied, or None when they are not plain data.

    Args:
        arguments: The bound arguments (raw), a dict of the caller's own: the plan binds
            them into a new dict at each failure, so it is not copied again but changed
            in place (its values replaced by their copies).
        scrubber: The capture's scrubber, whose depth and item limits bound the copy.

    Returns:
        ``arguments``, its dicts, lists and tuples copied, its scalars shared.
    """
    options = scrubber.options
    max_depth, max_items = options.max_depth, options.max_items
    if len(arguments) > max_items:
        return None
    room = [_MAX_NODES - len(arguments)]
    scalars = _SCALARS
    try:
        for name, value in arguments.items():
            if type(name) is not str:
                return None
            if type(value) not in scalars:
                arguments[name] = _copy(value, 1, max_depth, max_items, room)
    except (_NotPlainError, RecursionError):
        return None
    return arguments


def _copy(value: Any, depth: int, max_depth: int, max_items: int, room: list[int]) -> Any:
    # The walker's own limits, checked before copying: a container it would cut (too
    # deep, too many items) is no snapshot's business, it is scrubbed on the caller.
    kind = type(value)
    if (kind is not dict and kind is not list and kind is not tuple) or depth >= max_depth:
        raise _NotPlainError
    size = len(value)
    room[0] -= size
    if size > max_items or room[0] < 0:
        raise _NotPlainError
    scalars = _SCALARS
    if kind is dict:
        out = value.copy()
        for k, v in out.items():
            if type(k) is not str:
                raise _NotPlainError
            if type(v) not in scalars:
                out[k] = _copy(v, depth + 1, max_depth, max_items, room)
        return out
    items = list(value)
    for i, v in enumerate(items):
        if type(v) not in scalars:
            items[i] = _copy(v, depth + 1, max_depth, max_items, room)
    return items if kind is list else tuple(items)


def _plain_tags(tags: Mapping[Any, Any]) -> bool:
    return all(type(k) is str and type(v) in _SCALARS for k, v in tags.items())


class Pending:
    """The snapshot of one event, until its first read builds the scrubbed fields."""

    __slots__ = (
        "arguments",
        "bound",
        "bound_secrets",
        "building",
        "callers",
        "fields_of",
        "frame_locals",
        "function",
        "message",
        "scrubber",
        "standard_tags",
        "suppressed",
        "tag_sources",
        "time",
    )

    arguments: dict[str, Any]
    bound: dict[str, Any]
    bound_secrets: tuple[str, ...]
    building: bool
    callers: list[RawCaller]
    fields_of: Callable[[dict[str, Any]], dict[str, Any]]
    frame_locals: list[tuple[str, str]]
    function: str
    message: tuple[str, int]
    scrubber: Scrubber
    standard_tags: dict[str, str]
    suppressed: int
    tag_sources: tuple[Mapping[Any, Any], ...]
    time: float  # ``time.time()`` at the capture: datetime.now's clock, made a datetime later

    def __repr__(self) -> str:  # never what it holds
        return "<autocapture: the event's fields, scrubbed at their first read>"

    def fill(self, event: CapturedError) -> None:
        """Build the event's scrubbed fields into it, once; never raises (but Ctrl-C)."""
        with _fill_lock:
            held = event.__dict__
            if held.get("_pending") is not self or self.building:
                return  # built already, or being built by this thread (a report reads it)
            try:
                fields = self._build()
                fields["callers"] = resolve(self.callers)
                fields["timestamp"] = datetime.fromtimestamp(self.time, timezone.utc)
            except KeyboardInterrupt:
                raise
            except BaseException as err:  # at the recursion limit, say
                report_failure("building an event", err)
                fields = self._placeholders()
            held.update(fields)
            del held["_pending"]  # and with it the raw snapshot

    def _build(self) -> dict[str, Any]:
        scrubber, known = self.scrubber, EventSecrets()
        self.building = True
        try:
            # As the plan's prepare does on the caller for any other sink.
            arguments = scrubber.scrub_mapping(self.arguments, secrets=known)
            arguments = redact_known(scrubber, arguments, known)
            safe_context = self.fields_of(arguments)
        except KeyboardInterrupt:
            raise
        except BaseException as err:
            report_failure(f"collecting the context of {self.function}", err)
            arguments, safe_context = {}, {}

        def bound(secrets: EventSecrets) -> dict[str, Any]:
            secrets.add_all(self.bound_secrets)
            return dict(self.bound)

        return build_fields(
            scrubber,
            known,
            arguments=arguments,
            arguments_scrubbed=True,
            context={},
            safe_context=safe_context,
            bound_context=bound,
            suppressed=self.suppressed,
            standard_tags=self.standard_tags,
            tag_sources=self.tag_sources,
            frame_locals=self.frame_locals,
            message=self.message,
        )

    def _placeholders(self) -> dict[str, Any]:
        # Nothing of the snapshot: our own names only.
        return {
            "message": REDACTED,
            "arguments": MappingProxyType({}),
            "context": MappingProxyType({}),
            "tags": MappingProxyType(dict(self.standard_tags)),
            "user": MappingProxyType({}),
            "callers": (),
            "timestamp": datetime.fromtimestamp(self.time, timezone.utc),
        }


def defer(
    exc: BaseException,
    snapshot: Callable[[], Snapshot | None],
    scrubber: Scrubber,
    function: str,
    context_type: str,
    standard_tags: dict[str, str],
    tags: Mapping[str, str],
    suppressed: int,
) -> Pending | None:
    """Take the snapshot of an event for a plain ``MemorySink``; None: build it now.

    ``tags`` are the decorator's, validated (str to str) and never changed: kept as they
    are. The bound tags are copied.

    Returns:
        The pending fields, or None when something is not plain data (the caller then
        builds the event as for any sink).
    """
    taken = snapshot()
    if taken is None:
        return None
    arguments, callers, fields_of = taken
    context = bound_context(exc)
    given_tags = bound_tags(exc, context_type, context)
    if given_tags:  # a request's: a copy, as they are now
        given_tags = dict(given_tags)
        if not _plain_tags(given_tags):
            return None
    bound: dict[str, Any] = {}
    bound_secrets: tuple[str, ...] = ()
    if context:  # most failures happen outside any bind_context block
        bound_found = EventSecrets(remember_reprs=False)
        bound = scrubbed_bound_context(scrubber, bound_found, exc)
        bound_secrets = tuple(bound_found.values)
    try:
        frame_locals = secret_locals(scrubber, exc)
    except Exception as err:  # at the recursion limit, say: the event still goes
        report_failure("reading the failing frames' secret locals", err)
        frame_locals = []
    pending = Pending()
    pending.time = time()
    pending.building = False
    pending.arguments = arguments
    pending.bound = bound
    pending.bound_secrets = bound_secrets
    pending.callers = callers
    pending.fields_of = fields_of
    pending.frame_locals = frame_locals
    pending.function = function
    pending.message = message_text(exc)
    pending.scrubber = scrubber
    pending.standard_tags = standard_tags
    pending.suppressed = suppressed
    pending.tag_sources = (given_tags, tags)
    return pending
