"""`Scrubber`: the rules compiled once from `ScrubOptions`, and its entry points."""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Callable, Final, Optional

from autocapture._scrub._keys import KeyRules, split_words
from autocapture._scrub._options import REDACTED, ScrubOptions
from autocapture._scrub._text import TextRules, short_cached
from autocapture._scrub._tracking import USER_CODE_BUDGET, EventSecrets
from autocapture._scrub._walker import MORE_ITEMS_KEY, Walk, safe_repr

if TYPE_CHECKING:
    from autocapture._scrub._text import Span

__all__ = ["Scrubber"]

_KEY_CACHE_SIZE: Final = 4096
_MAX_ARGV: Final = 1000
# Short options that take a secret (`-p` for mysql, `-a` for redis-cli); long options
# are judged by the key rules.
_ARGV_SECRET_FLAGS: Final = frozenset(("p", "a", "password", "token"))
# Programs (the name of argv[0], or of the package run as `python -m`) whose short options
# above take no secret: pytest's `-p` loads a plugin, gunicorn's writes a pid file.
# Long options are judged by name for every program.
_ARGV_PLAIN_SHORT_FLAGS: Final = frozenset(
    ("pytest", "py.test", "gunicorn", "celery", "uvicorn", "hypercorn", "daphne", "pip")
)


def _program(first: object) -> str:
    """The program a command line runs: `/venv/bin/pytest` and `.../pytest/__main__.py`."""
    if not isinstance(first, str):
        return ""
    parts = first.replace("\\", "/").rstrip("/").split("/")
    name = parts[-1]
    if name == "__main__.py" and len(parts) > 1:
        name = parts[-2]
    for suffix in (".exe", ".py"):
        name = name.removesuffix(suffix)
    return name.lower()


def _digits_only(key: str) -> bool:
    """Tell whether an extra key is made of numbers (`"1234"`, `"t"`, `"14 T"`).

    Such a key may name a name of digits (`1234: value`) or an ISO date and hour
    (`2024-05-14T10`, whose words are `2024 05 14 t 10`), which the text rules otherwise
    refuse in the pattern (`_forms.assignment_shapes`).
    """
    words = split_words(key)
    return bool(words) and all(word.isdigit() or word == "t" for word in words)


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
            extra_patterns=options.extra_patterns,  # type: ignore[arg-type]  # compiled in __post_init__
            digit_names=any(_digits_only(key) for key in options.extra_keys),
        )
        self._callback = options.callback
        self._short_spans: dict[str, list[Span]] = {}
        self._spans = short_cached(self._text.spans, self._short_spans)
        self._key_labels: dict[str, Optional[str]] = {}
        self._over_budget: set[str] = set()

    def __repr__(self) -> str:
        return f"Scrubber({self.options!r}, send_pii={self.send_pii!r})"

    def report_over_budget(self, what: str) -> None:
        """Say once per scrubber that user code ran out of its time budget (fail closed).

        Args:
            what: The option whose code was cut short.
        """
        if what in self._over_budget:
            return
        self._over_budget.add(what)
        logging.getLogger("autocapture").warning(
            "autocapture: %s spent the scrubber's time budget for user code "
            "(%d ms per event); the rest of the event was redacted without it",
            what,
            round(USER_CODE_BUDGET * 1000),
        )

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

    def scrub(
        self, value: object, *, key: Optional[str] = None, secrets: Optional[EventSecrets] = None
    ) -> Any:
        """Return a scrubbed, bounded, JSON-compatible copy of a value; never raises.

        Args:
            value: Anything. It is never mutated.
            key: The name the value was found under (an argument or header name), so that
                `scrub("x", key="api_key") == REDACTED`.
            secrets: The event's known secrets: what this call redacts is added, and the
                known ones are redacted in every string (default: the secrets of the
                event being emitted, if any).

        Returns:
            A new value made of dicts with str keys, lists, str, int, float, bool and None.
        """
        try:
            walk = Walk(self, secrets)
            if key is not None:
                return walk.item(str(key), value, None, 0)
            return walk.value(value, None, 0)
        except Exception:
            return REDACTED

    def scrub_mapping(
        self, mapping: Mapping[str, object], *, secrets: Optional[EventSecrets] = None
    ) -> dict[str, Any]:
        """Scrub a mapping whose keys are names (arguments, headers, contexts); never raises.

        Args:
            mapping: Any mapping; non-str keys are converted to str.
            secrets: The event's known secrets, as for `scrub`.

        Returns:
            A new dict; values under secret names are `REDACTED`.
        """
        try:
            walk = Walk(self, secrets)
            result = walk.value(mapping, None, 0)
        except Exception:
            return {MORE_ITEMS_KEY: REDACTED}
        if isinstance(result, dict):
            return result
        return {MORE_ITEMS_KEY: result}  # not a mapping after all (e.g. a cycle marker)

    def scrub_text(self, text: str, *, secrets: Optional[EventSecrets] = None) -> str:
        """Replace secret shapes (and PII unless allowed) inside a text; never raises.

        Meant for exception messages and log lines: the text is not truncated, and only
        the secrets are replaced (`"token sk_live_... expired"` -> `"token [REDACTED]
        expired"`).

        Args:
            text: Any string (a non-str is converted with a bounded `repr` first).
            secrets: The event's known secrets, as for `scrub`.

        Returns:
            The text with every match replaced.
        """
        obj: object = text  # callers may break the type contract; never raise for it
        try:
            return Walk(self, secrets).text(
                obj if isinstance(obj, str) else safe_repr(obj, 1_000_000), None
            )
        except Exception:
            return REDACTED

    def scrub_argv(self, argv: Sequence[str]) -> list[str]:
        """Scrub a command line: the value after a secret option is redacted; never raises.

        `--db-password x`, `--db-password=x`, `-p x` (a password for mysql, `-a` for
        redis-cli) and `--token=x` lose their value; every other item is scrubbed as text.

        Args:
            argv: The arguments, e.g. `sys.argv`.

        Returns:
            A new list of the same length (at most 1000 items).
        """
        try:
            out: list[str] = []
            redact_next = False
            items = list(argv)[:_MAX_ARGV]
            short_flags = _ARGV_SECRET_FLAGS
            if items and _program(items[0]) in _ARGV_PLAIN_SHORT_FLAGS:
                short_flags = frozenset()
            for raw in items:
                given: object = raw  # callers may break the type contract
                item = given if isinstance(given, str) else safe_repr(given, 1024)
                if redact_next:
                    out.append(REDACTED)
                    redact_next = False
                    continue
                if item.startswith("-") and len(item) > 1:
                    name, eq, value = item.lstrip("-").partition("=")
                    long_option = item.startswith("--")
                    if self.is_sensitive_key(name) if long_option else name in short_flags:
                        if eq:
                            out.append(item[: len(item) - len(value)] + REDACTED)
                        else:
                            out.append(item)
                            redact_next = True
                        continue
                out.append(self.scrub_text(item))
        except Exception:
            return [REDACTED]
        return out
