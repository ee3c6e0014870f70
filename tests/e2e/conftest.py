"""The end-to-end fixtures: one real Bugsink server per session, one project per test.

The server comes from the Bugsink installation named by ``AUTOCAPTURE_BUGSINK_VENV``, else
the repository's ``.cache/bugsink-venv``. With none, the suite fails under CI (``CI=true``:
CI must never skip it), installs Bugsink itself when ``AUTOCAPTURE_E2E=1``, and otherwise
skips, saying how to enable it (``python tests/e2e/_bugsink.py install``).
``AUTOCAPTURE_E2E_DUMP=<dir>`` writes every event read back into that directory.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sentry_sdk

import autocapture

from ._bugsink import (
    DEFAULT_VENV,
    ENV_VAR,
    INSTALL_COMMAND,
    BugsinkError,
    BugsinkServer,
    Project,
    install,
    is_installed,
)

RELEASE = "autocapture-e2e@1.2.3"
ENVIRONMENT = "e2e"

# Every event the suite checked on the server, for the session summary.
_checked: list[str] = []


def _find_venv() -> Path:
    configured = os.environ.get(ENV_VAR, "")
    venv = Path(configured) if configured else DEFAULT_VENV
    if is_installed(venv):
        return venv
    if os.environ.get("AUTOCAPTURE_E2E") == "1":
        install(venv)
        return venv
    why = (
        f"{ENV_VAR}={configured!r} holds no Bugsink installation"
        if configured
        else f"{ENV_VAR} is not set and {DEFAULT_VENV} holds no Bugsink"
    )
    how = (
        f"run `{INSTALL_COMMAND}` (or set {ENV_VAR} to a venv with bugsink), "
        "or set AUTOCAPTURE_E2E=1 to let the suite install it"
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"the e2e suite must run in CI, but {why}: {how}", pytrace=False)
    pytest.skip(f"no Bugsink server for the e2e suite ({why}): {how}")


@pytest.fixture(scope="session")
def bugsink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BugsinkServer]:
    """Start one Bugsink server on 127.0.0.1 for the whole session; stop it at the end."""
    venv = _find_venv()
    server = BugsinkServer(venv, tmp_path_factory.mktemp("bugsink"))
    try:
        server.start()
    except BugsinkError as exc:
        server.stop()
        pytest.fail(f"Bugsink did not start: {exc}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Stored:
    """What a Bugsink project stored: read back after ``sentry_sdk.flush()``."""

    server: BugsinkServer
    project: Project

    def event(self, event_id: str | None) -> dict[str, Any]:
        """Flush the SDK, then return the stored event ``data`` with id ``event_id``."""
        assert event_id is not None, "capture returned no event id"
        return self.answer(event_id)["data"]

    def answer(self, event_id: str) -> dict[str, Any]:
        """Flush, then return the API's whole answer for ``event_id`` (data, stacktrace...)."""
        autocapture.flush(10)  # events delivered in the background (async routes) first
        sentry_sdk.flush(timeout=10)
        found = self.server.wait_for_event(self.project.id, event_id)
        _checked.append(event_id)
        dump = os.environ.get("AUTOCAPTURE_E2E_DUMP")
        if dump:
            # To see what the server stored: AUTOCAPTURE_E2E_DUMP=<dir> pytest tests/e2e
            Path(dump).mkdir(parents=True, exist_ok=True)
            name = f"{self.project.name}-{event_id}.json"
            Path(dump, name).write_text(json.dumps(found, indent=1), encoding="utf-8")
        return found

    def count(self) -> int:
        """Flush, then return how many events the project stored."""
        # flush() returns once the transport sent everything, and eager digestion stores
        # an event inside its ingest request: the count is final, no polling needed.
        autocapture.flush(10)
        sentry_sdk.flush(timeout=10)
        return self.server.stored_event_count(self.project.id)

    def text(self, event_id: str | None) -> str:
        """Return everything the server holds for ``event_id`` as one JSON string."""
        assert event_id is not None, "capture returned no event id"
        return json.dumps(self.answer(event_id))


@pytest.fixture
def stored(bugsink: BugsinkServer, request: pytest.FixtureRequest) -> Iterator[Stored]:
    """Point a real sentry-sdk client (default integrations on) at a fresh project."""
    project = bugsink.create_project(request.node.name)
    sentry_sdk.init(dsn=project.dsn, release=RELEASE, environment=ENVIRONMENT)
    try:
        yield Stored(bugsink, project)
    finally:
        autocapture.flush(10)
        sentry_sdk.flush(timeout=10)
        sentry_sdk.get_client().close()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say how many events the e2e suite read back from the server."""
    if _checked:
        terminalreporter.write_line(
            f"autocapture e2e: {len(_checked)} stored events read back from Bugsink"
        )
