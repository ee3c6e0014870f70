"""The public surface is exactly what is documented, sorted."""

from __future__ import annotations

import inspect
import subprocess
import sys

import autocapture
import autocapture.sinks


def test_all_is_sorted_and_complete() -> None:
    """autocapture.__all__ is sorted and names every public attribute, loaded or not."""
    public = {
        name
        for name in dir(autocapture)
        if name.isidentifier()
        and not name.startswith("_")
        and not inspect.ismodule(getattr(autocapture, name))
    }
    assert autocapture.__all__ == sorted(autocapture.__all__)
    assert set(autocapture.__all__) == public


def test_documented_names_are_exported() -> None:
    """Every name the API contract promises is importable from autocapture."""
    promised = {
        "REDACTED",
        "CapturedError",
        "RateLimit",
        "auto_capture_errors",
        "bind_context",
        "capture_auth_error",
        "capture_cache_error",
        "capture_database_error",
        "capture_error",
        "capture_payment_error",
        "capture_provider_error",
        "configure",
        "flush",
        "instrument_modules",
        "scrub",
        "use_sink",
    }
    assert promised <= set(autocapture.__all__)
    assert autocapture.REDACTED == "[REDACTED]"


def test_sinks_door() -> None:
    """autocapture.sinks exports the sink classes, sorted."""
    assert autocapture.sinks.__all__ == sorted(autocapture.sinks.__all__)
    for name in ("Sink", "MemorySink", "LoggingSink", "SentrySink", "MultiSink"):
        assert hasattr(autocapture.sinks, name)


def test_import_is_lazy() -> None:
    """Importing autocapture imports neither starlette, opentelemetry, celery nor the CLI."""
    code = (
        "import sys, autocapture, autocapture.sinks; "
        "heavy = [m for m in ('starlette', 'fastapi', 'opentelemetry', 'celery', "
        "'autocapture._cli', 'autocapture._audit', 'httpx') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""
