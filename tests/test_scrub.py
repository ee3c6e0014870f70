"""Table-driven tests of the scrubber (API §5): key rules, value shapes, PII, structures,
limits, hostile objects, the callback and option validation.

Secrets are built at test time from harmless pieces, so that no literal in this file looks
like a live credential to a secret scanner.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import decimal
import enum
import json
import pathlib
import re
import threading
import time
import typing
import uuid

import attrs
import pydantic
import pytest

from autocapture._scrub import KEEP, REDACTED, Scrubber, ScrubMatch, ScrubOptions


def b64url(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


JWT = b64url({"alg": "HS256", "typ": "JWT"}) + "." + b64url({"sub": "42"}) + ".c2lnbmF0dXJl_x-1"
PEM = (
    "-----BEGIN RSA "
    "PRIVATE KEY-----\nMIIEpAIBAAKCAQEA" + "q" * 64 + "\n-----END RSA " + "PRIVATE KEY-----"
)

# (name, secret) -- each must vanish wherever it appears in a string
SHAPES = [
    ("jwt", JWT),
    ("openssh", PEM.replace("RSA", "OPENSSH")),
    ("pem", PEM),
    (
        "pgp",
        "-----BEGIN PGP "
        "PRIVATE KEY BLOCK-----\nlQOYBF" + "z" * 40 + "\n-----END PGP PRIVATE KEY BLOCK-----",
    ),
    ("pem_truncated", PEM[:60]),
    ("aws_akia", "AKIA" + "IOSFODNN7EXAMPLE"),
    ("aws_asia", "ASIA" + "Q" * 16),
    ("stripe_live", "sk_" + "live_" + "a" * 24),
    ("stripe_test", "sk_" + "test_" + "B3" * 12),
    ("stripe_restricted", "rk_" + "live_" + "c" * 24),
    ("slack_bot", "xox" + "b-" + "1234567890-abcdefABCDEF"),
    ("slack_user", "xox" + "p-" + "1234567890-abcdefABCDEF"),
    ("github_pat_classic", "gh" + "p_" + "a1B2" * 9),
    ("github_oauth", "gh" + "o_" + "a1B2" * 9),
    ("github_user", "gh" + "u_" + "a1B2" * 9),
    ("github_server", "gh" + "s_" + "a1B2" * 9),
    ("github_refresh", "gh" + "r_" + "a1B2" * 9),
    ("github_fine", "github" + "_pat_" + "11ABC" * 6),
    ("gitlab", "gl" + "pat-" + "x" * 20),
    ("openai", "sk-" + "a" * 48),
    ("openai_project", "sk-" + "proj-" + "Ab3" * 15),
    ("anthropic", "sk-" + "ant-api03-" + "Zz9" * 30),
    ("google", "AI" + "za" + "S" * 35),
    ("sendgrid", "SG" + "." + "a" * 22 + "." + "b" * 43),
    ("pypi", "pypi" + "-AgEIcHlwaS5vcmc" + "x" * 40),
    ("card_visa", "4111 " + "1111 1111 1111"),
    ("card_dashes", "5555-" + "5555-5555-4444"),
    ("card_plain", "3782822" + "46310005"),
    ("bearer", "Bearer " + "abc123DEF456ghi789"),
    ("basic", "Basic " + base64.b64encode(b"user:pa55word").decode()),
]

# text that must come back unchanged (with PII masking on)
KEPT_TEXTS = [
    "Could not connect to the upstream provider after 3 retries.",
    "request 123e4567-e89b-12d3-a456-426614174000 failed",
    "at 2024-05-14T10:22:31.123456+00:00 and 2024-05-14 10:22:31",
    "order number 4111111111111112 is not a card",  # fails Luhn
    "ms timestamp 1700000000000000 ok",
    "md5 9e107d9d372bb6826bd81d3542a419d6",
    "sha1 2fd4e1c67a2d28fced849ee1bb76e7391b93eb12",
    "sha256 d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592",
    "event 0123456789abcdef0123456789abcdef",
    "sk-learn-is-a-great-library-for-models",
    "a basic understanding of tokens and tokenizers",
    "max_tokens: 1024, prompt_tokens=17",
    "see https://example.com/path?q=1 for details",
    "time 10:30:00, ratio 3.14, version v1.2.3",
    "the author wrote a cache key",
    "",
]

REDACTED_KEYS = [
    "password",
    "passwd",
    "new_password",
    "PASSWORD",
    "db_password",
    "secret",
    "client_secret",
    "api_key",
    "apiKey",
    "APIKey",
    "x-api-key",
    "X-Api-Key",
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "private_key",
    "privateKey",
    "credit_card",
    "card_number",
    "cvv",
    "cvc",
    "ssn",
    "authorization",
    "Authorization",
    "cookie",
    "Cookie",
    "set-cookie",
    "Set-Cookie",
    "session_id",
    "sessionid",
    "sessionId",
    "PHPSESSID",
    "credentials",
    "jwt",
    "webhook_secret",
    "auth_token",
    "x-auth-token",
    "proxy-authorization",
    "signature",
    "stripe-signature",
    "x-csrf-token",
    "csrftoken",
    "passphrase",
    "aws_secret_access_key",
    "client.secret",
    "auth",
    "bearer",
    "mysql_pwd",
    "social_security_number",
    "encryption_key",
    "signing_key",
    "connect.sid",
    "password_hash",
    "otp",
    "pin",
]

KEPT_KEYS = [
    "max_tokens",
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "token_count",
    "tokenizer",
    "tokens",
    "author",
    "authors",
    "key",
    "cache_key",
    "primary_key",
    "public_key",
    "model",
    "provider",
    "user_id",
    "session_count",
    "api_key_id",
    "api_key_hash",
    "token_type",
    "secret_name",
    "next_page_token",
    "card_last4",
    "card_brand",
    "keys",
    "id",
    "email",
    "idempotency_key",
    "cookie_domain",
    "password_required",
    "has_password",
    "is_authenticated",
]


@pytest.fixture
def scrubber() -> Scrubber:
    return Scrubber()


# -- key rules ---------------------------------------------------------------------------


@pytest.mark.parametrize("key", REDACTED_KEYS)
def test_sensitive_key_redacts_value(scrubber: Scrubber, key: str) -> None:
    """A value under a secret name is replaced by REDACTED, in a mapping and via key=."""
    assert scrubber.is_sensitive_key(key)
    assert scrubber.scrub({key: "hunter2"}) == {key: REDACTED}
    assert scrubber.scrub("hunter2", key=key) == REDACTED


@pytest.mark.parametrize("key", KEPT_KEYS)
def test_ordinary_key_keeps_value(scrubber: Scrubber, key: str) -> None:
    """A value under an ordinary name (compared on words) is kept."""
    assert not scrubber.is_sensitive_key(key)
    assert scrubber.scrub({key: "plain value"}) == {key: "plain value"}


@pytest.mark.parametrize(
    "value", [{"user": "a", "pass": "b"}, ["a", "b"], 12345, None, b"raw", ("x", 1)]
)
def test_sensitive_key_redacts_any_type(scrubber: Scrubber, value: object) -> None:
    """A secret name redacts its whole value whatever the value's type."""
    assert scrubber.scrub({"credentials": value}) == {"credentials": REDACTED}


