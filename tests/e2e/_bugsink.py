"""Install and run a real Bugsink server (a Sentry-compatible error tracker) for the e2e suite.

Standard library only: Bugsink and Django live in a virtual environment of their own and
run in subprocesses, so the test process never imports them. The pieces:

* ``install(venv)``: ``python -m venv`` plus ``pip install "bugsink==2.6.*"`` (idempotent),
  then a migrated template database kept inside the venv, so each server start copies
  two SQLite files instead of running every migration again.
* ``BugsinkServer``: writes a settings module into a work directory (SQLite and the ingest
  store there, eager digestion so an event is stored when the ingest request returns,
  raised rate limits, no phone-home), creates a team and a full-access API token, serves
  ``bugsink.wsgi`` with gunicorn on 127.0.0.1 on a free port, waits for ``/health/ready``,
  creates projects and reads stored events back through the API; ``stop()`` sends SIGINT.

Command line (what ``.ci/run`` calls)::

    python tests/e2e/_bugsink.py install --venv .cache/bugsink-venv   # about 20 s, 190 MB
    AUTOCAPTURE_BUGSINK_VENV=.cache/bugsink-venv pytest tests/e2e
    python tests/e2e/_bugsink.py serve   # a server to look at by hand; Ctrl-C stops it

``--venv`` defaults to ``$AUTOCAPTURE_BUGSINK_VENV``, else the repository's
``.cache/bugsink-venv``, which the test suite also finds without the variable.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "ENV_VAR",
    "INSTALL_COMMAND",
    "REQUIREMENT",
    "BugsinkError",
    "BugsinkServer",
    "Project",
    "install",
    "is_installed",
]

REQUIREMENT = "bugsink==2.6.*"
ENV_VAR = "AUTOCAPTURE_BUGSINK_VENV"
# The repository's ignored .cache/, wherever the command runs from.
DEFAULT_VENV = Path(__file__).resolve().parents[2] / ".cache" / "bugsink-venv"
INSTALL_COMMAND = "python tests/e2e/_bugsink.py install"
_TEMPLATE = "autocapture-e2e-template"
_SETTINGS_MODULE = "autocapture_e2e_bugsink_settings"

# The settings module: Bugsink's defaults plus what a throwaway test server needs.
_SETTINGS = """\
from bugsink.settings.default import *  # noqa: F403

SECRET_KEY = {secret_key!r}
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
TIME_ZONE = "UTC"
DATABASES["default"]["NAME"] = {db!r}  # noqa: F405
DATABASES["snappea"]["NAME"] = {snappea_db!r}  # noqa: F405
# A throwaway server: durability buys nothing, speed does.
for _db in DATABASES.values():  # noqa: F405
    _db.setdefault("OPTIONS", {{}})["init_command"] = "PRAGMA synchronous=OFF;"
# Digest inside the ingest request: an event is stored when sentry_sdk.flush() returns.
SNAPPEA = {{"TASK_ALWAYS_EAGER": True}}
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
BUGSINK = {{
    "BASE_URL": {base_url!r},
    "PHONEHOME": False,
    "INGEST_STORE_BASE_DIR": {ingest_dir!r},
    "SINGLE_USER": True,
    # Far above what the suite sends: a 429 makes the SDK drop everything for 60 s.
    "MAX_EVENTS_PER_PROJECT_PER_5_MINUTES": 1_000_000,
    "MAX_EVENTS_PER_PROJECT_PER_HOUR": 1_000_000,
    "MAX_EVENTS_PER_5_MINUTES": 1_000_000,
    "MAX_EVENTS_PER_HOUR": 1_000_000,
}}
"""

_CREATE_TEAM_AND_TOKEN = """\
import json
import django

django.setup()
from bsmain.models import AuthToken
from teams.models import Team

