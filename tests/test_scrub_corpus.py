"""The leak corpus: a fresh secret planted per case, pushed through every sink.

Categories follow issue 10's list, numbered as there: echoed arguments (1), formatters
that render `exc_info` and its locals (2), what Sentry's integrations add, here
`sys.argv` (3), frame variables (4), text forms (5), names (6), shapes (7), prose that
must stay as it is (8), an object seen only through its `repr` (9), local log lines (10).
Every case runs through `repr(event)`, `LoggingSink` with a plain, a JSON and a
structlog formatter (`dict_tracebacks`, locals shown), the real `SentrySink` (in-process
transport, default integrations) and, for a line that holds its own secret, a local
logger behind `ScrubbingFilter`. A leak is any 8-character piece of the planted secret in
the output; a false redaction is prose that does not come out whole. Run with `-s` to
see the table (`leaks / false redactions` per category and sink).

Secrets are generated at test time (no literal here looks like a live credential).
"""

from __future__ import annotations

import io
import json
import logging
import random
import string
import sys
from collections import Counter
from typing import Callable, NamedTuple
from urllib.parse import quote

import pytest
import structlog

import autocapture
from autocapture import auto_capture_errors
from autocapture.logs import ScrubbingFilter
from autocapture.sinks import LoggingSink, MemorySink, MultiSink, SentrySink

from .conftest import RecordingTransport
from .test_scrub_forms import KEPT_NAMES, PROSE, SECRET_NAMES, TEXT_FORMS

ALNUM = string.ascii_letters + string.digits
Case = tuple[str, str, str, dict[str, str], str]  # category, where, message, arguments, secret


def _rand(rng: random.Random, n: int, alphabet: str = ALNUM) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _shapes(rng: random.Random) -> dict[str, str]:
    hexd = "0123456789abcdef"
    return {
        "jwt": "eyJhbGciOiJIUzI1NiJ9." + _rand(rng, 24) + "." + _rand(rng, 20),
        "openai": "sk-proj-" + _rand(rng, 40),
        "anthropic": "sk-ant-api03-" + _rand(rng, 40),
        "stripe": "sk_live_" + _rand(rng, 24),
        "github": "ghp_" + _rand(rng, 36),
        "gitlab_pat": "glpat-" + _rand(rng, 20),
        "gitlab_runner": "glrt-" + _rand(rng, 24),
        "gitlab_deploy": "gldt-" + _rand(rng, 24),
        "gcp_client_secret": "GOCSPX-" + _rand(rng, 28),
        "slack_bot": "xoxb-" + _rand(rng, 12, string.digits) + "-" + _rand(rng, 24),
        "slack_config": "xoxe-1-" + _rand(rng, 40),
        "slack_webhook": "https://hooks.slack.com/services/T"
        + _rand(rng, 8)
        + "/B"
        + _rand(rng, 8)
        + "/"
        + _rand(rng, 24),
        "discord_webhook": "https://discord.com/api/webhooks/"
        + _rand(rng, 18, string.digits)
        + "/"
        + _rand(rng, 68),
        "telegram": _rand(rng, 10, string.digits) + ":" + _rand(rng, 35),
        "twilio_key": "SK" + _rand(rng, 32, hexd),
        "twilio_sid": "AC" + _rand(rng, 32, hexd),
        "npm": "npm_" + _rand(rng, 36),
        "huggingface": "hf_" + _rand(rng, 34),
        "azure_account_key": "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey="
        + _rand(rng, 86)
        + "==",
        "digitalocean": "dop_v1_" + _rand(rng, 64, hexd),
        "shopify": "shpat_" + _rand(rng, 32, hexd),
        "aws_key_id": "AKIA" + _rand(rng, 16, string.ascii_uppercase + string.digits),
        "google_api": "AIza" + _rand(rng, 35),
        "url_password": "postgres://app:" + _rand(rng, 16) + "@db.internal:5432/app",
        "bearer": "Authorization: Bearer " + _rand(rng, 32),
    }


def _secret_part(shaped: str) -> str:
    """The secret inside a shaped sample (the part after its fixed prefix)."""
    if shaped[:8].isdigit():  # a Telegram bot token: the bot id before `:` is public
        return shaped.split(":", 1)[1]
    for sep in ("AccountKey=", "app:", "Bearer "):
        if sep in shaped:
            return shaped.split(sep, 1)[1].split("@", 1)[0]
    return shaped.rsplit("/", 1)[-1] if "/" in shaped else shaped


