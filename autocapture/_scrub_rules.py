"""Default rules of the scrubber: sensitive key words and the shapes of secret values.

This module is data plus two small engines, both compiled once per `Scrubber`:

- `KeyRules` decides whether a *name* (argument, dict key, attribute, header) names a
  secret. Names are split into words (snake_case, camelCase, kebab-case, dots, digits) and
  compared on whole words and known word pairs, never on raw substrings, so `max_tokens`,
  `tokenizer` and `author` are kept while `access_token`, `apiKey` and `x-api-key` are not.
  A secret word followed by a *descriptor* word (`token_count`, `api_key_id`,
  `secret_name`) names metadata about a secret, not the secret, and is kept.
- `TextRules` finds secret *values* inside any string: JWTs, HTTP credentials, private
  key blocks, cloud and SaaS API keys, card numbers that pass Luhn, passwords in URLs and
  `password=...` assignments (the whole value: quoted, escaped or bracketed; and
  pydantic's `input_value=` under a secret field), plus (unless PII may be sent) email
  and IP addresses.

Everything in this module is private to `autocapture._scrub`.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import re
from typing import TYPE_CHECKING, Final, Optional

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

__all__ = ["KeyRules", "Span", "TextRules", "luhn_ok", "split_words"]

# --------------------------------------------------------------------------------------
# Keys
# --------------------------------------------------------------------------------------

# An acronym run stops before a capitalised word (`APIKey` -> `API`, `Key`).
_WORD_RE: Final = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")

# Each entry is a phrase of one or more words; glued spellings (`sessionid`, `apikey`)
# are single words because people write them that way.
_SECRET_PHRASES: Final = (
    # passwords
    "password",
    "passwords",
    "passwd",
    "pwd",
    "pw",
    "pass",
    "passphrase",
    "passcode",
    "mysql pwd",
    # generic secrets and tokens
    "secret",
    "secrets",
    "token",
    "authtoken",
    "accesstoken",
    "refreshtoken",
    "idtoken",
    "access tokens",
    "refresh tokens",
    "api tokens",
    "credential",
    "credentials",
    "creds",
    "auth",
    "authorization",
    "bearer",
    "jwt",
    "otp",
    "totp",
    "hotp",
    "mfa",
    "signature",
    "signatures",
    "sig",
    "mnemonic",
    "seed phrase",
    "recovery code",
    "recovery codes",
    "backup codes",
    "verification code",
    "connection string",
    "connectionstring",
    # keys
    "apikey",
    "apikeys",
    "api key",
    "api keys",
    "private key",
    "privatekey",
    "privkey",
    "priv key",
    "secret key",
    "secretkey",
    "access key",
    "accesskey",
    "signing key",
    "hmac key",
    "encryption key",
    "master key",
    "license key",
    "subscription key",
    "account key",
    "accountkey",
    # sessions and cookies
    "session",
    "sessionid",
    "sessid",
    "phpsessid",
    "jsessionid",
    "connect sid",
    "cookie",
    "cookies",
    "csrf",
    "xsrf",
    "csrftoken",
    "xsrftoken",
    # payment and identity
    "credit card",
    "creditcard",
    "card number",
    "cardnumber",
    "card num",
    "cc number",
    "ccnumber",
    "cc num",
    "cvv",
    "cvc",
    "csc",
    "security code",
    "pin",
    "pincode",
    "ssn",
    "social security",
    "iban",
    "account number",
    "bank account",
)

# A secret word followed by one of these names a property of the secret, not the secret:
# `token_count`, `api_key_id`, `client_secret_expires_at`, `cookie_domain`, `card_last4`.
_DESCRIPTORS_AFTER: Final = frozenset(
    (  # noqa: SIM905 - word lists read better as prose
        "count counts num length len size limit limits max min type types kind name names "
        "label id ids hash hashed digest fingerprint expiry expires expiration expired exp "
        "ttl age lifetime created updated rotated last brand enabled disabled required "
        "policy strength version path domain secure samesite httponly field fields format "
        "scheme method methods provider providers backend mode status valid verified usage "
        "budget index position timeout retries present exists"
    ).split()
)
# A key that starts with one of these is a flag or a quantity: `has_password`, `max_tokens`.
_DESCRIPTORS_FIRST: Final = frozenset(("is", "has", "num", "max", "min", "total", "count"))
# Words right before `token` that make it an LLM or pagination token, not a credential.
_TOKEN_QUALIFIERS: Final = frozenset(
    (  # noqa: SIM905 - word lists read better as prose
        "max min num total prompt completion input output cached cache reasoning page next "
        "continuation pagination special bos eos pad unk sep cls mask stop start end"
    ).split()
)
# A session *id* is the credential itself, and so is a password hash (offline cracking).
_NOT_DESCRIPTORS_FOR: Final = {
    "session": frozenset(("id", "ids")),
    "pass": frozenset(("hash", "hashed", "digest")),
    "passwd": frozenset(("hash", "hashed", "digest")),
    "password": frozenset(("hash", "hashed", "digest")),
    "passphrase": frozenset(("hash", "hashed", "digest")),
    "pwd": frozenset(("hash", "hashed", "digest")),
    "pin": frozenset(("hash", "hashed", "digest")),
}


def split_words(name: str) -> tuple[str, ...]:
    """Split an identifier into lowercase words.

    Args:
        name: An identifier in any common style (`snake_case`, `camelCase`, `kebab-case`,
            `dotted.name`, `HTTP_HEADER`).

    Returns:
        The words, lowercased; digits form their own words (`cvv2` -> `cvv`, `2`).
    """
    return tuple(w.lower() for w in _WORD_RE.findall(name))


class KeyRules:
    """Decides whether a name names a secret, comparing whole words."""

    __slots__ = ("_by_first", "_safe")

    def __init__(self, extra_keys: Iterable[str] = (), safe_keys: Iterable[str] = ()) -> None:
        """Compile the word tables.

        Args:
            extra_keys: More secret names; each is split into words like the defaults.
            safe_keys: Names never redacted by key rules, compared on their words and also
                verbatim (case-insensitively).
        """
        by_first: dict[str, list[tuple[str, ...]]] = {}
        phrases = [tuple(p.split()) for p in _SECRET_PHRASES]
        phrases += [w for w in (split_words(k) for k in extra_keys) if w]
        for phrase in phrases:
            bucket = by_first.setdefault(phrase[0], [])
            if phrase not in bucket:
                bucket.append(phrase)
        for bucket in by_first.values():
            bucket.sort(key=len, reverse=True)  # longest phrase first: the better label
        self._by_first: dict[str, list[tuple[str, ...]]] = by_first
        safe: set[object] = set()
        for key in safe_keys:
            safe.add(key.lower())
            safe.add(split_words(key))
        self._safe: frozenset[object] = frozenset(safe)

    def endings(self) -> frozenset[str]:
        """Return the words a secret name can end with (for the text pre-filter).

        Returns:
            The last word of every phrase, plus the words a secret name may still end
            with (`session_id`, `password_hash`).
        """
        last = {phrase[-1] for phrases in self._by_first.values() for phrase in phrases}
        for words in _NOT_DESCRIPTORS_FOR.values():
            last |= words
        return frozenset(last)

    def match(self, key: str) -> Optional[str]:
        """Return the secret phrase a key names, or None when the key is not sensitive.

        Args:
            key: The name a value was found under.

        Returns:
            The matching phrase joined with `_` (e.g. `"api_key"`), or None.
        """
        words = split_words(key)
        if not words or words in self._safe or key.lower() in self._safe:
            return None
        by_first = self._by_first
        for i, word in enumerate(words):
            phrases = by_first.get(word)
            if phrases is None:
                continue
            for phrase in phrases:
                end = i + len(phrase)
                if words[i:end] == phrase and not _is_descriptor_use(words, i, end, phrase):
                    return "_".join(phrase)
        return None


def _is_descriptor_use(
    words: tuple[str, ...], start: int, end: int, phrase: tuple[str, ...]
) -> bool:
    """Tell whether a secret phrase inside `words` only qualifies a descriptor."""
    if start > 0 and words[0] in _DESCRIPTORS_FIRST:
        return True
    if phrase[-1] == "token" and start > 0 and words[start - 1] in _TOKEN_QUALIFIERS:
        return True
    exempt: frozenset[str] = frozenset()
    for word in phrase:
        exempt = exempt | _NOT_DESCRIPTORS_FOR.get(word, frozenset())
    return any(w in _DESCRIPTORS_AFTER and w not in exempt for w in words[end:])


# --------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------

# Every branch of the combined pattern starts with one literal *anchor* character that is
# rare in prose (`_ - . : = @ J A B b` and digits), so that `re` skips to candidate
# positions with its character-set prefix scan instead of trying every branch at every
# character. Prefixes that come before the anchor (`sk` in `sk_live_`) are checked with a
# fixed-width lookbehind; `back` says how many characters before the anchor belong to the
# secret. `edge` asks for the character before the secret not to be alphanumeric: only for
# short prefixes that also begin ordinary words (`task-...`, `the_...`); distinctive
# prefixes are found even when glued to a word, so that no part of them leaks.
#
# (anchor, rule, rest of the pattern, back, edge)
_Shape = tuple[str, str, str, int, bool]

_SHAPES: Final[tuple[_Shape, ...]] = (
    ("J", "jwt", r"(?<=eyJ)[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]*)?", 2, False),
    ("B", "http_credentials", r"(?i:earer|asic)[ \t]+(?P<cred>[A-Za-z0-9._~+/-]{8,}=*)", 0, True),
    ("b", "http_credentials", r"(?i:earer|asic)[ \t]+(?P<cred>[A-Za-z0-9._~+/-]{8,}=*)", 0, True),
    (
        "-",
        "private_key",
        (
            r"----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----(?s:.*?)"
            r"(?:-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----|\Z)"
        ),
        0,
        False,
    ),
    ("-", "openai_key", r"(?<=sk-)[A-Za-z0-9_-]{20,}", 2, True),
    ("-", "gitlab_token", r"(?<=glpat-)[A-Za-z0-9_-]{16,}", 5, False),
    ("-", "slack_token", r"(?<=xox[abposr]-)[A-Za-z0-9-]{10,}", 4, False),
    ("-", "slack_token", r"(?<=xapp-)\d-[A-Za-z0-9-]{10,}", 4, False),
    ("-", "xai_key", r"(?<=xai-)[A-Za-z0-9]{20,}", 3, True),
    ("-", "perplexity_key", r"(?<=pplx-)[A-Za-z0-9]{20,}", 4, True),
    ("-", "pypi_token", r"(?<=pypi-)AgE[A-Za-z0-9_-]{16,}", 4, False),
    ("_", "stripe_key", r"(?<=[sr]k_)(?:live|test)_[A-Za-z0-9]{10,}", 2, False),
    ("_", "stripe_webhook_secret", r"(?<=whsec_)[A-Za-z0-9+/=]{16,}", 5, False),
    ("_", "github_token", r"(?<=gh[pousr]_)[A-Za-z0-9]{20,}", 3, False),
    ("_", "github_token", r"(?<=github_)pat_[A-Za-z0-9_]{20,}", 6, False),
    ("_", "groq_key", r"(?<=gsk_)[A-Za-z0-9]{20,}", 3, True),
    ("_", "huggingface_token", r"(?<=hf_)[A-Za-z0-9]{30,}", 2, True),
    ("_", "npm_token", r"(?<=npm_)[A-Za-z0-9]{30,}", 3, True),
    ("_", "digitalocean_token", r"(?<=do[pra]_)v1_[a-f0-9]{40,}", 3, True),
    ("_", "replicate_token", r"(?<=r8_)[A-Za-z0-9]{30,}", 2, True),
    ("_", "shopify_token", r"(?<=shp(?:at|ss|ca|pa)_)[a-fA-F0-9]{32}", 5, True),
    ("_", "sentry_token", r"(?<=sntry[su]_)[A-Za-z0-9_=+/.-]{20,}", 6, True),
    (".", "sendgrid_key", r"(?<=SG\.)[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}", 2, False),
    (".", "google_oauth_token", r"(?<=ya29\.)[A-Za-z0-9_-]{20,}", 4, True),
    (
        "A",
        "aws_access_key_id",
        r"(?:KIA|SIA|GPA|IDA|ROA|IPA|NPA|NVA|3T[A-Z0-9])[A-Z0-9]{16}(?![A-Za-z0-9])",
        0,
        False,
    ),
    ("A", "google_api_key", r"Iza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])", 0, False),
    # scheme://user:password@host -- only the password is replaced
    (":", "url_password", r"(?<=[A-Za-z0-9+.-]:)//[^\s:/@?#]*:(?P<urlpw>[^\s/?#]+)@", 0, False),
    # card numbers: 13-19 digits, optionally grouped by spaces or dashes; Luhn-checked
    *(
        (digit, "card_number", r"(?<![\w-].)(?:[ -]?\d){12,18}(?!\w|[ -]\d)", 0, False)
        for digit in "23456"
    ),
)

_PII_SHAPES: Final[tuple[_Shape, ...]] = (
    (
        "@",
        "email",
        (
            r"(?<=[A-Za-z0-9._%+-]@)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}"
            r"(?![A-Za-z0-9-])"
        ),
        0,
        False,
    ),
    # anchored on the first dot (rarer than digits); the leading octet is found in `_check`
    (".", "ipv4", r"(?<=\d\.)\d{1,3}\.\d{1,3}\.\d{1,3}(?!\w|\.\d)", 0, False),
)

# `name=value`, `name: value`, `"name": "value"` inside text: the anchor is the separator
# after a letter (optionally a quote, a space or an escaped quote `\"` between), then the
# name must end like a secret word (a set lookup) and the whole name is judged by the key
# rules (exact, memoised); only its value is replaced. A regex over all the secret words
# in a lookbehind was measured ten times slower than this.
_ASSIGN_LOOKBEHIND: Final = r"(?:(?<=[A-Za-z].)|(?<=[A-Za-z][\"' ].)|(?<=[A-Za-z]\\[\"'].))"
_IDENT_CHARS: Final = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-"
)
# The value after a secret name. A quoted value runs to its closing quote, over backslash
# escapes, after an optional string prefix (`b'...'`, `rb"..."`); a value quoted with
# escaped quotes (JSON inside a JSON string: `\"...\"`) runs to the next escaped quote,
# over doubly escaped ones (`\\\"`). An opening bracket starts a list, tuple or mapping,
# replaced whole (see `_bracketed_end`). Anything else is a bare word.
_VALUE_RE: Final = re.compile(
    r"""[ \t]{0,3}(?:(?i:bearer|basic|token)[ \t]+)?(?:"""
    r"""(?P<open>[(\[{])"""
    r"""|(?:[bBrRuUfF]{1,2})?(?:"(?P<dq>(?:[^"\\\r\n]|\\[^\r\n]){1,512})"""
    r"""|'(?P<sq>(?:[^'\\\r\n]|\\[^\r\n]){1,512}))"""
    r"""|\\"(?P<edq>(?:\\\\\\"|[^\\\r\n]|\\[^"\r\n]){1,512})"""
    r"""|\\'(?P<esq>(?:\\\\\\'|[^\\\r\n]|\\[^'\r\n]){1,512})"""
    r"""|(?P<bare>[^\s"'&;,)}\]<>{\[][^\s"'&;,)}\]<>]{0,511}))"""
)
# One token of a bracketed value: a run of plain characters, an escape, a quoted string
# closed on its line, a bracket, or a lone quote (an apostrophe in prose).
_NEST_RE: Final = re.compile(
    r"""[^"'\\()\[\]{}]+|\\.?|"(?:[^"\\\r\n]|\\.)*"|'(?:[^'\\\r\n]|\\.)*'|[(\[{]|[)\]}]|["']""",
    re.DOTALL,
)
_NEST_LIMIT: Final = 4096  # chars of a bracketed value scanned for its closing bracket
# pydantic's `[type=..., input_value=..., input_type=...]` (v2 error messages): the
# location line above names the field; pydantic cuts a long input's repr in the middle
# with `...`, which can drop the key in front of a secret.
_PYDANTIC_INPUT: Final = "input_value"
_PYDANTIC_INPUT_END: Final = ", input_type="
_LINE_RE: Final = re.compile(r"[ \t]{0,3}(?P<line>[^\r\n]{1,2048})")
_LINE_LABELS: Final = frozenset(("cookie", "cookies"))

