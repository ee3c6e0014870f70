"""The last step before anything leaves for Sentry: scrub every event, transaction and crumb.

Event processors run before the scope processors that Sentry's integrations add (the
Starlette/FastAPI request with its query string, body and headers), so a scrubber there
sees too little. This module composes with the client's own ``before_send``,
``before_send_transaction`` and ``before_breadcrumb``: the user's callback runs first,
ours runs last, on exactly what would leave the process. It is installed on each client
at its first use (its first event, or autocapture's first send).

What autocapture built itself (the exception values of its own events, scrubbed from the
live objects) is marked in the hint and not scrubbed a second time.

Our scrub fails closed: whatever it raises (but ``KeyboardInterrupt``), the item is dropped
and the failure reported on autocapture's logger, never handed to Sentry's own guard
(which would keep a breadcrumb as it was). The user's callbacks are not guarded by us:
their failures are Sentry's to handle, as without autocapture.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Optional

from autocapture._config import get_config
from autocapture._log import report_failure
from autocapture._scrub import REDACTED, Scrubber

__all__ = ["BUILT", "ensure_exit_scrub", "scrub_sentry_event"]

# Hint key of events autocapture built: the names of the parts it built already scrubbed.
BUILT = "autocapture_built"

_MARK = "__autocapture_exit_scrub__"
_lock = threading.Lock()

# Keys of a Sentry event that carry user or request data; everything else is structure
# (ids, sdk info, timestamps) that a scrubber must not rewrite.
_DATA_KEYS = ("request", "user", "tags", "logentry")

Callback = Callable[[Any, Any], Any]


def ensure_exit_scrub(client: Any) -> None:
    """Make ``client`` scrub what leaves it, after the user's own callbacks (idempotent).

    Args:
        client: A ``sentry_sdk`` client; an inactive one (no DSN) is left alone.
    """
    try:
        options = client.options
        if getattr(options.get("before_send"), _MARK, False) or not client.is_active():
            return
        with _lock:
            if getattr(options.get("before_send"), _MARK, False):
                return
            options["before_send_transaction"] = _compose(
                options.get("before_send_transaction"), _scrub_transaction
            )
            options["before_breadcrumb"] = _compose(options.get("before_breadcrumb"), _scrub_crumb)
            options["before_send"] = _compose(options.get("before_send"), _scrub_event)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # called on the capture path: nothing of ours escapes
        report_failure("installing the Sentry exit scrubber", exc)


def _compose(user: Optional[Callback], ours: Callback) -> Callback:
    def exit_scrub(item: Any, hint: Any) -> Any:
        if user is not None:
            # Not guarded: whatever the user's callback raises, Sentry handles as without
            # us (it drops an event, keeps a breadcrumb as it was, and logs the error).
            item = user(item, hint)
            if item is None:
                return None
        return ours(item, hint)

    setattr(exit_scrub, _MARK, True)
    exit_scrub.__wrapped__ = user  # type: ignore[attr-defined]
    return exit_scrub


def _scrub_event(event: Any, hint: Any) -> Any:
    built = (hint or {}).get(BUILT) or {}
    return _fail_closed("a Sentry event", _scrubbed_event, event, built)


def _scrub_transaction(event: Any, _hint: Any) -> Any:
    return _fail_closed("a Sentry transaction", _scrubbed_event, event, {})


def _scrub_crumb(crumb: Any, _hint: Any) -> Any:
    if not isinstance(crumb, dict):
        return crumb
    return _fail_closed("a Sentry breadcrumb", _scrubbed_crumb, crumb, None)


def _scrubbed_crumb(crumb: dict[str, Any], _built: Any) -> dict[str, Any]:
    scrubbed = get_config().scrubber.scrub_mapping(crumb)
    if "timestamp" in crumb:  # structure: Sentry sorts crumbs by it
        scrubbed["timestamp"] = crumb["timestamp"]
    return scrubbed


def _scrubbed_event(event: dict[str, Any], built: Any) -> dict[str, Any]:
    scrub_sentry_event(event, built)
    return event


def _fail_closed(what: str, scrub: Callable[[Any, Any], Any], item: Any, built: Any) -> Any:
    if not isinstance(item, dict):
        return item
    try:
        return scrub(item, built)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # a scrub callback raising SystemExit, a cancellation
        # An item we could not scrub must not leave the process, and our failure must
        # not reach Sentry's guard, which would keep a breadcrumb as it was.
        report_failure(f"scrubbing {what}", exc)
        return None


def scrub_sentry_event(  # noqa: C901, PLR0912 - one pass per event part
    event: dict[str, Any], built: Any = None
) -> None:
    """Scrub, in place, every part of a Sentry event that can carry user data.

    Args:
        event: A Sentry event or transaction dict, as ``before_send`` receives it.
        built: The parts autocapture built already scrubbed: ``{"exception": True,
            "extra": names, "contexts": names}``; those are left as they are.
    """
    built = built or {}
    scrubber = get_config().scrubber
    if not built.get("exception"):
        for value in _values(event.get("exception")):
            if isinstance(value.get("value"), str):
                value["value"] = scrubber.scrub_text(value["value"])
            _scrub_frames(scrubber, value)
    for thread in _values(event.get("threads")):
        _scrub_frames(scrubber, thread)
    if isinstance(event.get("message"), str):
        event["message"] = scrubber.scrub_text(event["message"])
    if isinstance(event.get("transaction"), str):
        event["transaction"] = scrubber.scrub_text(event["transaction"])
    for key in _DATA_KEYS:
        if isinstance(event.get(key), dict):
            event[key] = scrubber.scrub_mapping(event[key])
    extra = event.get("extra")
    if isinstance(extra, dict):
        done = built.get("extra", ())
        for name, value in list(extra.items()):
            if name in done:
                continue
            if name == "sys.argv" and isinstance(value, list):
                extra[name] = scrubber.scrub_argv(value)
            else:
                extra[name] = scrubber.scrub(value, key=name)
    contexts = event.get("contexts")
    if isinstance(contexts, dict):
        done = built.get("contexts", ())
        # A context's name is structure (the context type: "auth", "payment"...), not a
        # data key: scrubbing by name would redact the whole "auth" context.
        for name, body in list(contexts.items()):
            if name not in done:
                contexts[name] = (
                    scrubber.scrub_mapping(body)
                    if isinstance(body, dict)
                    else scrubber.scrub(body)
                )
    crumbs = event.get("breadcrumbs")
    values = crumbs.get("values") if isinstance(crumbs, dict) else crumbs
    if isinstance(values, list):
        scrubbed = [scrubber.scrub_mapping(_as_mapping(c)) for c in values]
        if isinstance(crumbs, dict):
            crumbs["values"] = scrubbed
        else:
            event["breadcrumbs"] = scrubbed
    spans = event.get("spans")
    if isinstance(spans, list):
        event["spans"] = [_scrub_span(scrubber, s) for s in spans]


def _values(holder: object) -> list[dict[str, Any]]:
    values = holder.get("values") if isinstance(holder, dict) else None
    return [v for v in values if isinstance(v, dict)] if isinstance(values, list) else []


def _scrub_span(scrubber: Scrubber, span: object) -> object:
    if not isinstance(span, dict):
        return scrubber.scrub(span)
    for key, value in list(span.items()):
        if key in ("description", "op", "name") and isinstance(value, str):
            span[key] = scrubber.scrub_text(value)
        elif key in ("data", "tags") and isinstance(value, dict):
            span[key] = scrubber.scrub_mapping(value)
    return span


def _scrub_frames(scrubber: Scrubber, holder: dict[str, Any]) -> None:
    stacktrace = holder.get("stacktrace")
    frames = stacktrace.get("frames") if isinstance(stacktrace, dict) else None
    for frame in frames if isinstance(frames, list) else ():
        if not isinstance(frame, dict):
            continue
        module = frame.get("module")
        if isinstance(module, str) and module.startswith("autocapture."):
            frame["in_app"] = False  # our thin wrappers are not where the user's bug is
            # Their locals are the call's raw ``args``/``kwargs`` (positional secrets
            # have no name there to be recognised by) and our internals.
            frame.pop("vars", None)
        elif "vars" in frame:
            frame["vars"] = scrubber.scrub_mapping(_as_mapping(frame["vars"]))
        pre, line, post = scrub_context(
            scrubber,
            frame.get("pre_context"),
            frame.get("context_line"),
            frame.get("post_context"),
        )
        if isinstance(frame.get("context_line"), str):
            frame["context_line"] = line
        if isinstance(frame.get("pre_context"), list):
            frame["pre_context"] = pre
        if isinstance(frame.get("post_context"), list):
            frame["post_context"] = post


def scrub_context(
    scrubber: Scrubber, pre: object, line: object, post: object
) -> tuple[list[Any], Any, list[Any]]:
    """Scrub source context lines as one block of text, keeping one entry per line.

    A secret spans lines (a PEM body whose BEGIN marker is above the window): line by
    line, no part of it looks like a secret. The block is scrubbed whole, and each line
    that a redaction touched is replaced.

    Args:
        scrubber: The scrubber.
        pre: The lines above the current one (a list, or anything else: kept).
        line: The current line.
        post: The lines below it.

    Returns:
        The scrubbed ``(pre_context, context_line, post_context)``.
    """
    pre_lines = [x for x in pre if isinstance(x, str)] if isinstance(pre, list) else []
    post_lines = [x for x in post if isinstance(x, str)] if isinstance(post, list) else []
    current = [line] if isinstance(line, str) else []
    lines = scrub_lines(scrubber, [*pre_lines, *current, *post_lines])
    cut = len(pre_lines)
    return lines[:cut], (lines[cut] if current else line), lines[cut + len(current) :]


def scrub_lines(scrubber: Scrubber, lines: list[str]) -> list[str]:
    """Scrub lines of text as one block; the result has one entry per line given.

    Args:
        scrubber: The scrubber.
        lines: The lines, without line ends.

    Returns:
        The lines, each one a redaction touched replaced by its scrubbed text.
    """
    if not lines:
        return []
    block = "\n".join(lines)
    scrubbed = scrubber.scrub_text(block)
    if scrubbed == block:
        return lines
    out = scrubbed.split("\n")
    if len(out) == len(lines):
        return out
    # A redaction swallowed line ends: keep the lines before and after the changed
    # region as they were, and show the region's lines as redacted.
    head = 0
    while head < len(lines) and head < len(out) and lines[head] == out[head]:
        head += 1
    tail = 0
    while (
        tail < len(lines) - head
        and tail < len(out) - head
        and lines[len(lines) - 1 - tail] == out[len(out) - 1 - tail]
    ):
        tail += 1
    middle = out[head : len(out) - tail]
    region = len(lines) - head - tail
    replaced = [*middle[: region - 1], "\n".join(middle[region - 1 :])] if middle else []
    replaced = (replaced + [REDACTED] * region)[:region]
    return [*lines[:head], *replaced, *lines[len(lines) - tail :]]


def _as_mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {"value": value}