team = Team.objects.create(name="autocapture-e2e")
token = AuthToken.create_full_access(description="autocapture e2e suite")
print(json.dumps({"team": str(team.id), "token": token.token}))
"""


class BugsinkError(RuntimeError):
    """The Bugsink server could not be installed, started or queried."""

    def __init__(self, message: str, status: Optional[int] = None) -> None:
        """Say what failed; ``status`` is the HTTP status when the API refused."""
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Project:
    """A Bugsink project: where one test's events go."""

    id: int
    name: str
    dsn: str


def _bin(venv: Path, name: str) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin") / name


def is_installed(venv: Path) -> bool:
    """Tell whether ``venv`` holds a Bugsink installation this harness can run."""
    return all(_bin(venv, n).exists() for n in ("python", "bugsink-manage", "gunicorn"))


def install(venv: Path, *, python: str = sys.executable, quiet: bool = True) -> None:
    """Install Bugsink into ``venv`` (created if needed) and prepare the template database.

    Idempotent: an existing installation is kept.

    Args:
        venv: Where the virtual environment lives.
        python: The interpreter that creates it.
        quiet: Pass ``-q`` to pip.

    Raises:
        BugsinkError: A step failed; the message carries its output.
    """
    venv = venv.absolute()
    if not is_installed(venv):
        _run([python, "-m", "venv", str(venv)], what="creating the Bugsink virtualenv")
        pip = [str(_bin(venv, "python")), "-m", "pip", "install", "--disable-pip-version-check"]
        _run([*pip, *(["-q"] if quiet else []), REQUIREMENT], what=f"pip install {REQUIREMENT}")
    _template(venv)