_IPV6_RE: Final = re.compile(r"(?<![\w:.])[0-9A-Fa-f:]{2,39}(?:\.\d{1,3}){0,3}(?![\w:])")
_EMAIL_LOCAL: Final = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-"
)
_WORD_OR_DOT: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.")
_ALNUM: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_CARD_FIRST_DIGITS: Final = "23456"  # issuer ranges; excludes epoch-millisecond numbers

Span = tuple[int, int, str]  # start, end, rule
_GroupInfo = tuple[str, tuple[str, ...], int, bool]  # rule, inner groups, back, edge


def _build_pattern(shapes: Sequence[_Shape]) -> tuple[re.Pattern[str], dict[str, _GroupInfo]]:
    """Combine shape branches into one pattern whose branches each start with a literal.

    Returns:
        The compiled pattern, and per outer group name its rule, inner group names, the
        count of secret characters before the anchor and whether an edge is required.
    """
    shapes = (
        *shapes,
        (":", "assignment", _ASSIGN_LOOKBEHIND, 0, False),
        ("=", "assignment", _ASSIGN_LOOKBEHIND, 0, False),
    )
    groups: dict[str, list[str]] = {}
    info: dict[str, _GroupInfo] = {}
    inner_re = re.compile(r"\(\?P<([a-z]+)>")
    for n, (anchor, rule, rest, back, edge) in enumerate(shapes):
        inner = tuple(inner_re.findall(rest))
        renamed = rest
        for name in inner:
            renamed = renamed.replace(f"(?P<{name}>", f"(?P<{name}_{n}>")
        outer = f"{rule}__{n}"
        info[outer] = (rule, tuple(f"{name}_{n}" for name in inner), back, edge)
        groups.setdefault(anchor, []).append(f"(?P<{outer}>{renamed})")
    branches = [re.escape(a) + "(?:" + "|".join(alts) + ")" for a, alts in groups.items()]
    return re.compile("|".join(branches)), info


