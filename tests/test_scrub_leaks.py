"""Regression tests for secrets that once leaked through the scrubber (API §5).

Each test names one leak: a secret under a secret name in exception text whose value is
not a bare word (bytes, lists, tuples, escaped quotes, JSON inside JSON), pydantic
validation messages that show the rejected value, bytes mapping keys, and header-style
`(name, value)` pairs.

Secrets are built at test time from harmless pieces, so that no literal in this file looks
like a live credential to a secret scanner.
"""

from __future__ import annotations

import json
import typing

import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autocapture._scrub import KEEP, REDACTED, Scrubber, ScrubMatch, ScrubOptions

SECRET = "hunter" + "2XYZ"


@pytest.fixture
def scrubber() -> Scrubber:
    return Scrubber()


# -- key: value text with values that are not bare words ---------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (str({"password": SECRET.encode()}), f"{{'password': b'{REDACTED}'}}"),
        (str({"api_key": [SECRET]}), f"{{'api_key': {REDACTED}}}"),
        (str({"token": (SECRET,)}), f"{{'token': {REDACTED}}}"),
        (str({"secret": [SECRET, "b", ("c", "d")]}), f"{{'secret': {REDACTED}}}"),
        (
            json.dumps({"body": json.dumps({"password": SECRET, "user": "bob"})}),
            '{"body": "{\\"password\\": \\"' + REDACTED + '\\", \\"user\\": \\"bob\\"}"}',
        ),
        (str({"password": "it's " + SECRET}), f"{{'password': \"{REDACTED}\"}}"),
        (str({"password": "a'b\"" + SECRET}), f"{{'password': '{REDACTED}'}}"),
        (json.dumps({"password": 'a"' + SECRET}), f'{{"password": "{REDACTED}"}}'),
        (f"connect(password=rb'{SECRET}')", f"connect(password=rb'{REDACTED}')"),
        (f"connect(password=u'{SECRET}', f=1)", f"connect(password=u'{REDACTED}', f=1)"),
        (f'login(token=F"{SECRET}")', f'login(token=F"{REDACTED}")'),
    ],
    ids=[
        "bytes",
        "list",
        "tuple",
        "nested_list",
        "escaped_json",
        "double_quoted_repr",
        "escaped_single_quote",
        "escaped_double_quote",
        "raw_bytes_prefix",
        "unicode_prefix",
        "fstring_prefix",
    ],
)
def test_secret_name_redacts_whole_quoted_or_bracketed_value(
    scrubber: Scrubber, text: str, expected: str
) -> None:
    """A secret-named value in text is replaced whole, whatever its quoting or brackets."""
    assert expected == scrubber.scrub_text(text)


def test_secret_name_redacts_whole_mapping_value(scrubber: Scrubber) -> None:
    """A mapping under a secret name in text is replaced whole, like in structured data."""
    text = str({"credentials": {"user": "bob", "key": SECRET}, "region": "eu"})
    assert f"{{'credentials': {REDACTED}, 'region': 'eu'}}" == scrubber.scrub_text(text)


def test_unclosed_bracketed_value_is_redacted_to_the_end(scrubber: Scrubber) -> None:
    """A bracketed secret cut before its closing bracket is redacted to the end of the text."""
    text = f"bad config api_key: ['{SECRET}', 'more"
    assert f"bad config api_key: {REDACTED}" == scrubber.scrub_text(text)


@pytest.mark.parametrize(
    "text",
    [
        "max_tokens: 512",
        str({"max_tokens": [512, 1024], "model": b"gpt", "tokens": ["a", "b"]}),
        "note: (see docs), author: ['bob']",
        json.dumps({"body": json.dumps({"user": "bob", "max_tokens": 5})}),
        "it's a 'quoted' word and a \"double\" one, key: (1, 2)",
    ],
)
def test_ordinary_quoted_and_bracketed_text_is_kept(scrubber: Scrubber, text: str) -> None:
    """Quoted and bracketed values under ordinary names are kept as they are."""
    assert text == scrubber.scrub_text(text)


