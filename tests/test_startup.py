"""Start-up is cheap and honest: what loads at first use still works, and nothing is lost.

``import autocapture``, ``configure()`` and decorating load neither the capture core, the
scrubber nor inference (``benchmarks/bench_import.py`` measures what that saves); they
load at the first failure. Sentry's events are still scrubbed and reported once from
the first one on, also an event Sentry's own integrations send before autocapture
captured anything. Each test runs in a fresh interpreter: what matters is what a new
process has loaded.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

# Built from parts, so that no source line Sentry sends around a frame holds it whole.
PASSWORD = "hunter" + "2-" + "Qz8pLm4X"

_MACHINERY = (
    "autocapture._capture",
    "autocapture._delivery",
    "autocapture._infer",
    "autocapture._lexicon",
    "autocapture._rules",
    "autocapture._scrub",
    "autocapture._sentry",
    "autocapture._stack",
)

_TRANSPORT = """
import sentry_sdk
from sentry_sdk.transport import Transport

EVENTS = []

class Recording(Transport):
    def capture_envelope(self, envelope):
        for item in envelope.items:
            if item.type == "event":
                EVENTS.append(item.payload.json)

    def flush(self, timeout, callback=None):
        pass

def init():
    sentry_sdk.init(dsn="https://key@example.invalid/1", transport=Recording,
                    default_integrations=True)
"""


def _run(code: str) -> str:
    script = _TRANSPORT + textwrap.dedent(code)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_import_configure_and_decorate_load_no_capture_machinery() -> None:
    """What a start-up does loads only the decorator and the configuration."""
    out = _run(
        f"""
        import sys
        import autocapture
        autocapture.configure()

        @autocapture.auto_capture_errors
        def charge(amount):
            return amount

        @autocapture.auto_capture_errors(context_type="payment", tags={{"team": "billing"}})
        async def refund(amount):
            return amount

        charge(3)
        print(",".join(m for m in {_MACHINERY!r} if m in sys.modules))
        """
    )
    assert out == ""


def test_first_failure_after_a_lazy_start_is_captured_whole() -> None:
    """The first failure loads the machinery and its event is complete and scrubbed."""
    out = _run(
        f"""
        import json
        import autocapture
        from autocapture.sinks import MemorySink

        sink = MemorySink()
        autocapture.configure(sink=sink)

        @autocapture.auto_capture_errors
        def charge_card(user_id, password):
            raise ValueError("declined for " + password)

        try:
            charge_card(7, {PASSWORD!r})
        except ValueError:
            pass
        [event] = sink.events
        print(json.dumps([event.context_type, event.operation, event.message,
                          dict(event.arguments)]))
        """
    )
    context_type, operation, message, arguments = json.loads(out)
    assert context_type == "payment"
    assert operation == "charge"
    assert PASSWORD not in message
    assert arguments == {"user_id": 7, "password": "[REDACTED]"}


def test_integration_event_before_any_capture_is_scrubbed_and_reported_once() -> None:
    """Sentry's logging integration reports first: its event is scrubbed, and it is the one.

    Nothing of autocapture's capture machinery had loaded when the error happened: the
    processors registered at import load it with the first event.
    """
    out = _run(
        f"""
        import json, logging, sys
        import autocapture
        init()

        @autocapture.auto_capture_errors
        def load_user(user_id):
            dsn = "postgresql://app:" + {PASSWORD!r} + "@db.internal/app"
            try:
                raise LookupError("no user at " + dsn)
            except LookupError:
                logging.getLogger("app").exception("lookup failed")
                raise

        loaded = "autocapture._capture" in sys.modules
        try:
            load_user(7)
        except LookupError:
            pass
        sentry_sdk.flush()
        print(json.dumps([loaded, EVENTS]))
        """
    )
    loaded, events = json.loads(out)
    assert loaded is False
    [event] = events
    assert PASSWORD not in json.dumps(event)
    assert event["exception"]["values"][0]["value"] == (
        "no user at postgresql://app:[REDACTED]@db.internal/app"
    )


def test_client_active_at_import_scrubs_its_breadcrumbs_at_once() -> None:
    """A client initialised before ``import autocapture`` gets the exit scrubber at import."""
    out = _run(
        f"""
        import json
        init()
        import autocapture
        sentry_sdk.add_breadcrumb(message="login with password=" + {PASSWORD!r})
        sentry_sdk.capture_message("hello")
        sentry_sdk.flush()
        print(json.dumps(EVENTS))
        """
    )
    [event] = json.loads(out)
    assert event["breadcrumbs"]["values"]
    assert PASSWORD not in json.dumps(event)


def test_lazy_public_names_are_the_real_objects() -> None:
    """Names loaded on first access are the same objects as in their modules."""
    out = _run(
        """
        import autocapture
        from autocapture import instrument_modules, capture_error, ScrubOptions, RateLimit
        from autocapture._modules import instrument_modules as real
        from autocapture._scrub import ScrubOptions as real_options
        names = set(dir(autocapture))
        print(instrument_modules is real, ScrubOptions is real_options,
              set(autocapture.__all__) <= names, RateLimit().burst)
        """
    )
    assert out == "True True True 10"


def test_unknown_attribute_is_an_attribute_error() -> None:
    """A typo is still an AttributeError that names the module and the attribute."""
    out = _run(
        """
        import autocapture
        try:
            autocapture.auto_capture_error
        except AttributeError as err:
            print(err)
        """
    )
    assert out == "module 'autocapture' has no attribute 'auto_capture_error'"


def test_public_subpackages_load_on_attribute_access() -> None:
    """After ``import autocapture`` alone, ``autocapture.logs`` and the other doors work.

    README writes ``autocapture.logs.scrub_logs()`` in a gunicorn hook with only
    ``import autocapture`` above it; each public subpackage loads at that first access,
    and importing autocapture still loads none of them.
    """
    out = _run(
        """
        import sys
        import autocapture
        doors = ("asgi", "audit", "django", "logs", "sampling", "sinks", "tasks", "wsgi")
        print(any(f"autocapture.{door}" in sys.modules for door in doors))
        import importlib
        print(all(getattr(autocapture, door) is importlib.import_module(f"autocapture.{door}")
                  for door in doors))
        print(callable(autocapture.logs.scrub_logs), "django" in sys.modules)
        """
    )
    assert out == "False\nTrue\nTrue False"