class Credentials(NamedTuple):
    user: str
    password: str


class Client:
    """An SDK client without fields: only its `repr` shows it (category 9)."""

    __slots__ = ("_key",)

    def __init__(self, key: str) -> None:
        self._key = key

    def __repr__(self) -> str:
        return f"<Client base_url='https://api.example.com' api_key={self._key}>"


# Where the planted secret lives in the failing call: in its message (and arguments),
# in a local variable, in nested structures of locals, in an object's repr, in sys.argv.
WHERE = ("message", "local", "nested", "repr", "argv")


# Secrets that never appear in the message: where the failing call holds them.
_PLANTED = (
    ("2 formatters (exc_info, locals)", "local", "upstream refused"),  # a secret local
    ("3 Sentry integrations (argv)", "argv", "job failed"),  # Sentry's argv integration
    ("4 frame variables", "nested", "lookup failed"),  # namedtuple, depth > 5, `\\n`
    ("9 bounded and inert (repr)", "repr", "client call failed"),  # seen only by repr
)


def build_corpus(seed: int = 10) -> list[Case]:
    """The cases, per category of issue 10 (its numbering), each with a fresh secret."""
    rng = random.Random(seed)  # noqa: S311 - test data, reproducible
    cases: list[Case] = []
    for _ in range(20):
        s = _rand(rng, 10) + "!" + _rand(rng, 6)
        cases.append(
            ("1 echoed arguments", "message", f"provider rejected key {s}", {"api_key": s}, s)
        )
        cases.append(
            (
                "1 echoed arguments",
                "message",
                f"GET /v1?k={quote(s, safe='')} failed",
                {"password": s},
                s,
            )
        )
        cases.append(
            ("1 echoed arguments", "message", f"auth failed for {s!r}", {"client_secret": s}, s)
        )
    for category, where, message in _PLANTED:
        cases.extend((category, where, message, {}, _rand(rng, 16)) for _ in range(10))
    for template in TEXT_FORMS.values():
        s = "Zq9x" + _rand(rng, 12)
        cases.append(("5 text forms", "message", template.replace("Zq9xLm2Pw7Rt4Vb8", s), {}, s))
    for name in SECRET_NAMES:
        s = _rand(rng, 16)
        cases.append(("6 names", "message", f"bad {name}={s}", {name.replace("-", "_"): s}, s))
    for shaped in _shapes(rng).values():
        cases.append(
            (
                "7 shapes",
                "message",
                f"request failed: {shaped} (retrying)",
                {},
                _secret_part(shaped),
            )
        )
    for text in [*PROSE, *(f"{name}=value-1" for name in KEPT_NAMES)]:
        cases.append(("8 prose kept", "message", text, {}, ""))
    for _ in range(10):  # an access-log line, as uvicorn writes it
        s = _rand(rng, 24)
        line = f'127.0.0.1:51234 - "GET /v1/chat?api_key={s}&stream=1 HTTP/1.1" 500'
        cases.append(("10 local logs", "message", line, {}, s))
    return cases


CORPUS = build_corpus()
SINKS = (
    "repr(event)",
    "LoggingSink plain",
    "LoggingSink JSON",
    "LoggingSink structlog",
    "SentrySink",
    "local log",
)


