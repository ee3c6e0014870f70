"""Text forms, names and prose (API §5): what is read as a secret, and what is kept.

Each table row is one form seen in real messages and logs. The secret is built at test
time from harmless pieces, so that no literal in this file looks like a live credential.
"""

from __future__ import annotations

import pytest

from autocapture._scrub import REDACTED, Scrubber, ScrubOptions

S = "Zq9x" + "Lm2Pw7Rt4Vb8"


@pytest.fixture(scope="module")
def scrubber() -> Scrubber:
    return Scrubber()


TEXT_FORMS = {
    "keyword_space": f"login failed: password {S} rejected",
    "suffixed_digit": f"password1={S}",
    "suffixed_env": f"DB_PASSWORD_PROD={S}",
    "suffixed_word": f"SECRET_KEY_BASE={S}",
    "suffixed_version": f"api_key_v2: {S}",
    "aligned_equals": f"password     = {S}",
    "fat_arrow": f"password => {S}",
    "is": f"the api_key is {S}",
    "spaced_colon_json": f'{{"password" : "{S}"}}',
    "double_escaped_json": '{\\\\\\"password\\\\\\": \\\\\\"' + S + '\\\\\\"}',
    "xml_tag": f"<password>{S}</password>",
    "xml_attribute": f'<user name="bob" password="{S}"/>',
    "getenv_default": f'os.getenv("DB_PASSWORD", "{S}")',
    "long_option": f"run --password {S} --verbose",
    "authorization_apikey": f"Authorization: ApiKey {S}",
    "authorization_bot": f"Authorization: Bot {S}",
    "authorization_digest": f'Authorization: Digest username="bob", response="{S}"',
    "symbols_inside": f"password={S[:4]};}}<>{S[4:]}",
    "symbol_first": f"password=;{S}",
    "url_password_slash": f"postgres://bob:{S[:4]}/#?{S[4:]}@db.internal:5432/app",
    "pair_rendered": str([("X-Api-Key", S)]),
    "key_error_pair": str(KeyError(("Authorization", S))),
}


@pytest.mark.parametrize("text", TEXT_FORMS.values(), ids=TEXT_FORMS.keys())
def test_text_forms_lose_their_secret(scrubber: Scrubber, text: str) -> None:
    out = scrubber.scrub_text(text)
    assert REDACTED in out
    for piece in (S[:6], S[4:10], S[-6:]):
        assert piece not in out, out


SECRET_NAMES = [
    "apitoken",
    "dbpassword",
    "clientsecret",
    "authkey",
    "bottoken",
    "openai_key",
    "stripe_key",
    "azure_openai_key",
    "client_key",
    "fallback_key",
    "x-functions-key",
    "x-hub-signature-256",
    "x-shopify-hmac-sha256",
    "private-token",
    "sid",
    "hapikey",
]
KEPT_NAMES = [
    "cache_key",
    "primary_key",
    "sort_key",
    "token_count",
    "max_tokens",
    "pin_memory",
    "pass_through",
    "sig_figs",
    "token_url",
    "auth_url",
    "session_duration",
    "key",
    "author",
    "tokenizer",
]


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_secret_names(scrubber: Scrubber, name: str) -> None:
    assert scrubber.scrub({name: S}) == {name: REDACTED}
    assert S not in scrubber.scrub_text(f"{name}={S}")


@pytest.mark.parametrize("name", KEPT_NAMES)
def test_names_that_are_not_secrets(scrubber: Scrubber, name: str) -> None:
    assert scrubber.scrub({name: "value-1"}) == {name: "value-1"}
    assert scrubber.scrub_text(f"{name}=value-1") == f"{name}=value-1"


@pytest.mark.parametrize("param", ["key", "appid", "code", "sig", "hapikey", "api_key"])
def test_credential_query_parameters(scrubber: Scrubber, param: str) -> None:
    url = f"https://api.example.com/v1/items?page=2&{param}={S}&sort=asc"
    out = scrubber.scrub_text(url)
    assert S not in out
    assert "page=2" in out
    assert "sort=asc" in out


PROSE = [
    "password: required",
    "token: expired",
    "api_key: missing",
    "Invalid password: too short",
    "Bearer authentication required",
    "auth: token invalid",
    "password=None was passed",
    "password reset email sent",
    "the password is incorrect",
    "token is expired",
    "upgrade to version 1.2.3.4 now",
    "listening on 127.0.0.1:8000",
    "connect to ::1 port 5432",
    "secret: not set",
    "password must contain a digit",
]


@pytest.mark.parametrize("text", PROSE)
def test_ordinary_prose_is_kept(scrubber: Scrubber, text: str) -> None:
    assert scrubber.scrub_text(text) == text


def test_timestamps_are_no_assignments_but_a_numeric_extra_key_still_is() -> None:
    """`10:22:31` is kept; a user's extra key `1234` still names its `1234: value`."""
    text = "at 2024-05-14T10:22:31Z password1:Zq9xLm2Pw7 api_key_v2=Zq9xLm2Pw7Rt"
    assert Scrubber().scrub_text(text) == (
        "at 2024-05-14T10:22:31Z password1:[REDACTED] api_key_v2=[REDACTED]"
    )
    numeric = Scrubber(ScrubOptions(extra_keys=("1234",)))
    assert numeric.scrub_text("see 1234:Zq9xLm2Pw7 and 1234=Zq9xLm2Pw7") == (
        "see 1234:[REDACTED] and 1234=[REDACTED]"
    )
    assert Scrubber().scrub_text("see 1234:Zq9xLm2Pw7") == "see 1234:Zq9xLm2Pw7"


def test_an_iso_hour_names_nothing_unless_an_extra_key_is_made_of_numbers() -> None:
    """`2024-05-14T10:` is refused as a name in the pattern; a name it only ends still
    names its value, and so does the hour itself for a user's key of numbers and `t`."""
    assert Scrubber().scrub_text("2024-05-14T10:22:31Z up; at 2024-05-14T10:22:31Z") == (
        "2024-05-14T10:22:31Z up; at 2024-05-14T10:22:31Z"
    )
    assert Scrubber().scrub_text("password2024-05-14T10:Zq9xLm2Pw7 x") == (
        "password2024-05-14T10:[REDACTED] x"
    )
    for key in ("t", "14 T", "2024"):
        numeric = Scrubber(ScrubOptions(extra_keys=(key,)))
        assert numeric.scrub_text("at 2024-05-14T10:Zq9xLm2Pw7") == "at 2024-05-14T10:[REDACTED]"
        assert numeric.scrub_text("2024-05-14T10:Zq9xLm2Pw7") == "2024-05-14T10:[REDACTED]"
