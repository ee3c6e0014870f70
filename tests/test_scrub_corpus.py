"""The leak corpus: a fresh secret planted per case, pushed through every sink.

Categories follow issue 10: echoed arguments (1), text forms (5), names (6), shapes (7),
and prose that must stay as it is (8). Every case runs through `repr(event)`,
`LoggingSink` with a plain and a JSON formatter, and the real `SentrySink` (in-process
transport). A leak is any 8-character piece of the planted secret in the output; a false
redaction is prose that does not come out whole. Run with `-s` to see the table.

Secrets are generated at test time (no literal here looks like a live credential).
"""

from __future__ import annotations

import io
import json
import logging
import random
import string
from collections import Counter
from urllib.parse import quote

import pytest

import autocapture
from autocapture import auto_capture_errors
from autocapture.sinks import LoggingSink, MemorySink, MultiSink, SentrySink

from .conftest import RecordingTransport
from .test_scrub_forms import KEPT_NAMES, PROSE, SECRET_NAMES, TEXT_FORMS

ALNUM = string.ascii_letters + string.digits
Case = tuple[str, str, dict[str, str], str]  # category, message, arguments, secret


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


def build_corpus(seed: int = 10) -> list[Case]:
    rng = random.Random(seed)  # noqa: S311 - test data, reproducible
    cases: list[Case] = []
    for _ in range(20):
        s = _rand(rng, 10) + "!" + _rand(rng, 6)
        cases.append(("1 echo", f"provider rejected key {s}", {"api_key": s}, s))
        cases.append(("1 echo", f"GET /v1?k={quote(s, safe='')} failed", {"password": s}, s))
        cases.append(("1 echo", f"auth failed for {s!r}", {"client_secret": s}, s))
    for template in TEXT_FORMS.values():
        s = "Zq9x" + _rand(rng, 12)
        cases.append(("5 text forms", template.replace("Zq9xLm2Pw7Rt4Vb8", s), {}, s))
    for name in SECRET_NAMES:
        s = _rand(rng, 16)
        cases.append(("6 names", f"bad {name}={s}", {name.replace("-", "_"): s}, s))
    for shaped in _shapes(rng).values():
        cases.append(
            ("7 shapes", f"request failed: {shaped} (retrying)", {}, _secret_part(shaped))
        )
    for text in [*PROSE, *(f"{name}=value-1" for name in KEPT_NAMES)]:
        cases.append(("8 prose", text, {}, ""))
    return cases


CORPUS = build_corpus()


def _outputs(
    message: str, arguments: dict[str, str], transport: RecordingTransport
) -> dict[str, str]:
    memory = MemorySink()
    plain, structured = io.StringIO(), io.StringIO()
    plain_logger = logging.getLogger("corpus.plain")
    plain_logger.handlers[:] = [logging.StreamHandler(plain)]
    json_logger = logging.getLogger("corpus.json")
    handler = logging.StreamHandler(structured)

    class Json(logging.Formatter):
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

    handler.setFormatter(Json())
    json_logger.handlers[:] = [handler]
    for logger in (plain_logger, json_logger):
        logger.propagate = False
    sink = MultiSink(memory, LoggingSink(plain_logger), LoggingSink(json_logger), SentrySink())

    @auto_capture_errors(sink=sink)
    def call(**kwargs: str) -> None:
        raise ValueError(message)

    before = len(transport.events)
    with pytest.raises(ValueError):
        call(**arguments)
    [event] = memory.events
    return {
        "repr(event)": repr(event),
        "LoggingSink plain": plain.getvalue(),
        "LoggingSink JSON": structured.getvalue(),
        "SentrySink": json.dumps(transport.events[before:]),
    }


def _leaks(secret: str, output: str) -> bool:
    return any(secret[i : i + 8] in output for i in range(len(secret) - 7))


def test_no_leak_and_no_false_redaction_in_any_sink(sentry_transport: RecordingTransport) -> None:
    # Every case fails on the same line: the storm limit would suppress all but ten.
    autocapture.configure(rate_limit=None)
    leaks: Counter[tuple[str, str]] = Counter()
    false: Counter[tuple[str, str]] = Counter()
    totals: Counter[str] = Counter()
    failures: list[str] = []
    for category, message, arguments, secret in CORPUS:
        totals[category] += 1
        for sink, output in _outputs(message, arguments, sentry_transport).items():
            if secret and _leaks(secret, output):
                leaks[category, sink] += 1
                failures.append(f"leak [{category}] {sink}: {message!r}")
            if not secret and message not in output and json.dumps(message)[1:-1] not in output:
                false[category, sink] += 1
                failures.append(f"false redaction [{category}] {sink}: {message!r}")
    sinks = ["repr(event)", "LoggingSink plain", "LoggingSink JSON", "SentrySink"]
    print("\n| category | cases | " + " | ".join(sinks) + " |")
    for category in sorted(totals):
        cells = [f"{leaks[category, s]} / {false[category, s]}" for s in sinks]
        print(f"| {category} | {totals[category]} | " + " | ".join(cells) + " |")
    assert not failures, "\n".join(failures)