KEYS = st.sampled_from(["password", "api_key", "token", "secret", "Authorization"])
# A secret with a distinctive head and tail around characters that break naive quoting.
SECRETS = st.builds(
    lambda head, middle, tail: head + middle + tail,
    st.text(alphabet="QXZKVW", min_size=6, max_size=10),
    st.text(alphabet="ab '\"\\,)]}([{:=", max_size=12),
    st.text(alphabet="QXZKVW", min_size=6, max_size=10),
)
WRAPPERS: list[typing.Callable[[str, str], str]] = [
    lambda key, secret: str({key: secret, "region": "eu"}),
    lambda key, secret: str({key: secret.encode(), "region": "eu"}),
    lambda key, secret: str({key: [secret, "x"], "region": "eu"}),
    lambda key, secret: str({key: (secret,), "region": "eu"}),
    lambda key, secret: json.dumps({key: secret, "region": "eu"}),
    lambda key, secret: json.dumps({"body": json.dumps({key: secret, "region": "eu"})}),
]


@settings(max_examples=300, deadline=None)
@given(KEYS, SECRETS, st.sampled_from(range(len(WRAPPERS))))
def test_no_part_of_a_secret_named_value_survives_in_text(
    key: str, secret: str, wrapper: int
) -> None:
    """Neither end of a secret under a secret name survives scrub_text; its siblings do."""
    out = Scrubber().scrub_text(WRAPPERS[wrapper](key, secret))
    assert secret[:6] not in out
    assert secret[-6:] not in out
    assert "region" in out
    assert "eu" in out


# -- pydantic validation errors -------------------------------------------------------------


class Login(pydantic.BaseModel):
    username: str = ""
    password: str = pydantic.Field(min_length=12)
    email: str = ""
    age: int = 0


class Request(pydantic.BaseModel):
    body: Login


class Credential(pydantic.BaseModel):
    api_key: str = pydantic.Field(min_length=12)


class Account(pydantic.BaseModel):
    credentials: list[Credential]


class Signup(pydantic.BaseModel):
    email: str


def validation_message(model: type[pydantic.BaseModel], data: object) -> str:
    """The message of the ValidationError that validating `data` raises."""
    with pytest.raises(pydantic.ValidationError) as info:
        model.model_validate(data)
    return str(info.value)


@pytest.mark.parametrize(
    ("model", "data"),
    [
        (Login, {"password": SECRET}),
        (Request, {"body": {"password": SECRET}}),
        (Account, {"credentials": [{"api_key": SECRET}]}),
    ],
    ids=["field", "nested_field", "list_item_field"],
)
def test_validation_error_hides_input_of_secret_field(
    scrubber: Scrubber, model: type[pydantic.BaseModel], data: object
) -> None:
    """The input_value of a field whose location names a secret is replaced."""
    message = validation_message(model, data)
    assert f"input_value='{SECRET}'" in message
    expected = message.replace(f"input_value='{SECRET}'", f"input_value={REDACTED}")
    assert expected == scrubber.scrub_text(message)


def test_validation_error_hides_secrets_inside_input_mapping(scrubber: Scrubber) -> None:
    """A mapping shown as input_value keeps its fields except those named like secrets."""
    message = validation_message(Signup, {"username": "bob", "password": SECRET})
    assert f"'password': '{SECRET}'" in message
    expected = message.replace(f"'password': '{SECRET}'", f"'password': '{REDACTED}'")
    assert expected == scrubber.scrub_text(message)


def test_validation_error_hides_truncated_input_mapping(scrubber: Scrubber) -> None:
    """A mapping input_value cut by pydantic (its key names lost) is replaced whole."""
    message = validation_message(Signup, {"username": "bob", "password": SECRET * 3})
    assert "..." in message
    assert SECRET in message
    out = scrubber.scrub_text(message)
    assert SECRET not in out
    assert f"input_value={REDACTED}, input_type=dict]" in out