def luhn_ok(digits: str) -> bool:
    """Tell whether a string of digits passes the Luhn checksum.

    Args:
        digits: Decimal digits only.

    Returns:
        True when the checksum is valid.
    """
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:  # noqa: PLR2004 - the Luhn rule itself
                d -= 9
        total += d
    return total % 10 == 0


def is_card_number(digits: str) -> bool:
    """Tell whether digits look like a payment card number (length, issuer digit, Luhn).

    Args:
        digits: Decimal digits only.

    Returns:
        True for 13 to 19 digits starting with an issuer digit (2-6) that pass Luhn.
    """
    return (
        13 <= len(digits) <= 19  # noqa: PLR2004 - ISO/IEC 7812 lengths
        and digits[0] in _CARD_FIRST_DIGITS
        and luhn_ok(digits)
    )


def _jwt_ok(token: str) -> bool:
    """A JWT's header is base64url JSON naming its algorithm."""
    header = token.split(".", 1)[0]
    try:
        decoded = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError):
        return False
    return isinstance(decoded, dict) and "alg" in decoded


def _http_credentials_ok(scheme_and_token: str, token: str) -> bool:
    """Tell a credential after `Bearer`/`Basic` from an ordinary word in a sentence."""
    token = token.rstrip(".,;:")
    if len(token) < 8:  # noqa: PLR2004 - shorter than any real credential
        return False
    has_symbol = any(c.isdigit() or c in "._~+/=-" for c in token)
    if scheme_and_token[:5].lower() == "basic":
        try:
            return b":" in base64.b64decode(token + "=" * (-len(token) % 4)) or has_symbol
        except (ValueError, binascii.Error):
            return has_symbol
    # Capitalised `Bearer x` is how the header is written; lowercase needs more evidence.
    return scheme_and_token[0] == "B" or has_symbol


