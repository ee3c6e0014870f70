"""`Scrubber`: the rules compiled once from `ScrubOptions`, and its entry points."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, Callable, Final, Optional

from autocapture._scrub._keys import KeyRules
from autocapture._scrub._options import REDACTED, ScrubOptions
from autocapture._scrub._text import TextRules
from autocapture._scrub._walker import MORE_ITEMS_KEY, Walk, safe_repr, short_cached

__all__ = ["Scrubber"]

_KEY_CACHE_SIZE: Final = 4096


class Scrubber:
    """Compiled from options once (regexes, key word sets); cheap to call; thread-safe.

    A scrubber holds no per-call state: each call walks with its own small state object,
    and the key classifier is a thread-safe `functools.lru_cache`.
    """

    def __init__(self, options: Optional[ScrubOptions] = None, *, send_pii: bool = False) -> None:
        """Compile the rules.

        Args:
            options: Escape hatches and limits; `ScrubOptions()` when None.
            send_pii: When False (the default) email and IP addresses inside strings are
                replaced by `REDACTED`; when True they are kept.

        Raises:
            TypeError: `options` is not a `ScrubOptions`.
        """
        if options is None:
            options = ScrubOptions()
        if not isinstance(options, ScrubOptions):
            raise TypeError(f"options must be a ScrubOptions or None, got {options!r}")
        self.options: Final = options
        self.send_pii: Final = bool(send_pii)
        key_rules = KeyRules(options.extra_keys, options.safe_keys)
        self._classify: Callable[[str], Optional[str]] = functools.lru_cache(
            maxsize=_KEY_CACHE_SIZE
        )(key_rules.match)
        self._text = TextRules(
            pii=not self.send_pii,
            classify=self._classify,
            name_endings=key_rules.endings(),
            extra_patterns=options.extra_patterns,  # type: ignore[arg-type]  # compiled in __post_init__
        )
        self._callback = options.callback
        self._spans = short_cached(self._text.spans)

    def __repr__(self) -> str:
        return f"Scrubber({self.options!r}, send_pii={self.send_pii!r})"

    def is_sensitive_key(self, key: str) -> bool:
        """Tell whether a name names a secret (memoised).

        Args:
            key: An argument name, dict key, attribute name or header name.

        Returns:
            True when a value found under this name is redacted whole.
        """
        try:
            return self._classify(key) is not None
        except Exception:
            return True  # fail closed

    def scrub(self, value: object, *, key: Optional[str] = None) -> Any:
        """Return a scrubbed, bounded, JSON-compatible copy of a value; never raises.

        Args:
            value: Anything. It is never mutated.
            key: The name the value was found under (an argument or header name), so that
                `scrub("x", key="api_key") == REDACTED`.

        Returns:
            A new value made of dicts with str keys, lists, str, int, float, bool and None.
        """
        try:
            walk = Walk(self)
            if key is not None:
                return walk.item(str(key), value, None, 0)
            return walk.value(value, None, 0)
        except Exception:
            return REDACTED

    def scrub_mapping(self, mapping: Mapping[str, object]) -> dict[str, Any]:
        """Scrub a mapping whose keys are names (arguments, headers, contexts); never raises.

        Args:
            mapping: Any mapping; non-str keys are converted to str.

        Returns:
            A new dict; values under secret names are `REDACTED`.
        """
        try:
            walk = Walk(self)
            result = walk.value(mapping, None, 0)
        except Exception:
            return {MORE_ITEMS_KEY: REDACTED}
        if isinstance(result, dict):
            return result
        return {MORE_ITEMS_KEY: result}  # not a mapping after all (e.g. a cycle marker)

    def scrub_text(self, text: str) -> str:
        """Replace secret shapes (and PII unless allowed) inside a text; never raises.

        Meant for exception messages and log lines: the text is not truncated, and only
        the secrets are replaced (`"token sk_live_... expired"` -> `"token [REDACTED]
        expired"`).

        Args:
            text: Any string (a non-str is converted with a bounded `repr` first).

        Returns:
            The text with every match replaced.
        """
        obj: object = text  # callers may break the type contract; never raise for it
        try:
            return Walk(self).text(
                obj if isinstance(obj, str) else safe_repr(obj, 1_000_000), None
            )
        except Exception:
            return REDACTED
