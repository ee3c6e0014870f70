"""Build: an event's scrubbed fields from its raw parts, with event-wide redaction.

The middle stage of the capture core (``_capture``), also run at the first read of an
event whose scrubbing was deferred (``_pending``): the same code either way, so an
event reads the same whenever it was built. Everything given here is raw but the
arguments when ``arguments_scrubbed``; every secret found on the way (in the arguments,
the context, a tag, a frame's secret local) is redacted from the rest of the event.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from autocapture._context import user_of
from autocapture._log import report_failure
from autocapture._scrub import REDACTED, EventSecrets, Scrubber, track_secret_locals

__all__ = ["build_fields", "message_text", "redact_known", "safe_str"]

# An exception message can be megabytes (a response body, a whole payload): the event
# keeps its start, as the scrubber does with long strings. The margin is scanned too, so
# that a secret across the cut is still recognised and not left half shown.
_MAX_MESSAGE = 8192
_MESSAGE_SCAN_MARGIN = 2048
_TAG_REPR_LIMIT = 4096


def build_fields(
    scrubber: Scrubber,
    known: EventSecrets,
    *,
    arguments: Mapping[str, Any],
    arguments_scrubbed: bool,
    context: Mapping[str, Any],
    safe_context: Mapping[str, Any] | None,
    bound_context: Callable[[EventSecrets], dict[str, Any]],
    suppressed: int,
    standard_tags: dict[str, str],
    tag_sources: tuple[Mapping[Any, Any], ...],
    frame_locals: list[tuple[str, str]],
    message: tuple[str, int],
) -> dict[str, Any]:
    """The scrubbed ``message``, ``arguments``, ``context``, ``tags`` and ``user``.

    Args:
        scrubber: The scrubber of the capture.
        known: The event's secrets (what ``arguments`` held, when already scrubbed).
        arguments: The call's arguments.
        arguments_scrubbed: True when ``arguments`` were scrubbed with ``known``.
        context: Type fields and explicit context (raw).
        safe_context: Context fields already scrubbed (picked from scrubbed arguments).
        bound_context: Returns the bound context scrubbed, its secrets added to ``known``.
        suppressed: How many events of this fingerprint the storm limit counted.
        standard_tags: Our own tags (names from code).
        tag_sources: The bound tags, then the caller's (raw; the caller's win).
        frame_locals: The failing frames' secret-named str locals (``secret_locals``).
        message: ``message_text(exc)``: the start of ``str(exc)`` and its length.

    Returns:
        The fields, as the event holds them (read-only mappings).
    """
    scrubbed_arguments = (
        dict(arguments) if arguments_scrubbed else scrubber.scrub_mapping(arguments, secrets=known)
    )
    found_in_arguments = len(known)
    merged_context = bound_context(known)
    if known and merged_context:
        # The bound context is scrubbed once per block, without any event's arguments:
        # their secrets are redacted from it here (``bind_context(note=key)`` around a
        # call given ``api_key=key``).
        merged_context = redact_known(scrubber, merged_context, known)
    if context:
        merged_context.update(scrubber.scrub_mapping(context, secrets=known))
    if safe_context:
        merged_context.update(safe_context)
    if suppressed:
        merged_context["suppressed"] = suppressed
    user = user_of(merged_context)
    all_tags = _tags(scrubber, known, standard_tags, tag_sources)
    if suppressed:
        all_tags["autocapture.suppressed"] = str(suppressed)
    try:
        track_secret_locals(scrubber, frame_locals, known)
    except Exception as err:  # at the recursion limit, say: the event still goes
        report_failure("reading the failing frames' secret locals", err)
    if len(known) > found_in_arguments:
        # Secrets only the context or a tag named: the copies made before are
        # redacted again with them (one event, one set of secrets).
        scrubbed_arguments = redact_known(scrubber, scrubbed_arguments, known)
        merged_context = redact_known(scrubber, merged_context, known)
    return {
        "message": _message(scrubber, message, known),
        "arguments": MappingProxyType(scrubbed_arguments),
        "context": MappingProxyType(merged_context),
        "tags": MappingProxyType({k: _tag_value(v) for k, v in all_tags.items()}),
        "user": MappingProxyType(user),
    }


def _tags(
    scrubber: Scrubber,
    known: EventSecrets,
    standard_tags: dict[str, str],
    tag_sources: tuple[Mapping[Any, Any], ...],
) -> dict[str, str]:
    all_tags = dict(standard_tags)
    for given in tag_sources:  # the caller's own tags win
        for k, v in given.items():
            name = _tag_value(scrubber.scrub_text(str(k), secrets=known))
            if scrubber.is_sensitive_key(name):
                known.add(v)
                all_tags[name] = REDACTED
            else:  # scrubbed whole, then cut: a cut must not halve a secret
                all_tags[name] = scrubber.scrub_text(_tag_text(v), secrets=known)
    return all_tags


def message_text(exc: BaseException) -> tuple[str, int]:
    """What the event's message is made from: the start of ``str(exc)`` and its length."""
    text = safe_str(exc)
    return text[: _MAX_MESSAGE + _MESSAGE_SCAN_MARGIN], len(text)


def _message(scrubber: Scrubber, message: tuple[str, int], known: EventSecrets) -> str:
    text, size = message
    if size <= _MAX_MESSAGE:
        return scrubber.scrub_text(text, secrets=known)
    scrubbed = scrubber.scrub_text(text, secrets=known)
    return f"{scrubbed[:_MAX_MESSAGE]}...[truncated {size - _MAX_MESSAGE} chars]"


def safe_str(exc: BaseException) -> str:
    """``str(exc)``, or a placeholder naming its type when that raises."""
    try:
        return str(exc)
    except Exception:
        return f"<unprintable {type(exc).__name__}>"


def _tag_text(value: object) -> str:
    return value if isinstance(value, str) else repr(value)[:_TAG_REPR_LIMIT]


def _tag_value(value: object) -> str:
    # Sentry caps tag values at 200 characters; longer ones are dropped by the server.
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 200 else text[:197] + "..."  # noqa: PLR2004


def redact_known(
    scrubber: Scrubber, scrubbed: dict[str, Any], secrets: EventSecrets
) -> dict[str, Any]:
    """Redact, in a mapping scrubbed earlier, the event's secrets found since.

    A mapping is scrubbed in order, and an event's parts one after the other: a value
    copied before a secret was found (a secret-named argument after it, a secret the
    bound context or a tag names) may hold that secret still. Checking costs one test
    over the mapping's strings and one over its containers' repr (plain data, already
    scrubbed); only a value that holds a known secret is scrubbed again.

    Args:
        scrubber: The configured scrubber.
        scrubbed: A mapping the scrubber returned (changed in place and returned).
        secrets: The event's secrets.

    Returns:
        ``scrubbed``.
    """
    if not secrets:
        return scrubbed
    texts = [v for v in scrubbed.values() if type(v) is str and v != REDACTED]
    containers = [v for v in scrubbed.values() if type(v) is dict or type(v) is list]
    if not (texts and secrets.contains("\0".join(texts))) and not (
        containers and secrets.contains(repr(containers))
    ):
        return scrubbed
    for name, value in scrubbed.items():
        kind = type(value)
        if kind is str:
            if value != REDACTED and secrets.contains(value):
                scrubbed[name] = scrubber.scrub_text(value, secrets=secrets)
        elif (kind is dict or kind is list) and secrets.contains(repr(value)):
            scrubbed[name] = scrubber.scrub(value, secrets=secrets)
    return scrubbed