def _openai_ok(token: str) -> bool:
    """`sk-` keys carry a long random run; kebab-case words (`sk-learn-...`) do not."""
    return max(len(part) for part in token[3:].split("-")) >= 16  # noqa: PLR2004


def _ipv4_ok(text: str) -> bool:
    return all(int(octet) <= 255 for octet in text.split("."))  # noqa: PLR2004


class TextRules:
    """Finds secret-shaped substrings (and PII unless allowed) in text."""

    __slots__ = ("_classify", "_extra", "_info", "_min_len", "_pattern", "_pii", "_suffixes")

    def __init__(
        self,
        *,
        pii: bool,
        classify: Callable[[str], Optional[str]],
        name_endings: Iterable[str],
        extra_patterns: Sequence[re.Pattern[str]] = (),
    ) -> None:
        """Compile the combined pattern.

        Args:
            pii: Whether to also find email and IP addresses.
            classify: The key classifier (returns a label for a secret name, else None),
                used for `name=value` assignments inside text.
            name_endings: The last words of the secret names, to pre-filter assignments.
            extra_patterns: User patterns; every match is a secret.
        """
        shapes = _SHAPES + _PII_SHAPES if pii else _SHAPES
        self._pattern, self._info = _build_pattern(shapes)
        self._suffixes = frozenset(word[-4:] for word in name_endings)
        self._classify = classify
        self._pii = pii
        self._extra = tuple(extra_patterns)
        # The shortest thing we find: `::1` with PII, `pwd=x` without; user patterns: any.
        self._min_len = 1 if self._extra else (3 if pii else 5)

    def spans(self, text: str) -> list[Span]:
        """Find the secret spans of a text.

        Args:
            text: Any string.

        Returns:
            Sorted, non-overlapping `(start, end, rule)` spans to replace.
        """
        if len(text) < self._min_len:
            return []
        found: list[Span] = []
        m = self._pattern.search(text)
        if m is not None:
            self._scan(text, m, found)
        if self._pii and ("::" in text or text.count(":") >= 7):  # noqa: PLR2004
            found.extend(
                (m.start(), m.end(), "pii:ipv6") for m in _IPV6_RE.finditer(text) if _ipv6_ok(m[0])
            )
        for i, pattern in enumerate(self._extra):
            found.extend(
                (m.start(), m.end(), f"value:extra:{i}")
                for m in pattern.finditer(text)
                if m.end() > m.start()
            )
        if len(found) > 1:
            found = _merge(found)
        return found

    def _scan(self, text: str, m: Optional[re.Match[str]], found: list[Span]) -> None:
        """Walk the candidates of the combined pattern, validating each."""
        search = self._pattern.search
        info = self._info
        while m is not None:
            outer = m.lastgroup
            span = self._check(text, m, info[outer]) if outer is not None else None
            if span is None:
                # Not a secret after all: look again one character later, not after the
                # whole candidate, so that a secret overlapping it is still found.
                m = search(text, m.start() + 1)
            else:
                found.append(span)
                m = search(text, max(m.end(), span[1], m.start() + 1))

    def _check(  # noqa: C901, PLR0911, PLR0912 - one validator per rule, kept together
        self, text: str, m: re.Match[str], group: _GroupInfo
    ) -> Optional[Span]:
        """Validate a candidate match and return the span to replace, or None."""
        rule, inner, back, edge = group
        start = m.start() - back
        if edge and start > 0 and text[start - 1] in _ALNUM:
            return None
        for name in inner:
            if m.start(name) >= 0:
                if rule == "http_credentials" and not _http_credentials_ok(m[0], m[name]):
                    return None
                return m.start(name), m.end(name), "value:" + rule
        end = m.end()
        ok = True
        if rule == "assignment":
            return self._assignment(text, m.start())
        if rule == "jwt":
            ok = _jwt_ok(text[start:end])
        elif rule == "card_number":
            ok = is_card_number(m[0].replace(" ", "").replace("-", ""))
        elif rule == "openai_key":
            ok = _openai_ok(text[start:end])
        elif rule == "ipv4":
            start = m.start()
            low = max(0, start - 3)
            while start > low and text[start - 1].isdigit():
                start -= 1
            ok = (start == 0 or text[start - 1] not in _WORD_OR_DOT) and _ipv4_ok(text[start:end])
        elif rule == "email":
            at = start  # the branch starts at the `@`; walk back over the local part
            local, low = at, max(0, at - 64)
            while local > low and text[local - 1] in _EMAIL_LOCAL:
                local -= 1
            return (local, end, "pii:email") if local < at else None
        if not ok:
            return None
        return start, end, ("pii:" if rule == "ipv4" else "value:") + rule

    def _assignment(self, text: str, sep: int) -> Optional[Span]:
        """Judge the name before a `:`/`=` separator; return the span of its value."""
        end = sep
        if end > 0 and text[end - 1] in " \t":
            end -= 1
        if end > 0 and text[end - 1] in "\"'":
            end -= 1
            if end > 0 and text[end - 1] == "\\":  # an escaped quote: JSON inside JSON
                end -= 1
        tail = text[max(0, end - 4) : end].lower()
        if (
            tail not in self._suffixes
            and tail[-3:] not in self._suffixes
            and tail[-2:] not in self._suffixes
        ):
            if tail == "alue" and text[sep] == "=":
                return self._pydantic_input(text, end, sep)
            return None
        begin, low = end, max(0, end - 64)
        while begin > low and text[begin - 1] in _IDENT_CHARS:
            begin -= 1
        label = self._classify(text[begin:end])
        if label is None:
            return None
        if label in _LINE_LABELS:
            line = _LINE_RE.match(text, sep + 1)
            return (
                None
                if line is None
                else (line.start("line"), line.end("line"), "text_key:" + label)
            )
        return _value_span(text, sep + 1, "text_key:" + label)

    def _pydantic_input(self, text: str, end: int, sep: int) -> Optional[Span]:
        """Judge pydantic's `input_value=` by the field location on the line above."""
        begin = end - len(_PYDANTIC_INPUT)
        if begin < 0 or not text.startswith(_PYDANTIC_INPUT, begin):
            return None
        if begin > 0 and text[begin - 1] in _IDENT_CHARS:
            return None
        # Every search is bounded, so that a text full of `input_value=` stays linear.
        newline = text.rfind("\n", max(0, begin - _NEST_LIMIT), begin)
        high = min(len(text), sep + _NEST_LIMIT)
        line_end = text.find("\n", sep, high)
        stop = text.rfind(_PYDANTIC_INPUT_END, sep, high if line_end < 0 else line_end)
        label: Optional[str] = None
        if newline >= 0:  # `a.0.api_key`: any part of the location may name a secret
            low = max(0, newline - _NEST_LIMIT)
            location = text[text.rfind("\n", low, newline) + 1 or low : newline]
            for part in location.strip().split("."):
                label = self._classify(part) if part else None
                if label is not None:
                    break
        if label is not None:
            if stop > sep + 1:
                return sep + 1, stop, "text_key:" + label
            return _value_span(text, sep + 1, "text_key:" + label)
        if stop > sep + 1 and text[sep + 1] in "([{" and "..." in text[sep + 1 : stop]:
            return sep + 1, stop, "text_key:" + _PYDANTIC_INPUT  # cut: its keys may be lost
        return None


