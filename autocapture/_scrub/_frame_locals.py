"""The failing frames' secret-named locals: where an event finds secrets it never copied.

API §5 counts frame locals among where a secret is found: ``api_key`` in a route's frame,
echoed in the message, is redacted there too, in an event autocapture builds and in one
Sentry's integrations build first. Only the str locals under secret names are read, and
only in frames whose code has such a name (reading ``f_locals`` builds a dict).
"""

from __future__ import annotations

from types import CodeType, FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from autocapture._scrub._scrubber import Scrubber
    from autocapture._scrub._tracking import EventSecrets

__all__ = ["secret_locals", "track_frame_secrets", "track_secret_locals"]

# Bounds of the walk over the failing frames' locals (an error chain, a deep stack).
_MAX_CHAIN_WALKED = 16
_MAX_FRAMES_WALKED = 256


def track_frame_secrets(scrubber: Scrubber, exc: BaseException, known: EventSecrets) -> None:
    """Add the str locals under secret names of the failing frames to the event's secrets.

    API §5 counts frame locals among where a secret is found: ``api_key`` in a route's
    frame echoed in the message is redacted there too. They are scrubbed as a mapping,
    so the scrub callback decides about each as about an argument.
    """
    track_secret_locals(scrubber, secret_locals(scrubber, exc), known)


def secret_locals(scrubber: Scrubber, exc: BaseException) -> list[tuple[str, str]]:
    """The failing frames' str locals under secret names, as ``(name, value)`` pairs.

    Read at once: a frame's locals change or are cleared (``traceback.clear_frames``)
    after the capture. Each pair once (a recursion repeats them), in the frames' order.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    frames = 0
    found: dict[tuple[str, str], None] = {}
    memo, scrubber_id = _SECRET_NAMES, id(scrubber)
    while current is not None and id(current) not in seen and len(seen) < _MAX_CHAIN_WALKED:
        seen.add(id(current))
        tb = current.__traceback__
        while tb is not None and frames < _MAX_FRAMES_WALKED:
            frames += 1
            frame = tb.tb_frame
            tb = tb.tb_next
            code = frame.f_code
            entry = memo.get((scrubber_id, id(code)))
            names = entry[2] if entry is not None else _secret_names(scrubber, code, frame)
            if not names:
                continue  # reading f_locals builds a dict: only where a name is secret
            local_vars = frame.f_locals
            for name in names:
                value = local_vars.get(name)
                if type(value) is str:
                    found[name, value] = None
        current = current.__cause__ if current.__suppress_context__ else current.__context__
    return list(found)


def track_secret_locals(
    scrubber: Scrubber, pairs: list[tuple[str, str]], known: EventSecrets
) -> None:
    """Add what ``secret_locals`` read to the event's secrets, scrubbed as a mapping."""
    known_values = known.values
    # An argument the decorator already found secret is its own frame's local.
    found = {pair: None for pair in pairs if pair[1] not in known_values}
    while found:  # one mapping per distinct name, so that no value hides another
        batch: dict[str, str] = {}
        for name, value in list(found):
            if name not in batch:
                batch[name] = value
                del found[name, value]
        scrubber.scrub_mapping(batch, secrets=known)


# (scrubber, code) -> the code's variable names that name a secret: a function fails
# again and again, and a new configuration is a new scrubber. Keyed by ids (a code
# object's own hash reads its bytecode); the entry holds both objects, so no id is
# reused while it stands. Started afresh when full. Our own code has none: our wrappers'
# locals are the arguments, already scrubbed.
_SECRET_NAMES: dict[tuple[int, int], tuple[Scrubber, CodeType, tuple[str, ...]]] = {}
_SECRET_NAMES_MAX = 4096


def _secret_names(scrubber: Scrubber, code: CodeType, frame: FrameType) -> tuple[str, ...]:
    if len(_SECRET_NAMES) >= _SECRET_NAMES_MAX:
        _SECRET_NAMES.clear()
    module = frame.f_globals.get("__name__")
    if code.co_filename.startswith("<autocapture") or (
        isinstance(module, str) and module.startswith("autocapture.")
    ):
        names: tuple[str, ...] = ()
    else:
        names = tuple(
            n
            for n in (*code.co_varnames, *code.co_cellvars, *code.co_freevars)
            if scrubber.is_sensitive_key(n)
        )
    _SECRET_NAMES[id(scrubber), id(code)] = (scrubber, code, names)
    return names