def test_scrub_mapping_considers_keys(scrubber: Scrubber) -> None:
    """scrub_mapping redacts by name and keeps the other arguments unchanged."""
    args = {"provider": "openrouter", "model": "gpt-4", "api_key": "k", "max_tokens": 5}
    assert scrubber.scrub_mapping(args) == {**args, "api_key": REDACTED}


def test_nested_secret_keys(scrubber: Scrubber) -> None:
    """Key rules apply at every depth."""
    value = {"a": [{"b": {"client_secret": "s", "name": "n"}}]}
    assert scrubber.scrub(value) == {"a": [{"b": {"client_secret": REDACTED, "name": "n"}}]}


# -- value shapes -------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "secret"), SHAPES, ids=[n for n, _ in SHAPES])
def test_secret_shape_is_redacted_anywhere(scrubber: Scrubber, name: str, secret: str) -> None:
    """A secret-shaped value is redacted alone, inside a sentence and under an innocent key."""
    sentence = f"call failed with {secret} (retrying)"
    out = scrubber.scrub({"note": sentence, "value": secret})
    assert secret not in repr(out)
    assert out["note"].startswith("call failed with ")
    assert out["note"].endswith(" (retrying)") or name == "pem_truncated"
    assert REDACTED in out["value"]
    assert secret not in scrubber.scrub_text(sentence)