def _run(
    cmd: list[str],
    *,
    what: str,
    env: Optional[dict[str, str]] = None,
    cwd: Optional[Path] = None,
    timeout: float = 600,
) -> str:
    try:
        done = subprocess.run(
            cmd,
            env=env,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BugsinkError(f"{what} failed: {exc}") from exc
    if done.returncode != 0:
        raise BugsinkError(
            f"{what} failed (exit {done.returncode}): {' '.join(cmd)}\n"
            f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return done.stdout


def _settings_env(workdir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        # Nothing from the test process may leak into Bugsink's interpreter.
        if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "DJANGO_SETTINGS_MODULE")
        and not k.startswith("SENTRY_")
    }
    env["PYTHONPATH"] = str(workdir)
    env["DJANGO_SETTINGS_MODULE"] = _SETTINGS_MODULE
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _write_settings(workdir: Path, base_url: str) -> None:
    (workdir / "ingest").mkdir(exist_ok=True)
    text = _SETTINGS.format(
        secret_key=os.urandom(32).hex(),
        db=str(workdir / "db.sqlite3"),
        snappea_db=str(workdir / "snappea.sqlite3"),
        base_url=base_url,
        ingest_dir=str(workdir / "ingest"),
    )
    (workdir / f"{_SETTINGS_MODULE}.py").write_text(text, encoding="utf-8")


def _template(venv: Path) -> Path:
    """Return a directory holding freshly migrated databases, migrating them once per venv."""
    template = venv / _TEMPLATE
    if (template / "db.sqlite3").exists() and (template / "snappea.sqlite3").exists():
        return template
    # Migrate in the temp dir (often tmpfs: SQLite's many fsyncs make it twice as fast),
    # then move the result into the venv under a unique name and rename it into place.
    with tempfile.TemporaryDirectory(prefix="bugsink-migrate-") as tmp:
        building = Path(tmp)
        _write_settings(building, "http://127.0.0.1:8000")
        env = _settings_env(building)
        manage = str(_bin(venv, "bugsink-manage"))
        _run([manage, "migrate", "-v0"], what="bugsink-manage migrate", env=env, cwd=building)
        _run(
            [manage, "migrate", "snappea", "--database=snappea", "-v0"],
            what="bugsink-manage migrate snappea",
            env=env,
            cwd=building,
        )
        staged = Path(tempfile.mkdtemp(prefix=f"{_TEMPLATE}-", dir=venv))
        try:
            for name in ("db.sqlite3", "snappea.sqlite3"):
                shutil.copyfile(building / name, staged / name)
            with contextlib.suppress(OSError):
                # Another process may have built it meanwhile: theirs is as good as ours.
                staged.rename(template)
        finally:
            shutil.rmtree(staged, ignore_errors=True)
    return template


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class BugsinkServer:
    """One Bugsink server on 127.0.0.1, with its databases in ``workdir``."""

    def __init__(self, venv: Path, workdir: Path) -> None:
        """Prepare a server from the Bugsink installed in ``venv`` (see ``install``)."""
        self.venv = venv.absolute()
        self.workdir = workdir.absolute()
        self.base_url = ""
        self.token = ""
        self.team = ""
        self.startup_seconds = 0.0
        self._process: Optional[subprocess.Popen[bytes]] = None
        self._log = self.workdir / "gunicorn.log"
        self._projects = 0

    def __enter__(self) -> Self:
        """Start the server."""
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Stop the server."""
        self.stop()

    def start(self, timeout: float = 60.0) -> None:
        """Set up the databases, a team and an API token, serve, and wait until ready.

        Raises:
            BugsinkError: Bugsink is not installed in the venv, or did not become ready.
        """
        if not is_installed(self.venv):
            raise BugsinkError(f"no Bugsink in {self.venv}; run: {INSTALL_COMMAND}")
        began = time.monotonic()
        self.workdir.mkdir(parents=True, exist_ok=True)
        template = _template(self.venv)
        for name in ("db.sqlite3", "snappea.sqlite3"):
            shutil.copyfile(template / name, self.workdir / name)
        last_error: Optional[BugsinkError] = None
        # A free port can be taken between our probe and gunicorn's bind: try a few.
        for _ in range(3):
            port = _free_port()
            self.base_url = f"http://127.0.0.1:{port}"
            _write_settings(self.workdir, self.base_url)
            self._spawn(port)
            if not self.token:
                # Meanwhile gunicorn boots: the Django setup of the two overlaps.
                self._create_team_and_token()
            try:
                self._wait_ready(timeout)
            except BugsinkError as exc:
                last_error = exc
                self.stop()
                continue
            self.startup_seconds = time.monotonic() - began
            return
        assert last_error is not None
        raise last_error

    def _spawn(self, port: int) -> None:
        gunicorn = str(_bin(self.venv, "gunicorn"))
        cmd = [
            gunicorn,
            f"--bind=127.0.0.1:{port}",
            "--workers=1",
            "--threads=4",
            "--timeout=60",
            "--graceful-timeout=5",
            "--access-logfile=-",
        ]
        # gunicorn 26 opens a control socket under ~/.gunicorn, shared by every server.
        if "--no-control-socket" in _run([gunicorn, "--help"], what="gunicorn --help"):
            cmd.append("--no-control-socket")
        cmd.append("bugsink.wsgi")
        with self._log.open("ab") as log:
            self._process = subprocess.Popen(
                cmd,
                cwd=self.workdir,
                env=_settings_env(self.workdir),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own process group: a Ctrl-C in the terminal reaches pytest, which
                # then stops the server cleanly, instead of killing both at once.
                start_new_session=True,
            )

    def _create_team_and_token(self) -> None:
        out = _run(
            [str(_bin(self.venv, "python")), "-c", _CREATE_TEAM_AND_TOKEN],
            what="creating the Bugsink team and API token",
            env=_settings_env(self.workdir),
            cwd=self.workdir,
        )
        created = json.loads(out.strip().splitlines()[-1])
        self.team, self.token = created["team"], created["token"]

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                raise BugsinkError(f"gunicorn exited early; its log:\n{self.log_tail()}")
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(  # noqa: S310 - our own http://127.0.0.1 URL
                    f"{self.base_url}/health/ready", timeout=2
                ) as answer:
                    if answer.status == 200:
                        return
            time.sleep(0.05)
        raise BugsinkError(f"Bugsink not ready after {timeout} s; log:\n{self.log_tail()}")

    def log_tail(self, chars: int = 4000) -> str:
        """Return the end of the server's log."""
        try:
            return self._log.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def stop(self, timeout: float = 10.0) -> None:
        """Stop gunicorn: SIGINT, wait, then kill. Idempotent."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._process is not None and self._process.poll() is None

    def api(self, method: str, path: str, body: Optional[dict[str, Any]] = None) -> Any:
        """Call Bugsink's API with the full-access token and return the decoded JSON.

        Raises:
            BugsinkError: The server answered with an error status (404 included).
        """
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 - our own http://127.0.0.1 URL
            f"{self.base_url}/api/canonical/0/{path}",
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
                return json.loads(answer.read().decode())
        except urllib.error.HTTPError as exc:
            raise BugsinkError(
                f"{method} {path} -> {exc.code}: {exc.read()[:500]!r}", status=exc.code
            ) from exc

    def create_project(self, name: str) -> Project:
        """Create a project (a fresh one keeps each test's count and rate limit its own)."""
        self._projects += 1
        unique = f"{self._projects:03d}-{name}"[:60]
        created = self.api("POST", "projects/", {"team": self.team, "name": unique})
        project_id = int(created["id"])
        detail = self.api("GET", f"projects/{project_id}/")
        return Project(id=project_id, name=unique, dsn=str(detail["dsn"]))

    def stored_event_count(self, project_id: int) -> int:
        """Return how many events the project has stored."""
        return int(self.api("GET", f"projects/{project_id}/")["stored_event_count"])

    def lookup(self, project_id: int, event_id: str) -> Optional[dict[str, Any]]:
        """Return the stored event (the API's whole answer: ``data`` and more), or ``None``."""
        try:
            found = self.api("GET", f"events/lookup/?project={project_id}&event_id={event_id}")
        except BugsinkError as exc:
            if exc.status == 404:
                return None
            raise
        return dict(found)

    def wait_for_event(
        self, project_id: int, event_id: str, timeout: float = 5.0
    ) -> dict[str, Any]:
        """Return the stored event, retrying briefly; eager digestion makes one try enough.

        Raises:
            BugsinkError: The event was not stored within ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            found = self.lookup(project_id, event_id)
            if found is not None:
                return found
            if time.monotonic() > deadline:
                raise BugsinkError(
                    f"event {event_id} not stored in project {project_id} within {timeout} s; "
                    f"server log:\n{self.log_tail()}"
                )
            time.sleep(0.1)


def main(argv: Optional[list[str]] = None) -> int:
    """Install Bugsink, or serve it in the foreground until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["install", "serve"])
    parser.add_argument("--venv", default=os.environ.get(ENV_VAR) or DEFAULT_VENV, type=Path)
    parser.add_argument(
        "--python",
        default=sys.executable,
        help="the interpreter that creates the venv (Bugsink 2.6 needs Python >= 3.11)",
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "install":
            began = time.monotonic()
            install(args.venv, python=args.python)
            print(f"Bugsink ready in {args.venv} ({time.monotonic() - began:.1f} s)")
            print(f"export {ENV_VAR}={args.venv}")
            return 0
        with (
            tempfile.TemporaryDirectory(prefix="bugsink-") as tmp,
            BugsinkServer(args.venv, Path(tmp)) as server,
        ):
            project = server.create_project("manual")
            print(f"Bugsink on {server.base_url} ({server.startup_seconds:.1f} s)")
            print(f"DSN: {project.dsn}\nAPI token: {server.token}\nCtrl-C stops it.")
            with contextlib.suppress(KeyboardInterrupt):
                while server.running:
                    time.sleep(0.5)
    except BugsinkError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
