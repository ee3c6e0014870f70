"""The public door: autocapture.audit's names, its light import, and the report types."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

import autocapture.audit
from autocapture.audit import AuditReport, audit
from tests.audit.conftest import FIXTURE_APP


def test_all_is_sorted_and_complete():
    """autocapture.audit.__all__ is sorted and names every public attribute."""
    public = {
        name
        for name, value in vars(autocapture.audit).items()
        if not name.startswith("_")
        and not isinstance(value, type(sys))
        and name not in {"annotations", "TYPE_CHECKING", "Optional"}
    }
    assert autocapture.audit.__all__ == sorted(autocapture.audit.__all__)
    assert set(autocapture.audit.__all__) == public


def test_import_is_light():
    """Importing autocapture.audit pulls in no web framework, HTTP client or the CLI."""
    code = (
        "import sys, autocapture.audit; "
        "print(','.join(m for m in ('starlette', 'fastapi', 'httpx', 'autocapture._cli', "
        "'autocapture._audit.cli', 'jsonschema') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""


def test_report_is_frozen():
    """The report and its parts are frozen dataclasses."""
    report = audit(str(FIXTURE_APP))
    assert isinstance(report, AuditReport)
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.root = "elsewhere"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.handlers[0].handler_class = "captured"  # type: ignore[misc]


def test_python_api_options(tmp_path):
    """audit() takes the command line's options as keyword arguments."""
    (tmp_path / "handlers").mkdir()
    (tmp_path / "handlers" / "a.py").write_text(
        "def f():\n    try:\n        pass\n    except Exception:\n        logger.exception('x')\n",
        encoding="utf-8",
    )
    report = audit(str(tmp_path), layers={"routes": ["handlers"]}, assume_logging_captured=False)
    handler = report.handlers[0]
    assert (handler.layer, handler.handler_class, handler.reaches) == ("routes", "logged", False)
    with pytest.raises(FileNotFoundError):
        audit(str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="'other' layer"):
        audit(str(tmp_path), layers={"other": ["misc"]})