@pytest.mark.parametrize("text", KEPT_TEXTS)
def test_ordinary_text_is_kept(scrubber: Scrubber, text: str) -> None:
    """Ordinary text, UUIDs, timestamps, Luhn-failing numbers and hex digests are kept."""
    assert scrubber.scrub_text(text) == text
    assert scrubber.scrub(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgres://user:s3cr3t@db:5432/app", f"postgres://user:{REDACTED}@db:5432/app"),
        ("redis://:pw@cache:6379/0", f"redis://:{REDACTED}@cache:6379/0"),
        ("Authorization: Bearer abc123def456", f"Authorization: Bearer {REDACTED}"),
        (
            '{"password": "hunter 2", "user": "bob"}',
            f'{{"password": "{REDACTED}", "user": "bob"}}',
        ),
        ("connect(db_password='pw', host='h')", f"connect(db_password='{REDACTED}', host='h')"),
        ("x-api-key: abc123", f"x-api-key: {REDACTED}"),
        ("cache_key=abc user_id=5", "cache_key=abc user_id=5"),
        ("token " + "sk_" + "live_" + "a" * 24 + " expired", f"token {REDACTED} expired"),
    ],
)
def test_text_keeps_everything_but_the_secret(
    scrubber: Scrubber, text: str, expected: str
) -> None:
    """Only the secret part of a text is replaced; the rest (host, port, names) stays."""
    assert scrubber.scrub_text(text) == expected


def test_placeholder_never_echoes_the_secret(scrubber: Scrubber) -> None:
    """The placeholder keeps no prefix, suffix or length of the secret."""
    for length in (20, 40):
        secret = "sk_" + "live_" + "Q" * length
        assert scrubber.scrub_text(secret) == REDACTED


def test_invalid_jwt_header_is_kept(scrubber: Scrubber) -> None:
    """An eyJ-looking string whose header does not decode to JSON with alg is kept."""
    fake = b64url({"typ": "none"}) + "." + b64url({"a": 1}) + ".x"
    assert scrubber.scrub_text(fake) == fake


@pytest.mark.parametrize("number", [4111111111111111, 5555555555554444, 378282246310005])
def test_card_number_int_is_redacted(scrubber: Scrubber, number: int) -> None:
    """An int that is a Luhn-valid card number is redacted; other big ints are kept."""
    assert scrubber.scrub({"n": number}) == {"n": REDACTED}
    assert scrubber.scrub(number + 1) == number + 1
    assert scrubber.scrub(1_700_000_000_000) == 1_700_000_000_000


# -- PII -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pii",
    [
        "bob.smith+tag@example.co.uk",
        "10.0.0.1",
        "192.168.1.254",
        "fe80::1",
        "2001:db8::8a2e:370:7334",
    ],
)
def test_pii_masked_unless_allowed(pii: str) -> None:
    """Emails and IPs are masked by default and kept with send_pii=True."""
    text = f"user {pii} logged in."
    masked = Scrubber().scrub_text(text)
    assert pii not in masked
    assert masked == f"user {REDACTED} logged in."
    assert Scrubber(send_pii=True).scrub_text(text) == text


def test_pii_masking_keeps_timestamps_and_versions_with_letters() -> None:
    """Timestamps, times and v-prefixed versions are not taken for IP addresses."""
    text = "2024-05-14T10:22:31Z 10:30:00 v1.2.3.4 3.14"
    assert Scrubber().scrub_text(text) == text


# -- structures ----------------------------------------------------------------------------


@dataclasses.dataclass
class Request:
    model: str
    api_key: str
    inner: typing.Optional[Request] = None


@attrs.define
class AttrsConfig:
    provider: str
    password: str


class Model(pydantic.BaseModel):
    model: str
    access_token: str
    secret: pydantic.SecretStr

    @pydantic.field_validator("model")
    @classmethod
    def _check(cls, value: str) -> str:
        return value


