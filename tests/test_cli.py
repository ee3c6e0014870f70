"""The ``autocapture`` command: the demo a new user runs first, and usage errors."""

from __future__ import annotations

import json
import subprocess
import sys

from autocapture._cli import main


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "autocapture", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_demo_runs_and_exits_zero() -> None:
    """`autocapture demo` prints each captured event readably and exits 0."""
    result = run_cli("demo", "--no-color")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "api_key=[REDACTED]" in out
    assert "password=[REDACTED]" in out
    assert "card_number=[REDACTED]" in out
    assert "type       provider" in out
    assert "type       database / select" in out
    assert "type       payment / charge" in out
    assert "None of the 3 planted secrets" in out
    assert result.stderr == ""


def test_demo_json_reports_each_failure_once_and_no_secret() -> None:
    """`autocapture demo --json` prints one JSON event per failure, none with a secret."""
    result = run_cli("demo", "--json")
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(events) == 7
    assert len({e["event_id"] for e in events}) == 7
    assert "sk-or-v1-" not in result.stdout
    assert "correct-horse-battery-staple" not in result.stdout
    assert "4242 4242 4242 4242" not in result.stdout
    types = [e["context_type"] for e in events]
    assert types.count("provider") == 3
    assert "payment" in types
    assert "cache" in types


def test_unknown_command_is_bad_usage(capsys) -> None:
    """An unknown command exits 2 with a one-line message naming the choices."""
    assert main(["frobnicate"]) == 2
    err = capsys.readouterr().err
    assert "unknown command 'frobnicate'" in err
    assert "demo" in err
    assert "audit" in err


def test_no_command_prints_usage_and_exits_2(capsys) -> None:
    """Without a command the usage goes to stderr and the exit status is 2."""
    assert main([]) == 2
    assert "usage: autocapture" in capsys.readouterr().err


def test_help_and_version(capsys) -> None:
    """--help exits 0 with the usage; --version prints the installed version."""
    assert main(["--help"]) == 0
    assert "commands:" in capsys.readouterr().out
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("autocapture ")


def test_demo_bad_flag_is_bad_usage() -> None:
    """A flag the demo does not know exits 2."""
    result = run_cli("demo", "--frobnicate")
    assert result.returncode == 2
    assert "unrecognized arguments" in result.stderr
