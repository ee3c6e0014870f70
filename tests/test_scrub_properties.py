"""Hypothesis properties of the scrubber: planted secrets never survive, safe data does.

Random nested structures (dicts, lists, dataclasses, pydantic models) get secrets planted
under sensitive keys, as bare secret-shaped values and inside sentences. The scrubbed
result's repr never contains a planted secret, and every non-sensitive field that fits the
limits comes back unchanged.
"""

from __future__ import annotations

import dataclasses
import json
import typing

import pydantic
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autocapture._scrub import REDACTED, Scrubber

SCRUBBER = Scrubber()

SENSITIVE_KEYS = [
    "password", "api_key", "apiKey", "x-api-key", "access_token", "client_secret",
    "Authorization", "cookie", "session_id", "credentials", "private_key", "ssn", "cvv",
]  # fmt: skip
SAFE_KEYS = [
    "model", "provider", "user_id", "max_tokens", "prompt_tokens", "name", "region",
    "status", "count", "items", "author", "cache_key", "tokenizer", "note",
]  # fmt: skip

# Plain words that contain none of the detected shapes: no digits, no separators.
WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8)
SAFE_TEXT = st.lists(WORDS, min_size=0, max_size=8).map(" ".join)
SAFE_SCALARS = st.one_of(
    SAFE_TEXT, st.integers(-(10**9), 10**9), st.booleans(), st.none(), st.floats(-1e6, 1e6)
)

ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
BODY = st.text(alphabet=ALNUM, min_size=24, max_size=40)


def _luhn_complete(prefix: str) -> str:
    """Append the Luhn check digit to a digit string."""
    total = 0
    for i, ch in enumerate(reversed(prefix)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return prefix + str((10 - total % 10) % 10)


SHAPED_SECRETS = st.one_of(
    BODY.map(lambda b: "sk_" + "live_" + b),
    BODY.map(lambda b: "gh" + "p_" + b),
    BODY.map(lambda b: "gl" + "pat-" + b),
    BODY.map(lambda b: "xox" + "b-" + b),
    BODY.map(lambda b: "sk-" + "proj-" + b),
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", min_size=16, max_size=16).map(
        lambda b: "AKIA" + b
    ),
    st.text(alphabet="0123456789", min_size=15, max_size=15).map(
        lambda d: _luhn_complete("4" + d)
    ),
)
# A secret under a sensitive key can be anything, even plain words.
KEY_SECRETS = st.one_of(SHAPED_SECRETS, BODY.map(lambda b: "hunter" + b))


@dataclasses.dataclass
class Box:
    note: object
    api_key: object


class Envelope(pydantic.BaseModel):
    region: str
    password: str
    payload: typing.Any = None


def structures(leaves: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    """Nested dicts/lists of safe keys around the given leaves (depth well under limits)."""
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(st.sampled_from(SAFE_KEYS), children, max_size=4),
        ),
        max_leaves=12,
    )


@st.composite
def planted(draw: st.DrawFn) -> tuple[object, list[str]]:
    """A random structure with secrets planted at random places, and the secrets."""
    secrets: list[str] = []

    def plant(kind: int, secret: str, key: str) -> object:
        secrets.append(secret)
        if kind == 0:  # under a sensitive key
            return {key: secret}
        if kind == 1:  # a bare shaped value
            return secret
        if kind == 2:  # inside a sentence
            return f"the call failed with {secret} so we retried"
        if kind == 3:
            return Box(note=f"see {secret}", api_key=secret)
        return Envelope(region="eu", password=secret, payload={"session_id": secret})

    @st.composite
    def leaf(draw_leaf: st.DrawFn) -> object:
        if draw_leaf(st.integers(0, 3)) > 0:
            return draw_leaf(SAFE_SCALARS)
        kind = draw_leaf(st.integers(0, 4))
        secret = draw_leaf(KEY_SECRETS if kind in (0, 4) else SHAPED_SECRETS)
        return plant(kind, secret, draw_leaf(st.sampled_from(SENSITIVE_KEYS)))

    value = draw(structures(leaf()))
    return value, secrets


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(planted())
def test_planted_secrets_never_survive(case: tuple[object, list[str]]) -> None:
    """No planted secret appears anywhere in the repr of the scrubbed result."""
    value, secrets = case
    result = SCRUBBER.scrub(value)
    text = repr(result)
    for secret in secrets:
        assert secret not in text
    json.dumps(result, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(structures(SAFE_SCALARS))
def test_safe_data_is_kept_unchanged(value: object) -> None:
    """A structure of safe keys and plain values comes back equal (lists for lists)."""
    assert SCRUBBER.scrub(value) == value


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(st.sampled_from(SAFE_KEYS), SAFE_SCALARS, max_size=6),
    st.sampled_from(SENSITIVE_KEYS),
    KEY_SECRETS,
)
def test_sensitive_key_redacts_and_keeps_siblings(
    safe: dict[str, object], key: str, secret: str
) -> None:
    """A sensitive key is redacted while every sibling field is kept unchanged."""
    result = SCRUBBER.scrub({**safe, key: secret})
    assert result == {**safe, key: REDACTED}


@settings(max_examples=200, deadline=None)
@given(SAFE_TEXT, SHAPED_SECRETS, SAFE_TEXT)
def test_secret_inside_text_keeps_the_text(before: str, secret: str, after: str) -> None:
    """A secret inside a sentence is replaced and the words around it are kept."""
    text = f"{before} {secret} {after}"
    assert SCRUBBER.scrub_text(text) == f"{before} {REDACTED} {after}"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_scrub_text_never_raises_and_is_idempotent(text: str) -> None:
    """scrub_text accepts any text, and scrubbing twice changes nothing more."""
    once = SCRUBBER.scrub_text(text)
    assert SCRUBBER.scrub_text(once) == once
