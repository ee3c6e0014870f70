"""The command line: exit codes, bad usage, --layer, --exclude, the assumption flags."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.audit.conftest import write_tree

REPO = Path(__file__).resolve().parents[2]

SWALLOWING = """\
def load():
    try:
        return 1
    except Exception:
        return None
"""


def test_exit_zero_by_default(run_audit_cli, fixture_app):
    """Without --fail-under, the audit exits 0 whatever it finds."""
    assert run_audit_cli(fixture_app).code == 0


def test_exit_one_under_fail_under(run_audit_cli, fixture_app):
    """Coverage under --fail-under exits 1 (the fixture is at 60%)."""
    assert run_audit_cli(fixture_app, "--fail-under", "60.1").code == 1
    assert run_audit_cli(fixture_app, "--fail-under", "60").code == 0
    assert run_audit_cli(fixture_app, "--format", "json", "--fail-under", "95%").code == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "the following arguments are required: PATH"),
        (("{missing}",), "no such file or directory"),
        (("{app}", "--format", "xml"), "argument --format: invalid choice: 'xml'"),
        (("{app}", "--fail-under", "abc"), "not a percentage: 'abc'"),
        (("{app}", "--fail-under", "101"), "must be between 0 and 100"),
        (("{app}", "--layer", "routes"), "expected NAME=FOLDER[,FOLDER...]"),
        (("{app}", "--layer", "other=misc"), "the 'other' layer takes every file"),
        (("{app}", "--assume-logging-captured", "maybe"), "expected yes, no or auto"),
        (("{app}", "--no-such-flag"), "unrecognized arguments: --no-such-flag"),
    ],
)
def test_bad_usage_exits_two_with_one_line(run_audit_cli, fixture_app, tmp_path, args, message):
    """Bad usage exits 2 with a single line on standard error, and prints no report."""
    real = [a.format(app=fixture_app, missing=tmp_path / "nope") for a in args]
    result = run_audit_cli(*real)
    assert result.code == 2
    assert result.out == ""
    assert len(result.err.splitlines()) == 1
    assert result.err.startswith("autocapture audit: error: ")
    assert message in result.err


def test_help_exits_zero(run_audit_cli):
    """--help prints the usage and returns 0 instead of raising SystemExit."""
    result = run_audit_cli("--help")
    assert result.code == 0
    assert result.out.startswith("usage: autocapture audit")
    assert "--assume-http-5xx-captured" in result.out


def test_layer_override_moves_files(run_audit_cli, tmp_path):
    """--layer replaces a layer's folder names and can add a layer of its own."""
    write_tree(
        tmp_path, {"handlers/a.py": SWALLOWING, "api/b.py": SWALLOWING, "lib/c.py": "x = 1\n"}
    )
    default = run_audit_cli(tmp_path, "--format", "json").json()["layers"]
    assert {n: default[n]["files"] for n in ("routes", "other")} == {"routes": 1, "other": 2}
    custom = run_audit_cli(
        tmp_path, "--format", "json", "--layer", "routes=handlers", "--layer", "shared=lib"
    ).json()
    assert list(custom["layers"]) == ["routes", "services", "db", "tasks", "shared", "other"]
    assert {n: custom["layers"][n]["files"] for n in ("routes", "shared", "other")} == {
        "routes": 1,
        "shared": 1,
        "other": 1,
    }
    assert {h["path"]: h["layer"] for h in custom["handlers"]} == {
        "handlers/a.py": "routes",
        "api/b.py": "other",
    }


def test_exclude_skips_matching_files_and_folders(run_audit_cli, tmp_path):
    """--exclude globs match relative paths, folder names and file names."""
    write_tree(
        tmp_path,
        {
            "app/services/a.py": SWALLOWING,
            "app/migrations/0001.py": SWALLOWING,
            "app/legacy/old.py": SWALLOWING,
            "app/services/generated_pb2.py": SWALLOWING,
        },
    )
    data = run_audit_cli(
        tmp_path,
        "--format",
        "json",
        "--exclude",
        "migrations",
        "--exclude",
        "app/legacy/**",
        "--exclude",
        "*_pb2.py",
    ).json()
    assert sorted({h["path"] for h in data["handlers"]}) == ["app/services/a.py"]


