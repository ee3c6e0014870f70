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
    codes = _codes_of(scrubber)
    found: dict[tuple[str, str], None] | None = None
    current = exc
    chain: set[int] | None = None  # the ids walked, from the second exception of a chain on
    frames = _MAX_FRAMES_WALKED
    while True:
        tb = current.__traceback__
        while tb is not None and frames:
            frames -= 1
            frame = tb.tb_frame
            tb = tb.tb_next
            code = frame.f_code
            entry = codes.get(id(code))
            names = entry[1] if entry is not None else _secret_names(scrubber, code, frame)
            if not names:
                continue  # reading f_locals builds a dict: only where a name is secret
            local_vars = frame.f_locals
            for name in names:
                value = local_vars.get(name)
                if type(value) is str:
                    if found is None:
                        found = {}
                    found[name, value] = None
        following = current.__cause__ if current.__suppress_context__ else current.__context__
        if following is None:
            break
        if chain is None:
            chain = {id(exc)}
        if id(following) in chain or len(chain) >= _MAX_CHAIN_WALKED:
            break
        chain.add(id(following))
        current = following
    return list(found) if found is not None else []


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


# Per scrubber, per code object, the code's variable names that name a secret: a function
# fails again and again, and a new configuration is a new scrubber. Keyed by ids (a code
# object's own hash reads its bytecode); each entry holds its object, so no id is reused
# while it stands. Started afresh when full. Our own code has none: our wrappers' locals
# are the arguments, already scrubbed.
_SECRET_NAMES: dict[int, tuple[Scrubber, dict[int, tuple[CodeType, tuple[str, ...]]]]] = {}
_SECRET_NAMES_MAX = 4096
_SCRUBBERS_MAX = 8


def _codes_of(scrubber: Scrubber) -> dict[int, tuple[CodeType, tuple[str, ...]]]:
    entry = _SECRET_NAMES.get(id(scrubber))
    if entry is None:
        if len(_SECRET_NAMES) >= _SCRUBBERS_MAX:
            _SECRET_NAMES.clear()
        entry = _SECRET_NAMES[id(scrubber)] = (scrubber, {})
    return entry[1]


def _secret_names(scrubber: Scrubber, code: CodeType, frame: FrameType) -> tuple[str, ...]:
    codes = _codes_of(scrubber)
    if len(codes) >= _SECRET_NAMES_MAX:
        codes.clear()
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
    codes[id(code)] = (code, names)
    return names