class Point(typing.NamedTuple):
    user_id: int
    token: str


class Plain:
    def __init__(self) -> None:
        self.region = "eu"
        self.client_secret = "s"


class Color(enum.Enum):
    RED = "red"
    KEY = "sk_" + "live_" + "e" * 24


def test_dataclass_fields(scrubber: Scrubber) -> None:
    """A dataclass becomes a dict of its fields, nested ones too."""
    value = Request("gpt-4", "k", Request("m", "k2"))
    assert scrubber.scrub(value) == {
        "model": "gpt-4",
        "api_key": REDACTED,
        "inner": {"model": "m", "api_key": REDACTED, "inner": None},
    }


def test_attrs_fields(scrubber: Scrubber) -> None:
    """An attrs instance becomes a dict of its fields."""
    assert scrubber.scrub(AttrsConfig("stripe", "pw")) == {
        "provider": "stripe",
        "password": REDACTED,
    }


def test_pydantic_fields_without_validators(scrubber: Scrubber) -> None:
    """A pydantic model becomes a dict of its fields and SecretStr is redacted."""
    model = Model(model="m", access_token="t", secret="s")
    assert scrubber.scrub({"m": model}) == {
        "m": {"model": "m", "access_token": REDACTED, "secret": REDACTED}
    }


def test_namedtuple_fields(scrubber: Scrubber) -> None:
    """A namedtuple becomes a dict of its fields."""
    assert scrubber.scrub(Point(1, "t")) == {"user_id": 1, "token": REDACTED}


def test_plain_object_dict(scrubber: Scrubber) -> None:
    """An object with __dict__ becomes its fields plus a __type__ name."""
    out = scrubber.scrub(Plain())
    assert out == {"__type__": f"{__name__}.Plain", "region": "eu", "client_secret": REDACTED}


def test_scalars_become_json(scrubber: Scrubber) -> None:
    """Enums, datetimes, UUIDs, Decimals, Paths, nan and inf become JSON-compatible values."""
    value = {
        "color": Color.RED,
        "key": Color.KEY,
        "when": dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc),
        "day": dt.date(2024, 1, 2),
        "id": uuid.UUID(int=1),
        "amount": decimal.Decimal("9.99"),
        "path": pathlib.PurePosixPath("/srv/app"),
        "nan": float("nan"),
        "inf": float("inf"),
        "flag": True,
        "none": None,
        "float": 1.5,
    }
    assert scrubber.scrub(value) == {
        "color": "red",
        "key": REDACTED,
        "when": "2024-01-02T03:04:05+00:00",
        "day": "2024-01-02",
        "id": "00000000-0000-0000-0000-000000000001",
        "amount": "9.99",
        "path": "/srv/app",
        "nan": "nan",
        "inf": "inf",
        "flag": True,
        "none": None,
        "float": 1.5,
    }
    json.dumps(scrubber.scrub(value), allow_nan=False)


def test_sets_are_sorted_lists(scrubber: Scrubber) -> None:
    """Sets and frozensets become lists in a deterministic order."""
    assert scrubber.scrub({"s": {3, 1, 2}, "f": frozenset({"b", "a"})}) == {
        "s": [1, 2, 3],
        "f": ["a", "b"],
    }


def test_mapping_keys_become_strings(scrubber: Scrubber) -> None:
    """Non-str mapping keys are converted to str."""
    assert scrubber.scrub({1: "a", None: "b", (1, 2): "c", Color.RED: "d"}) == {
        "1": "a",
        "None": "b",
        "(1, 2)": "c",
        "red": "d",
    }


def test_secret_shaped_mapping_key_is_redacted(scrubber: Scrubber) -> None:
    """A mapping keyed by a secret does not leak it through the key."""
    secret = "sk_" + "live_" + "k" * 24
    out = scrubber.scrub({secret: 1})
    assert secret not in repr(out)


@pytest.mark.parametrize("blob", [b"x" * 1234, bytearray(b"x" * 1234), memoryview(b"x" * 1234)])
def test_bytes_are_summarised(scrubber: Scrubber, blob: object) -> None:
    """Binary data is summarised by type and length, never dumped."""
    out = scrubber.scrub({"body": blob})
    assert out == {"body": f"<{type(blob).__name__} len=1234>"}


