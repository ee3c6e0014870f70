"""Key words: the names that name a secret, and `KeyRules`, which compares on words.

`KeyRules` decides whether a *name* (argument, dict key, attribute, header, query
parameter, tag) names a secret. Names are split into words (snake_case, camelCase,
kebab-case, dots, digits) and compared on whole words and known word pairs, never on raw
substrings, so `max_tokens`, `tokenizer` and `author` are kept while `access_token`,
`apiKey` and `x-api-key` are not. A secret word followed by a *descriptor* word
(`token_count`, `api_key_id`, `secret_name`) names metadata about a secret, not the
secret, and is kept.

To add a name: add its words to `SECRET_PHRASES` (a glued spelling such as `apitoken` is
one word). To keep a name that a phrase catches: add the word that makes it harmless to
the descriptor tables, with a test in `tests/test_scrub_names.py`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final, Optional

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["KeyRules", "split_words"]

# An acronym run stops before a capitalised word (`APIKey` -> `API`, `Key`).
_WORD_RE: Final = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")

# Each entry is a phrase of one or more words; glued spellings (`sessionid`, `apikey`)
# are single words because people write them that way.
_SECRET_PHRASES: tuple[str, ...] = (
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
    "client key",
    "functions key",  # Azure Functions `x-functions-key`
    "hmac",  # `x-shopify-hmac-sha256`
    "hapikey",  # HubSpot
    # glued spellings
    "apitoken",
    "dbpassword",
    "dbpass",
    "dbpwd",
    "clientsecret",
    "authkey",
    "bottoken",
    "privatetoken",
    "secretkey",
    # sessions and cookies
    "session",
    "sessionid",
    "sessid",
    "sid",
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

# `<vendor>_key` names a vendor's API key (`openai_key`, `azure_openai_key`); `key` alone
# (a cache or dict key) and `cache_key`, `primary_key`, `sort_key` are kept.
VENDOR_KEY_WORDS: Final = (  # noqa: SIM905 - word lists read better as prose
    "openai anthropic claude stripe azure aws gcp google gemini vertex mistral cohere groq "
    "deepseek together fireworks replicate huggingface hf github gitlab slack twilio "
    "sendgrid mailgun postmark pinecone algolia mapbox datadog dd sentry segment "
    "fallback backup service app application developer provider llm master admin "
    "license subscription webhook ingest"
).split()
_SECRET_PHRASES += tuple(f"{word} key" for word in VENDOR_KEY_WORDS)

# A secret word followed by one of these names a property of the secret, not the secret:
# `token_count`, `api_key_id`, `client_secret_expires_at`, `cookie_domain`, `card_last4`.
_DESCRIPTORS_AFTER: Final = frozenset(
    (  # noqa: SIM905 - word lists read better as prose
        "count counts num length len size limit limits max min type types kind name names "
        "label id ids hash hashed digest fingerprint expiry expires expiration expired exp "
        "ttl age lifetime created updated rotated last brand enabled disabled required "
        "policy strength version path domain secure samesite httponly field fields format "
        "scheme method methods provider providers backend mode status valid verified usage "
        "budget index position timeout retries present exists url uri endpoint duration "
        "memory through figs"
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