def test_validation_error_keeps_input_of_ordinary_field(scrubber: Scrubber) -> None:
    """The input_value of an ordinary field stays, so the error remains useful."""
    message = validation_message(Login, {"password": "x" * 12, "age": "twelve"})
    assert "input_value='twelve'" in message
    assert message == scrubber.scrub_text(message)


# -- bytes mapping keys -----------------------------------------------------------------------


def test_utf8_bytes_keys_are_used_as_text(scrubber: Scrubber) -> None:
    """A short UTF-8 bytes key is used as its text, so key rules apply to it."""
    value = {b"password": SECRET, b"username": "bob", "caf\u00e9".encode(): 1}
    assert scrubber.scrub(value) == {"password": REDACTED, "username": "bob", "caf\u00e9": 1}


def test_secret_shaped_bytes_key_is_redacted(scrubber: Scrubber) -> None:
    """A bytes key that is a secret does not leak it through the key."""
    secret = "sk_" + "live_" + "k" * 24
    assert secret not in repr(scrubber.scrub({secret.encode(): 1}))


def test_binary_bytes_keys_of_same_length_do_not_collide(scrubber: Scrubber) -> None:
    """Non-UTF-8 bytes keys become distinct markers that show no byte of the key."""
    value = {b"\xff\xfe\x01": 1, b"\xfe\xff\x02": 2, b"x" * 300: 3}
    out = scrubber.scrub(value)
    assert list(out.values()) == [1, 2, 3]
    assert all(key.startswith(("<bytes len=3 ", "<bytes len=300 ")) for key in out)
    assert not any("xxx" in key for key in out)


def test_keys_that_convert_to_the_same_text_do_not_collide(scrubber: Scrubber) -> None:
    """Mapping keys of different types with the same text all keep their values."""
    out = scrubber.scrub({"a": 1, b"a": 2, 1: 3, "1": 4})
    assert list(out.values()) == [1, 2, 3, 4]


# -- header-style pairs -------------------------------------------------------------------------


def test_pair_named_like_a_secret_has_its_value_redacted(scrubber: Scrubber) -> None:
    """In a list of (name, value) pairs, a secret name redacts its value."""
    headers = [("X-Api-Key", "plainsecret123"), ("Accept", "json")]
    assert scrubber.scrub(headers) == [["X-Api-Key", REDACTED], ["Accept", "json"]]


def test_asgi_bytes_header_pairs_are_redacted(scrubber: Scrubber) -> None:
    """ASGI raw headers (bytes pairs) with a secret name keep the pair with its value redacted."""
    headers = [(b"authorization", b"Bearer " + SECRET.encode()), [b"accept", b"*/*"]]
    out = scrubber.scrub({"headers": headers})
    assert out["headers"][0] == ["<bytes len=13>", REDACTED]
    assert out["headers"][1] == ["<bytes len=6>", "<bytes len=3>"]


def test_ordinary_pairs_are_scrubbed_as_usual(scrubber: Scrubber) -> None:
    """Pairs with ordinary names keep their values, still checked for secret shapes."""
    pairs = (("model", "gpt"), ("note", "Bearer " + "abc123DEF456"), ("tokens", 5))
    assert [["model", "gpt"], ["note", f"Bearer {REDACTED}"], ["tokens", 5]] == (
        scrubber.scrub(pairs)
    )


def test_pair_callback_sees_key_match_at_value_path() -> None:
    """The callback sees a secret pair as a key match at the pair value's path."""
    seen: list[ScrubMatch] = []

    def callback(match: ScrubMatch) -> object:
        seen.append(match)
        return KEEP

    scrubber = Scrubber(ScrubOptions(callback=callback))
    assert scrubber.scrub({"h": [("token", "t0k")]}) == {"h": [["token", "t0k"]]}
    assert [ScrubMatch(("h", 0, 1), "t0k", "key:token")] == seen
