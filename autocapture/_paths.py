"""Path rules: one matcher and one default table for endpoint types and trace sampling.

The endpoint tags (``autocapture.asgi.EndpointRule``) and the traces sampler
(``autocapture.sampling.SamplingRule``) both answer "which rule does this path fall
under": they share this matcher and the default table, so a path is never tagged
``health`` and sampled like an ordinary request. It imports nothing from autocapture.

Matching, for every kind: a trailing ``/`` is ignored on paths and patterns, and a rule
also matches below a leading ``/api`` segment, a version segment (``/v2``) or both, since
routers are often mounted there (``/health`` matches ``/api/v1/health``).

* ``"exact"``: the path equals the pattern;
* ``"prefix"``: the path is the pattern or lies below it, segment-wise (``/admin``
  matches ``/admin/users`` but not ``/administrators``);
* ``"glob"``: the whole path matches, where ``*`` is any run of characters within one
  segment, ``**`` any run across segments and ``?`` one character.

Rules are compiled once: exact paths and literal prefixes go in dicts (a lookup per
leading segment, whatever the number of rules), and only globs listed before the best
dict hit are matched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["DEFAULT_PATHS", "KINDS", "PathMatcher", "candidates"]

KINDS = ("exact", "prefix", "glob")
GLOB_CHARS = frozenset("*?")
_NO_RULE = 1 << 62  # an index beyond every rule: "no rule matched yet"
_API_SEGMENT = re.compile(r"/api(?=/)")
_VERSION_SEGMENT = re.compile(r"/v\d+(?=/|$)")


def _exact(*patterns: str) -> tuple[tuple[str, str], ...]:
    return tuple((p, "exact") for p in patterns)


def _prefix(*patterns: str) -> tuple[tuple[str, str], ...]:
    return tuple((p, "prefix") for p in patterns)


# (pattern, kind, endpoint type), first match wins. Health checks come first: a health
# check under any router (/users/health) is monitoring noise, for tags and sampling alike.
DEFAULT_PATHS: tuple[tuple[str, str, str], ...] = tuple(
    (pattern, kind, endpoint_type)
    for endpoint_type, rules in (
        (
            "health",
            (
                *_prefix("/health", "/healthz", "/livez", "/ready", "/readyz", "/metrics"),
                *_prefix("/monitoring"),
                *_exact("/ping"),
            ),
        ),
        (
            "inference",
            _prefix(
                "/v1/chat/completions",
                "/v1/messages",
                "/v1/images",
                "/v1/completions",
                "/v1/embeddings",
            ),
        ),
        ("payment", (*_prefix("/payments", "/checkout", "/stripe", "/billing"),)),
        ("payment", (("**/webhook*/stripe*", "glob"),)),
        ("auth", _prefix("/auth", "/login", "/logout", "/token")),
        ("api_keys", _prefix("/api-keys", "/keys")),
        ("admin", _prefix("/admin")),
        ("users", _prefix("/users", "/user")),
        ("catalog", _prefix("/models", "/providers", "/catalog")),
    )
    for pattern, kind in rules
)
"""The audited endpoint table: ``(pattern, kind, endpoint type)``, first match wins."""


def candidates(path: str) -> tuple[str, ...]:
    """``path``, then without a leading ``/api`` segment, then without a version after it.

    Args:
        path: A request path or route template, trailing ``/`` already removed.

    Returns:
        The forms a rule is matched against, most specific first.
    """
    if not path.startswith(("/api/", "/v")):
        return (path,)
    found = [path]
    match = _API_SEGMENT.match(path)
    rest = path
    if match:
        rest = path[match.end() :]
        found.append(rest)
    version = _VERSION_SEGMENT.match(rest)
    if version:
        found.append(rest[version.end() :] or "/")
    return tuple(found)


def normalize(path: str) -> str:
    """Drop one trailing ``/`` (but keep the root ``/``)."""
    return path[:-1] if len(path) > 1 and path.endswith("/") else path


def _glob_regex(pattern: str) -> str:
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return "".join(out)


def _rule_regex(pattern: str, kind: str) -> str:
    body = _glob_regex(normalize(pattern))
    if kind == "prefix":
        return body + "(?:/.*)?" if body != "/" else "/.*"
    return body


class PathMatcher:
    """Compiled ``(pattern, kind)`` rules; ``first(path)`` is the first rule matching."""

    __slots__ = ("_depth", "_exact", "_globs", "_prefix", "_root")

    def __init__(self, rules: Iterable[tuple[str, str]]) -> None:
        """Compile ``rules`` (each a pattern and one of ``KINDS``, already validated)."""
        # First rule wins everywhere: each table keeps the lowest rule index per pattern.
        self._exact: dict[str, int] = {}
        self._prefix: dict[str, int] = {}
        globs: list[tuple[int, str, re.Pattern[str]]] = []
        for index, (raw, kind) in enumerate(rules):
            pattern = normalize(raw)
            if kind == "exact" and not GLOB_CHARS.intersection(pattern):
                self._exact.setdefault(pattern, index)
            elif kind == "prefix" and not GLOB_CHARS.intersection(pattern):
                self._prefix.setdefault(pattern, index)
            else:
                # A literal every match contains: a substring test skips most regex calls.
                literal = max(re.split(r"[*?]", pattern), key=len)
                globs.append((index, literal, re.compile(_rule_regex(pattern, kind))))
        self._globs = tuple(globs)
        self._depth = max((p.count("/") for p in self._prefix), default=0)
        self._root = self._prefix.get("/")

    def first(self, path: str) -> int | None:
        """Return the index of the first rule matching ``path``, or ``None``."""
        best = _NO_RULE
        for candidate in candidates(normalize(path)):
            best = self._first(candidate, best)
        return None if best == _NO_RULE else best

    def _first(self, path: str, best: int) -> int:
        best = min(best, self._exact.get(path, _NO_RULE))
        if self._root is not None and self._root < best:
            best = self._root
        prefix = self._prefix
        end = 0
        for _ in range(self._depth):
            end = path.find("/", end + 1)
            best = min(best, prefix.get(path if end < 0 else path[:end], _NO_RULE))
            if end < 0:
                break
        for index, literal, regex in self._globs:
            if index >= best:
                break
            if literal in path and regex.fullmatch(path):
                return index
        return best