def test_input_is_not_mutated(scrubber: Scrubber) -> None:
    """Scrubbing returns a new value and leaves the input untouched."""
    value = {"password": "p", "items": [{"token": "t"}]}
    before = repr(value)
    scrubber.scrub(value)
    assert repr(value) == before


def test_cycles_terminate(scrubber: Scrubber) -> None:
    """A container that contains itself becomes a [CYCLE] marker."""
    a: dict[str, object] = {"name": "a"}
    a["self"] = a
    items: list[object] = [1]
    items.append(items)
    assert scrubber.scrub(a) == {"name": "a", "self": "[CYCLE]"}
    assert scrubber.scrub(items) == [1, "[CYCLE]"]


def test_shared_references_are_not_cycles(scrubber: Scrubber) -> None:
    """The same object twice (not nested in itself) is scrubbed twice."""
    shared = {"x": 1}
    assert scrubber.scrub([shared, shared]) == [{"x": 1}, {"x": 1}]


# -- limits ------------------------------------------------------------------------------


def test_long_string_truncated_with_marker() -> None:
    """A string over max_string_length is cut and says how many chars were dropped."""
    out = Scrubber(ScrubOptions(max_string_length=100)).scrub("a" * 5100)
    assert out == "a" * 100 + "...[truncated 5000 chars]"


def test_truncation_never_halves_a_secret() -> None:
    """A secret straddling the cut is redacted before the string is cut."""
    secret = "sk_" + "live_" + "z" * 40
    out = Scrubber(ScrubOptions(max_string_length=100)).scrub("x" * 90 + secret + "y" * 500)
    assert "zzz" not in out
    assert out.startswith("x" * 90 + REDACTED[:10])


def test_depth_limit_marker() -> None:
    """Containers deeper than max_depth become [MAX DEPTH]."""
    out = Scrubber(ScrubOptions(max_depth=2)).scrub({"a": {"b": {"c": 1}}})
    assert out == {"a": {"b": "[MAX DEPTH]"}}


def test_items_limit_marker() -> None:
    """Lists and mappings keep max_items items and count the rest."""
    scrubber = Scrubber(ScrubOptions(max_items=3))
    assert scrubber.scrub(list(range(10))) == [0, 1, 2, "[... 7 more items]"]
    assert scrubber.scrub({str(i): i for i in range(5)}) == {
        "0": 0,
        "1": 1,
        "2": 2,
        "[...]": "[... 2 more items]",
    }


def test_total_size_is_bounded() -> None:
    """The total size budget bounds a huge structure."""
    scrubber = Scrubber(ScrubOptions(max_total_chars=2000, max_items=10_000))
    out = scrubber.scrub([["x" * 100] * 100] * 100)
    assert len(json.dumps(out)) < 6000
    assert "more items" in json.dumps(out)


def test_huge_container_is_fast() -> None:
    """A million-item list is cut without walking it all."""
    start = time.perf_counter()
    out = Scrubber().scrub(list(range(1_000_000)))
    assert out[-1] == "[... 999900 more items]"
    assert time.perf_counter() - start < 0.5


# -- hostile objects ---------------------------------------------------------------------


class RaisingRepr:
    __slots__ = ()

    def __repr__(self) -> str:
        raise RuntimeError("no repr")


class HugeRepr:
    __slots__ = ()

    def __repr__(self) -> str:
        return "r" * 5_000_000


class RaisingDict:
    @property
    def __dict__(self) -> dict[str, object]:  # type: ignore[override]
        raise RuntimeError("no dict")

    def __repr__(self) -> str:
        raise RuntimeError("no repr")


class RaisingEq:
    def __init__(self) -> None:
        self.name = "n"

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("no eq")

    def __hash__(self) -> int:
        raise RuntimeError("no hash")


class RaisingField:
    def __init__(self) -> None:
        self.ok = 1

    def __getattribute__(self, name: str) -> object:
        if name == "__class__":
            raise RuntimeError("no class")
        return object.__getattribute__(self, name)


