"""Event-wide redaction (API §5 "Event-wide"): a secret found once is a secret everywhere.

A value redacted anywhere in an event (an argument under a secret name, bound context,
explicit context, a tag, or a value of a secret shape) is also redacted wherever else it
appears in that event: the message, chained exceptions' messages, notes, and what the
sinks derive from the live exception (log lines, Sentry's exception values and frame
variables), also URL-encoded. Values shorter than `MIN_SECRET_LENGTH` are not tracked.

Secrets are built at test time from harmless pieces (no literal looks like a credential).
"""

from __future__ import annotations

import io
import json
import logging
import string
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from autocapture import (
    CapturedError,
    auto_capture_errors,
    bind_context,
    capture_error,
    configure,
    use_sink,
)
from autocapture._scrub import KEEP, REDACTED, EventSecrets, Scrubber, ScrubOptions, active_secrets
from autocapture._scrub._tracking import MIN_SECRET_LENGTH
from autocapture.sinks import LoggingSink, MemorySink, SentrySink, Sink

from .conftest import RecordingTransport

KEY = "Zq9x" + "Lm2Pw7Rt4Vb8"  # no shape of its own: only its name makes it secret


class ProviderError(Exception):
    """A provider SDK's error that echoes the key it was given."""


def _call_provider(sink: Sink) -> None:
    @auto_capture_errors(sink=sink)
    def call(provider: str, api_key: str) -> None:
        raise ProviderError(f"{provider} rejected key {api_key}")

    with pytest.raises(ProviderError):
        call("openai", KEY)


def test_an_argument_echoed_in_the_message_is_redacted() -> None:
    sink = MemorySink()
    _call_provider(sink)
    [event] = sink.events
    assert event.arguments["api_key"] == REDACTED
    assert event.message == f"openai rejected key {REDACTED}"
    assert KEY not in repr(event)


def test_a_secret_argument_is_redacted_in_the_arguments_before_it() -> None:
    # The secret-named argument comes last; an earlier argument that echoes it is still
    # redacted (secret names are collected before any argument is copied).
    sink = MemorySink()

    @auto_capture_errors(sink=sink)
    def login(note: str, extra: dict[str, str], api_key: str) -> None:
        raise ValueError("rejected")

    with pytest.raises(ValueError):
        login(f"signed in with {KEY}", {"header": KEY}, KEY)
    [event] = sink.events
    assert event.arguments == {
        "note": f"signed in with {REDACTED}",
        "extra": {"header": REDACTED},
        "api_key": REDACTED,
    }
    assert list(event.arguments) == ["note", "extra", "api_key"]


def test_a_secret_found_by_its_shape_is_redacted_in_the_arguments_before_it() -> None:
    sink = MemorySink()

    @auto_capture_errors(sink=sink)
    def forward(note: str, headers: dict[str, str]) -> None:
        raise ValueError("rejected")

    with pytest.raises(ValueError):
        forward(f"retried with {KEY}", {"X-Forwarded": f"Bearer {KEY}"})
    [event] = sink.events
    assert event.arguments == {
        "note": f"retried with {REDACTED}",
        "headers": {"X-Forwarded": f"Bearer {REDACTED}"},
    }


def test_an_argument_echoed_url_encoded_is_redacted() -> None:
    secret = "p@ss w/rd" + KEY
    sink = MemorySink()

    @auto_capture_errors(sink=sink)
    def login(user: str, password: str) -> None:
        raise ValueError(f"GET /login?user={user}&pw={quote(secret, safe='')} failed")

    with pytest.raises(ValueError):
        login("bob", secret)
    [event] = sink.events
    assert quote(secret, safe="") not in event.message
    assert REDACTED in event.message
    assert "user=bob" in event.message


def test_an_echo_in_a_chained_exception_and_a_note_is_redacted_in_the_log() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("test.event_wide.chain")
    logger.handlers[:] = [logging.StreamHandler(stream)]
    logger.propagate = False

    @auto_capture_errors(sink=LoggingSink(logger))
    def call(api_key: str) -> None:
        try:
            raise KeyError(f"no tenant for {api_key}")
        except KeyError as inner:
            err = ProviderError("lookup failed")
            err.add_note(f"while trying key {api_key}")
            raise err from inner

    with pytest.raises(ProviderError):
        call(KEY)
    output = stream.getvalue()
    assert "no tenant for" in output
    assert "while trying key" in output
    assert KEY not in output


