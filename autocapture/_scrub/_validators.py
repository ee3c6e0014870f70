"""Validators: what a candidate of a value shape must also satisfy to be a secret.

The combined pattern of `_text.TextRules` finds candidates cheaply; these checks, run on
each candidate only, tell a secret from a look-alike: a JWT's header decodes, a card
number passes Luhn, a `Bearer` word looks like a credential, an IP address is not a
version number. A shape that needs one names it in `TextRules._check`.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Final

__all__ = [
    "http_credentials_ok",
    "ipv4_ok",
    "ipv6_ok",
    "is_card_number",
    "is_version_or_loopback",
    "jwt_ok",
    "luhn_ok",
    "openai_ok",
]

_CARD_FIRST_DIGITS: Final = "23456"  # issuer ranges; excludes epoch-millisecond numbers


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


def jwt_ok(token: str) -> bool:
    """A JWT's header is base64url JSON naming its algorithm."""
    header = token.split(".", 1)[0]
    try:
        decoded = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError):
        return False
    return isinstance(decoded, dict) and "alg" in decoded


def http_credentials_ok(scheme_and_token: str, token: str) -> bool:
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
    if token.isalpha() and token.islower():  # `Bearer authentication required`
        return False
    # Capitalised `Bearer x` is how the header is written; lowercase needs more evidence.
    return scheme_and_token[0] == "B" or has_symbol


def openai_ok(token: str) -> bool:
    """`sk-` keys carry a long random run; kebab-case words (`sk-learn-...`) do not."""
    return max(len(part) for part in token[3:].split("-")) >= 16  # noqa: PLR2004


def ipv4_ok(text: str) -> bool:
    return all(int(octet) <= 255 for octet in text.split("."))  # noqa: PLR2004


def ipv6_ok(candidate: str) -> bool:
    """An IPv6 address that is neither loopback nor unspecified."""
    import ipaddress  # 3 ms to import: only for a text that may hold an IPv6 address

    if "::" not in candidate and candidate.count(":") != 7:  # noqa: PLR2004
        return False
    try:
        address = ipaddress.IPv6Address(candidate)
    except ValueError:
        return False
    return not (address.is_loopback or address.is_unspecified)


def is_version_or_loopback(text: str, start: int, end: int) -> bool:
    """`version 1.2.3.4`, `v1.2.3.4` and `127.0.0.1` are no one's personal data."""
    if text.startswith("127.", start) or text[start:end] == "0.0.0.0":  # noqa: S104
        return True
    before = text[max(0, start - 9) : start].lower().rstrip(" :=")
    return before.endswith(("version", "ver", "v", "release", "build"))