def test_raising_repr_gives_marker(scrubber: Scrubber) -> None:
    """An object whose repr raises becomes <unrepresentable T>."""
    assert scrubber.scrub({"o": RaisingRepr()}) == {
        "o": f"<unrepresentable {__name__}.RaisingRepr>"
    }


def test_huge_repr_is_truncated(scrubber: Scrubber) -> None:
    """An enormous repr is cut to max_string_length."""
    out = scrubber.scrub(HugeRepr())
    assert len(out) < 1100
    assert out.endswith("chars]")


def test_raising_dict_gives_marker(scrubber: Scrubber) -> None:
    """An object whose __dict__ and repr raise becomes a marker."""
    assert scrubber.scrub(RaisingDict()) == f"<unrepresentable {__name__}.RaisingDict>"


def test_raising_eq_and_hash_are_never_called(scrubber: Scrubber) -> None:
    """Objects whose __eq__/__hash__ raise are walked (identity is used for cycles)."""
    obj = RaisingEq()
    assert scrubber.scrub([obj, obj]) == [
        {"__type__": f"{__name__}.RaisingEq", "name": "n"},
        {"__type__": f"{__name__}.RaisingEq", "name": "n"},
    ]


def test_scrub_never_raises(scrubber: Scrubber) -> None:
    """Whatever the input, scrub returns a value instead of raising."""
    for value in (RaisingField(), RaisingDict(), RaisingRepr(), object(), threading.Lock()):
        json.dumps(scrubber.scrub({"v": value}))
    assert isinstance(scrubber.scrub_text(typing.cast("str", RaisingRepr())), str)


def test_generators_are_not_consumed(scrubber: Scrubber) -> None:
    """A generator argument is shown by repr, never iterated."""
    gen = (i for i in range(3))
    assert scrubber.scrub(gen).startswith("<generator object")
    assert list(gen) == [0, 1, 2]


# -- options and callback ----------------------------------------------------------------


def test_extra_keys_and_safe_keys() -> None:
    """extra_keys adds secret names (on words); safe_keys keeps names but checks values."""
    scrubber = Scrubber(ScrubOptions(extra_keys=["tenant_ref"], safe_keys=["session_id"]))
    secret = "sk_" + "live_" + "s" * 24
    assert scrubber.scrub({"tenantRef": "x", "session_id": "abc", "Session-Id": secret}) == {
        "tenantRef": REDACTED,
        "session_id": "abc",
        "Session-Id": REDACTED,
    }


def test_extra_patterns() -> None:
    """extra_patterns redact their matches inside any string."""
    scrubber = Scrubber(
        ScrubOptions(extra_patterns=[r"ACME-\d{6}", re.compile("internal-[a-z]+")])
    )
    assert scrubber.scrub_text("ids ACME-123456 and internal-abc ok") == (
        f"ids {REDACTED} and {REDACTED} ok"
    )


def test_callback_sees_matches_and_can_keep_or_replace() -> None:
    """The callback gets path, value and rule; KEEP keeps, a string replaces, None redacts."""
    seen: list[ScrubMatch] = []

    def callback(match: ScrubMatch) -> object:
        seen.append(match)
        if match.pattern_match == "key:password":
            return KEEP
        if match.pattern_match == "value:stripe_key":
            return "<stripe>"
        return None

    scrubber = Scrubber(ScrubOptions(callback=callback))
    key = "sk_" + "live_" + "c" * 24
    out = scrubber.scrub({"a": [{"password": "p", "token": "t", "note": f"key {key}"}]})
    assert out == {"a": [{"password": "p", "token": REDACTED, "note": "key <stripe>"}]}
    rules = {(m.path, m.pattern_match) for m in seen}
    assert (("a", 0, "password"), "key:password") in rules
    assert (("a", 0, "token"), "key:token") in rules
    assert (("a", 0, "note"), "value:stripe_key") in rules
    assert {m.kind for m in seen} == {"key", "value"}


def test_callback_returning_value_keeps_it() -> None:
    """Returning match.value keeps the value (still checked for shapes inside)."""
    scrubber = Scrubber(ScrubOptions(callback=lambda m: m.value))
    assert scrubber.scrub({"password": "p"}) == {"password": "p"}