def test_an_echo_is_redacted_in_the_sentry_event(sentry_transport: RecordingTransport) -> None:
    _call_provider(SentrySink())
    [event] = sentry_transport.events
    payload = json.dumps(event)
    assert KEY not in payload
    assert f"openai rejected key {REDACTED}" in payload


def test_bound_context_explicit_context_and_tags_are_tracked() -> None:
    sink = MemorySink()
    configure(sink=sink)
    bound_secret, context_secret, tag_secret = KEY + "b", KEY + "c", KEY + "t"
    with bind_context(session_token=bound_secret):
        for _ in range(2):  # the second event uses the cached scrubbed bound context
            try:
                raise RuntimeError(f"{bound_secret} / {context_secret} / {tag_secret}")
            except RuntimeError as exc:
                capture_error(
                    exc, context={"db_password": context_secret}, tags={"auth_token": tag_secret}
                )
    assert len(sink.events) == 2
    for event in sink.events:
        assert event.message == f"{REDACTED} / {REDACTED} / {REDACTED}"


def test_a_secret_of_the_context_or_tags_is_redacted_in_the_arguments_and_context() -> None:
    # The arguments are copied first; a secret only the bound context, the explicit
    # context or a tag names secret is still redacted from them, and from each other.
    sink = MemorySink()
    bound_secret, context_secret, tag_secret = KEY + "b", KEY + "c", KEY + "t"

    @auto_capture_errors(sink=sink, tags={"auth_token": tag_secret})
    def call(note: str, payload: dict[str, str]) -> None:
        raise RuntimeError("rejected")

    with bind_context(session_token=bound_secret, trace=f"from {context_secret}"):
        with pytest.raises(RuntimeError):
            call(f"with {bound_secret}", {"header": tag_secret})
        try:
            raise RuntimeError("rejected")
        except RuntimeError as exc:
            capture_error(
                exc,
                context={"db_password": context_secret, "hint": f"see {tag_secret}"},
                tags={"auth_token": tag_secret},
                sink=sink,
            )
    decorated, helper = sink.events
    for secret in (bound_secret, tag_secret):
        assert secret not in repr(decorated)
    for secret in (bound_secret, context_secret, tag_secret):
        assert secret not in repr(helper)
    assert decorated.arguments == {"note": f"with {REDACTED}", "payload": {"header": REDACTED}}
    assert helper.context["trace"] == f"from {REDACTED}"
    assert helper.context["hint"] == f"see {REDACTED}"


class _ListSink:
    """A sink of the user's own: every event it receives is built on the caller."""

    def __init__(self) -> None:
        self.events: list[CapturedError] = []

    def emit(self, event: CapturedError) -> None:
        self.events.append(event)


@pytest.mark.parametrize("sink_type", [_ListSink, MemorySink])
def test_a_secret_argument_is_redacted_in_the_bound_context(sink_type: type[Sink]) -> None:
    """An argument's secret echoed in the bound context: redacted there, in every event of
    the block (the first scrubs the bound context, the next ones reuse that scrub)."""
    sink = sink_type()

    @auto_capture_errors(sink=sink, reraise=False)
    def charge(provider: str, api_key: str) -> None:
        raise RuntimeError("declined")

    @auto_capture_errors(sink=sink, reraise=False)
    def lookup(provider: str) -> None:
        raise RuntimeError("not found")

    with bind_context(note=f"key {KEY}"):
        charge("stripe", KEY)
        lookup("stripe")  # no secret of its own: the bound context as it is
        charge("stripe", KEY)
    first, plain, second = sink.events  # type: ignore[attr-defined]
    assert first.context["note"] == second.context["note"] == f"key {REDACTED}"
    assert plain.context["note"] == f"key {KEY}"