def _value_span(text: str, pos: int, rule: str) -> Optional[Span]:
    """Return the span of the value that starts at `pos` (after a secret name), or None."""
    value = _VALUE_RE.match(text, pos)
    if value is None:
        return None
    group = value.lastgroup
    if group is None:
        return None
    start = value.start(group)
    if group == "open":
        return start, _bracketed_end(text, start), rule
    return start, value.end(group), rule


def _bracketed_end(text: str, start: int) -> int:
    """Return where the bracketed value opening at `start` closes (exclusive).

    Quoted strings are skipped whole, so brackets inside them do not count. A value not
    closed within `_NEST_LIMIT` characters (cut short, or not a value after all) ends
    there: the scrubber fails closed.
    """
    limit = min(len(text), start + _NEST_LIMIT)
    match = _NEST_RE.match
    depth = 0
    pos = start
    while pos < limit:
        token = match(text, pos, limit)
        if token is None:  # pragma: no cover - every character starts some token
            return limit
        pos = token.end()
        char = token[0][0]
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth <= 0:
                return pos
    return limit


def _ipv6_ok(candidate: str) -> bool:
    if "::" not in candidate and candidate.count(":") != 7:  # noqa: PLR2004
        return False
    try:
        ipaddress.IPv6Address(candidate)
    except ValueError:
        return False
    return True


def _merge(spans: list[Span]) -> list[Span]:
    """Sort spans and fuse overlapping ones (the earlier rule names the fused span)."""
    spans.sort()
    merged = [spans[0]]
    for start, end, rule in spans[1:]:
        last_start, last_end, last_rule = merged[-1]
        if start < last_end:
            merged[-1] = (last_start, max(end, last_end), last_rule)
        else:
            merged.append((start, end, rule))
    return merged