class _Json(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(
            {
                "msg": record.getMessage(),
                "extra": str(record.__dict__),
                "exc": self.formatException(record.exc_info)
                if record.exc_info
                else record.exc_text,
            }
        )


def _logger(
    name: str, formatter: logging.Formatter | None = None
) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    if formatter is not None:
        handler.setFormatter(formatter)
    logger = logging.getLogger(name)
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, stream


def _failing(where: str, message: str, planted: str) -> Callable[..., None]:
    """The failing function of a case: the secret sits where the case says."""

    def in_message(**kwargs: str) -> None:
        raise ValueError(message)

    def in_local(**kwargs: str) -> None:
        access_token = planted  # a local named like a secret, never in the message
        fallback = "retry with " + access_token[:0]
        raise ValueError(message + fallback)

    def in_nested(**kwargs: str) -> None:
        # Kept as locals for the frame variables (and the formatters' locals).
        login = Credentials("app", planted)  # noqa: F841 - a namedtuple: fields by name
        deep = {"a": {"b": {"c": {"d": {"e": {"f": {"api_key": planted}}}}}}}  # noqa: F841
        dump = f"user=app\npassword={planted}"  # noqa: F841
        raise ValueError(message)

    def in_repr(**kwargs: str) -> None:
        client = Client(planted)  # noqa: F841 - a local, for the frame variables
        raise ValueError(message)

    return {"message": in_message, "local": in_local, "nested": in_nested, "repr": in_repr}.get(
        where, in_message
    )


def _outputs(
    case: Case, transport: RecordingTransport, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    _, where, message, arguments, secret = case
    memory = MemorySink()
    plain_logger, plain = _logger("corpus.plain")
    json_logger, structured = _logger("corpus.json", _Json())
    structlog_logger, rendered = _logger(
        "corpus.structlog",
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.dict_tracebacks,
                structlog.processors.JSONRenderer(),
            ],
        ),
    )
    local_logger, local = _logger("corpus.local")
    local_logger.handlers[0].addFilter(ScrubbingFilter())
    sink = MultiSink(
        memory,
        LoggingSink(plain_logger),
        LoggingSink(json_logger),
        LoggingSink(structlog_logger),
        SentrySink(),
    )
    call = auto_capture_errors(sink=sink)(_failing(where, message, secret))
    if where == "argv":
        monkeypatch.setattr(sys, "argv", ["worker", "--db-password", secret, "-p", secret])
    before = len(transport.events)
    with pytest.raises(ValueError):
        call(**arguments)
    monkeypatch.undo()
    [event] = memory.events
    outputs = {
        "repr(event)": repr(event),
        "LoggingSink plain": plain.getvalue(),
        "LoggingSink JSON": structured.getvalue(),
        "LoggingSink structlog": rendered.getvalue(),
        "SentrySink": json.dumps(transport.events[before:]),
    }
    if case[0].split()[0] in _SELF_CONTAINED:
        # The process's own log line, outside any capture (`ScrubbingFilter`): only what
        # the line itself shows can be judged (an echo needs its event's arguments).
        local_logger.info("request failed: %s", message)
        outputs["local log"] = local.getvalue()
    return outputs


# Categories whose secret is recognisable in the line itself, without its event.
_SELF_CONTAINED = frozenset(("5", "6", "7", "8", "10"))


def _leaks(secret: str, output: str) -> bool:
    return any(secret[i : i + 8] in output for i in range(len(secret) - 7))


def corpus_table(
    transport: RecordingTransport, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[str], list[str]]:
    """Run every case through every output: the table rows, and one line per failure."""
    leaks: Counter[tuple[str, str]] = Counter()
    false: Counter[tuple[str, str]] = Counter()
    totals: Counter[str] = Counter()
    failures: list[str] = []
    for case in CORPUS:
        category, _, message, _, secret = case
        totals[category] += 1
        for sink, output in _outputs(case, transport, monkeypatch).items():
            if secret and _leaks(secret, output):
                leaks[category, sink] += 1
                failures.append(f"leak [{category}] {sink}: {message!r}")
            if not secret and message not in output and json.dumps(message)[1:-1] not in output:
                false[category, sink] += 1
                failures.append(f"false redaction [{category}] {sink}: {message!r}")
    rows = ["| category | cases | " + " | ".join(SINKS) + " |"]
    rows.append("|---|---:|" + "---:|" * len(SINKS))
    for category in sorted(totals, key=lambda c: int(c.split()[0])):
        cells = [
            f"{leaks[category, s]} / {false[category, s]}"
            if s != "local log" or category.split()[0] in _SELF_CONTAINED
            else "n/a"
            for s in SINKS
        ]
        rows.append(f"| {category} | {totals[category]} | " + " | ".join(cells) + " |")
    return rows, failures


def test_no_leak_and_no_false_redaction_in_any_sink(
    sentry_transport: RecordingTransport, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every case, every output: 0 leaks, 0 false redactions (cells: leaks / false)."""
    # Every case fails on the same line: the storm limit would suppress all but ten.
    autocapture.configure(rate_limit=None)
    rows, failures = corpus_table(sentry_transport, monkeypatch)
    print("\n" + "\n".join(rows))
    assert not failures, "\n".join(failures)