def test_raising_callback_fails_closed() -> None:
    """A callback that raises redacts and never propagates."""

    def callback(match: ScrubMatch) -> object:
        raise RuntimeError(match.pattern_match)

    scrubber = Scrubber(ScrubOptions(callback=callback))
    assert scrubber.scrub({"password": "p", "note": "Bearer abc123def456"}) == {
        "password": REDACTED,
        "note": f"Bearer {REDACTED}",
    }


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"extra_keys": "password"}, TypeError, "extra_keys"),
        ({"extra_keys": [""]}, TypeError, "extra_keys"),
        ({"safe_keys": [1]}, TypeError, "safe_keys"),
        ({"extra_patterns": ["("]}, ValueError, "invalid regex"),
        ({"extra_patterns": ["x*"]}, ValueError, "empty string"),
        ({"extra_patterns": [re.compile(b"x")]}, TypeError, "str patterns"),
        ({"extra_patterns": "abc"}, TypeError, "extra_patterns"),
        ({"callback": "nope"}, TypeError, "callback"),
        ({"max_string_length": 0}, ValueError, "max_string_length"),
        ({"max_string_length": True}, TypeError, "max_string_length"),
        ({"max_depth": 1000}, ValueError, "max_depth"),
        ({"max_items": "10"}, TypeError, "max_items"),
        ({"max_total_chars": 10}, ValueError, "max_total_chars"),
    ],
)
def test_options_validation(kwargs: dict[str, object], error: type[Exception], words: str) -> None:
    """Invalid options raise TypeError/ValueError naming the field and the value."""
    with pytest.raises(error, match=re.escape(words)):
        ScrubOptions(**kwargs)  # type: ignore[arg-type]


def test_options_are_frozen_and_hashable() -> None:
    """Options store tuples, so they are immutable and hashable."""
    options = ScrubOptions(extra_keys=["a"], extra_patterns=["b+"])
    assert options.extra_keys == ("a",)
    hash(options)
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.max_depth = 3  # type: ignore[misc]


def test_scrubber_rejects_wrong_options() -> None:
    """Scrubber takes a ScrubOptions or None."""
    with pytest.raises(TypeError, match="ScrubOptions"):
        Scrubber({"max_depth": 3})  # type: ignore[arg-type]


def test_thread_safe() -> None:
    """One scrubber used from many threads gives the same results."""
    scrubber = Scrubber()
    value = {"api_key": "k", "items": [{"token": "t", "n": i} for i in range(50)]}
    expected = scrubber.scrub(value)
    results: list[object] = []

    def work() -> None:
        results.extend(scrubber.scrub(value) for _ in range(50))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(result == expected for result in results)


def test_realistic_chat_payload() -> None:
    """A chat-completion request keeps its content and loses only its credentials."""
    payload = {
        "model": "openai/gpt-4o",
        "max_tokens": 100,
        "messages": [{"role": "user", "content": "hello, what is 2+2?"}],
        "headers": {"Authorization": "Bearer abc", "Content-Type": "application/json"},
        "usage": {"prompt_tokens": 10, "completion_tokens": 2},
    }
    out = Scrubber().scrub(payload)
    assert out == {
        **payload,
        "headers": {"Authorization": REDACTED, "Content-Type": "application/json"},
    }


def test_short_string_cache_is_bounded_and_never_changes_results() -> None:
    """Repeated short strings give the same result, and the span cache stays bounded."""
    from autocapture._scrub import _text as _scrub

    scrubber = Scrubber()
    secret = "sk_live_" + "a1B2c3D4e5F6g7H8i9J0k1L2"
    for _ in range(3):
        assert scrubber.scrub({"note": secret, "role": "user"}) == {
            "note": REDACTED,
            "role": "user",
        }
    for n in range(_scrub.SHORT_CACHE_SIZE * 2 + 10):
        assert scrubber.scrub(f"value-{n}") == f"value-{n}"
    cells = scrubber._spans.__closure__  # type: ignore[attr-defined]
    cache = next(c.cell_contents for c in cells if isinstance(c.cell_contents, dict))
    assert len(cache) <= _scrub.SHORT_CACHE_SIZE
    assert scrubber.scrub(secret) == REDACTED