def test_tests_folder_inside_path_is_excluded_but_path_itself_is_not(run_audit_cli, tmp_path):
    """The default 'tests' exclusion applies to folders inside PATH, not to PATH's own name."""
    root = write_tree(
        tmp_path / "tests" / "app",
        {"main.py": SWALLOWING, "tests/test_main.py": SWALLOWING, "test_x.py": SWALLOWING},
    )
    data = run_audit_cli(root, "--format", "json").json()
    assert [h["path"] for h in data["handlers"]] == ["main.py"]
    everything = run_audit_cli(root, "--format", "json", "--no-default-excludes").json()
    assert everything["files"] == 3


def test_virtualenv_folders_are_excluded(run_audit_cli, tmp_path):
    """A folder holding pyvenv.cfg is a virtual environment, whatever its name."""
    write_tree(
        tmp_path,
        {
            "app.py": SWALLOWING,
            "pyenv311/pyvenv.cfg": "home = /usr\n",
            "pyenv311/lib/x.py": SWALLOWING,
        },
    )
    assert run_audit_cli(tmp_path, "--format", "json").json()["files"] == 1


def test_assumption_flags_override_detection(run_audit_cli, fixture_app):
    """--assume-*-captured no makes logged and 5xx handlers gaps; yes makes them reach."""
    off = run_audit_cli(
        fixture_app,
        "--format",
        "json",
        "--assume-logging-captured",
        "no",
        "--assume-http-5xx-captured",
        "no",
    ).json()
    assert (
        off["assumptions"]["logging_captured"]["value"],
        off["assumptions"]["logging_captured"]["source"],
    ) == (False, "flag")
    reach = {(h["path"], h["line"]): h["reaches"] for h in off["handlers"]}
    assert not reach[("routes/health.py", 19)]
    assert not reach[("routes/chat.py", 30)]
    # Inside @auto_capture_errors the decorator captures the 5xx whatever the flags say.
    assert reach[("services/billing.py", 31)]
    on = run_audit_cli(fixture_app, "--format", "json", "--assume-http-5xx-captured", "yes").json()
    reach = {(h["path"], h["line"]): h["reaches"] for h in on["handlers"]}
    assert reach[("routes/chat.py", 55)]  # 504 counts once 5xx capture is assumed


def test_capture_helper_flag_adds_names(run_audit_cli, tmp_path):
    """--capture-helper makes another function's call an explicit capture."""
    write_tree(
        tmp_path,
        {
            "a.py": (
                "from app.errors import report_error\n"
                "def f():\n"
                "    try:\n"
                "        return 1\n"
                "    except Exception as exc:\n"
                "        report_error(exc)\n"
            )
        },
    )
    plain = run_audit_cli(tmp_path, "--format", "json").json()["handlers"][0]["class"]
    helped = run_audit_cli(tmp_path, "--format", "json", "--capture-helper", "report_*")
    assert (plain, helped.json()["handlers"][0]["class"]) == ("swallowed", "captured")


def test_single_file_path(run_audit_cli, fixture_app):
    """PATH may be one file; its path in the report is its name."""
    data = run_audit_cli(fixture_app / "db" / "users.py", "--format", "json").json()
    assert {"users.py"} == {h["path"] for h in data["handlers"]}
    assert data["layers"]["other"]["files"] == 1


def test_python_dash_m_autocapture_audit(fixture_app):
    """`python -m autocapture audit` runs the same command in a fresh interpreter."""
    result = subprocess.run(
        [sys.executable, "-m", "autocapture", "audit", str(fixture_app), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
        timeout=120,
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert len(json.loads(result.stdout)["handlers"]) == 34
    bad = subprocess.run(
        [sys.executable, "-m", "autocapture", "audit", str(fixture_app), "--format", "xml"],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
        timeout=120,
    )
    assert (bad.returncode, len(bad.stderr.splitlines())) == (2, 1)