def test_a_value_found_by_its_shape_is_redacted_in_its_other_forms() -> None:
    scrubber = Scrubber()
    known = EventSecrets()
    card = "4111" + "1111" + "1111" + "1111"
    assert scrubber.scrub({"note": f"card {card}"}, secrets=known) == {"note": f"card {REDACTED}"}
    # Glued to a word, the shape is not recognised alone; the known value still is.
    assert scrubber.scrub_text(f"ref=x{card}y", secrets=known) == f"ref=x{REDACTED}y"


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        st.sampled_from(string.ascii_letters + string.digits + "_.-~ /+=%&?#'\"\\\né"),
        min_size=MIN_SECRET_LENGTH,
        max_size=24,
    )
)
def test_a_known_value_is_redacted_in_every_form_it_is_printed_in(value: str) -> None:
    """URL-encoded three ways, escaped by JSON and by repr: for a value of plain token
    characters each form is the value itself, for any other each is tracked."""
    known = EventSecrets()
    known.add(value)
    assume(value in known.values)  # kept as given: not trimmed, nor a scheme or a marker
    forms = {
        value,
        quote(value, safe=""),
        quote_plus(value, safe=""),
        quote(value),
        json.dumps(value)[1:-1],
        repr(value)[1:-1],
    }
    for form in forms:
        assert known.scrub_text(f"<{form}>") == f"<{REDACTED}>"
    shorter = "y" * (min(map(len, forms)) - 1)
    assert known.scrub_text(shorter) is shorter  # shorter than any form: untouched


@pytest.mark.parametrize("short", ["1", "admin", "true", "x" * (MIN_SECRET_LENGTH - 1)])
def test_short_values_do_not_wipe_the_event(short: str) -> None:
    sink = MemorySink()

    @auto_capture_errors(sink=sink)
    def check(pin: str) -> None:
        raise ValueError(f"step 1 failed for admin: {short} true")

    with pytest.raises(ValueError):
        check(short)
    [event] = sink.events
    assert event.arguments["pin"] == REDACTED
    assert event.message == f"step 1 failed for admin: {short} true"


def test_a_secret_container_reports_its_strings() -> None:
    known = EventSecrets()
    Scrubber().scrub({"credentials": {"user": "bob", "key": KEY}}, secrets=known)
    assert KEY in known.values
    assert "bob" not in known.values  # too short to be tracked


def test_sinks_see_the_event_secrets_while_they_emit() -> None:
    seen: list[str] = []

    class Exit:
        def emit(self, event: CapturedError) -> None:
            seen.append(active_secrets().scrub_text(f"frame local {KEY}"))
            seen.append(Scrubber().scrub_text(f"breadcrumb {KEY}"))

    _call_provider(Exit())
    assert seen == [f"frame local {REDACTED}", f"breadcrumb {REDACTED}"]
    assert not active_secrets()  # nothing left behind after the emit


def test_known_secrets_never_show_in_their_own_repr() -> None:
    known = EventSecrets()
    known.add(KEY)
    assert KEY not in repr(known)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["app", "--db-password", KEY, "-v"], ["app", "--db-password", REDACTED, "-v"]),
        (["app", f"--api-token={KEY}"], ["app", f"--api-token={REDACTED}"]),
        (["mysql", "-u", "root", "-p", KEY], ["mysql", "-u", "root", "-p", REDACTED]),
        (["app", "--max-tokens", "100"], ["app", "--max-tokens", "100"]),
        (["app", "serve", "--port", "8000"], ["app", "serve", "--port", "8000"]),
        # Programs whose short options -p / -a take no secret keep their values.
        (
            ["/venv/bin/pytest", "-p", "no:cacheprovider"],
            ["/venv/bin/pytest", "-p", "no:cacheprovider"],
        ),
        (
            ["/venv/lib/site-packages/pytest/__main__.py", "-q", "-p", "xdist"],
            ["/venv/lib/site-packages/pytest/__main__.py", "-q", "-p", "xdist"],
        ),
        (
            ["/venv/bin/gunicorn", "-p", "/run/app.pid", "app:app"],
            ["/venv/bin/gunicorn", "-p", "/run/app.pid", "app:app"],
        ),
        # Another program's -p is a password, whatever it looks like.
        (["manage.py", "dbshell", "-p", "hunter22"], ["manage.py", "dbshell", "-p", REDACTED]),
        (
            ["/venv/bin/pytest", "--db-password", KEY],
            ["/venv/bin/pytest", "--db-password", REDACTED],
        ),
    ],
)
def test_scrub_argv(argv: list[str], expected: list[str]) -> None:
    assert Scrubber().scrub_argv(argv) == expected


def test_a_value_the_callback_keeps_is_not_redacted_elsewhere() -> None:
    """What the user's callback keeps is no secret of the event: its echo stays too."""
    keep_ids = Scrubber(
        ScrubOptions(callback=lambda m: KEEP if m.path == ("session_id",) else None)
    )
    known = EventSecrets()
    out = keep_ids.scrub_mapping(
        {"session_id": "sess-4711-public", "password": "Zq9xLm2Pw7Rt"}, secrets=known
    )
    assert out == {"session_id": "sess-4711-public", "password": REDACTED}
    assert keep_ids.scrub_text("seen sess-4711-public with Zq9xLm2Pw7Rt", secrets=known) == (
        f"seen sess-4711-public with {REDACTED}"
    )


def _fail_with_a_secret_local() -> None:
    api_key = KEY  # a local, not an argument of a decorated function
    raise ProviderError(f"rejected key {api_key}")


def test_a_secret_frame_local_echoed_in_the_message_is_redacted() -> None:
    """capture_error(exc): a secret-named local of a failing frame is redacted in the message."""
    sink = MemorySink()
    try:
        _fail_with_a_secret_local()
    except ProviderError as exc:
        with use_sink(sink):
            capture_error(exc)
    [event] = sink.events
    assert event.message == f"rejected key {REDACTED}"


def test_a_secret_local_of_a_cause_frame_is_redacted_in_the_wrapper_message() -> None:
    """The local is in a frame of the cause: echoed by the error raised from it, redacted."""
    sink = MemorySink()

    @auto_capture_errors(sink=sink, reraise=False)
    def call() -> None:
        try:
            _fail_with_a_secret_local()
        except ProviderError as err:
            raise RuntimeError(f"provider call failed: {err}") from err

    call()
    [event] = sink.events
    assert event.message == f"provider call failed: rejected key {REDACTED}"


def test_a_cycle_of_contexts_is_walked_once_and_its_locals_found() -> None:
    """Two errors each the other's context: the walk ends, the local is found all the same."""
    sink = MemorySink()
    try:
        _fail_with_a_secret_local()
    except ProviderError as inner:
        outer = RuntimeError(f"wrapped: {inner}")
        outer.__context__ = inner
        inner.__context__ = outer  # a cycle, as code that re-raises in a loop can make
        with use_sink(sink):
            capture_error(outer)
    [event] = sink.events
    assert event.message == f"wrapped: rejected key {REDACTED}"


def test_a_secret_frame_local_is_redacted_in_the_sentry_event(
    sentry_transport: RecordingTransport,
) -> None:
    """capture_error(exc) to Sentry: the local's echo is gone from the whole event."""
    try:
        _fail_with_a_secret_local()
    except ProviderError as exc:
        capture_error(exc)
    [event] = sentry_transport.events
    assert event["exception"]["values"][-1]["value"] == f"rejected key {REDACTED}"
    assert f"key {KEY}" not in json.dumps(event)


def test_a_secret_frame_local_is_redacted_in_an_event_sentry_reports_first(
    sentry_transport: RecordingTransport,
) -> None:
    """logger.exception reported by Sentry's logging integration: the local's echo is gone."""
    try:
        _fail_with_a_secret_local()
    except ProviderError:
        logging.getLogger("app").exception("the provider failed")
    [event] = sentry_transport.events
    assert event["exception"]["values"][-1]["value"] == f"rejected key {REDACTED}"


@given(
    secret=st.text(alphabet=string.ascii_letters + string.digits, min_size=12, max_size=24),
    cut=st.integers(min_value=1, max_value=6),
    tail=st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=6),
    reverse=st.booleans(),
)
def test_overlapping_secrets_leave_no_character_of_either(
    secret: str, cut: int, tail: str, reverse: bool
) -> None:
    """Two known secrets that overlap in a text are redacted as one run, in any order."""
    other = secret[cut:] + tail  # shares all of `secret` but its first `cut` characters
    secrets = EventSecrets()
    for value in (other, secret) if reverse else (secret, other):
        secrets.add(value)
    text = f"key {secret}{tail} end"
    assert secrets.scrub_text(text) == f"key {REDACTED} end"


def test_a_secret_overlapping_itself_is_redacted_whole() -> None:
    """`abab...` twice overlapping: one run, nothing of it left."""
    secrets = EventSecrets()
    secrets.add("Zq9xZq9xZq9x")
    assert secrets.scrub_text("<Zq9xZq9xZq9xZq9x>") == f"<{REDACTED}>"
    assert secrets.scrub_text("a Zq9xZq9xZq9x b Zq9xZq9xZq9x") == f"a {REDACTED} b {REDACTED}"
