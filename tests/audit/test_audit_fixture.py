"""The audit of the labelled fixture code base: classes, reach, layers, background work."""

from __future__ import annotations

from autocapture.audit import HANDLER_CLASSES, audit
from tests.audit.conftest import FIXTURE_APP, expected_labels


def _handlers(report_json):
    return {(h["path"], h["line"]): h for h in report_json["handlers"]}


def test_every_label_matches_the_classification(run_audit_cli, fixture_app):
    """Each fixture handler's '# expect:' label equals the class the audit gives it."""
    result = run_audit_cli(fixture_app, "--format", "json")
    actual = {(h["path"], h["line"], h["class"]) for h in result.json()["handlers"]}
    expected = expected_labels(fixture_app)
    assert len(expected) == 34
    assert expected == actual


def test_labels_cover_every_class():
    """The fixture exercises every handler class at least once."""
    classes = {label for _, _, label in expected_labels(FIXTURE_APP)}
    assert set(HANDLER_CLASSES) == classes


def test_default_excludes_skip_tests_and_node_modules():
    """Folders named tests or node_modules inside the audited path are not read."""
    report = audit(str(FIXTURE_APP))
    paths = {h.path for h in report.handlers} | {g.path for g in report.gaps}
    assert [p for p in paths if p.startswith(("tests/", "node_modules/"))] == []
    assert report.files == 9


def test_layer_summary(run_audit_cli, fixture_app):
    """Files, files with explicit capture and handler counts are summed per layer."""
    layers = run_audit_cli(fixture_app, "--format", "json").json()["layers"]
    assert list(layers) == ["routes", "services", "db", "tasks", "other"]
    assert {k: layers["routes"][k] for k in ("files", "files_with_capture")} == {
        "files": 2,
        "files_with_capture": 1,
    }
    assert layers["routes"]["handlers"] == {
        "reraise": 1,
        "captured": 2,
        "http_4xx": 3,
        "http_5xx": 3,
        "logged": 2,
        "swallowed": 1,
    }
    assert layers["services"]["files_with_capture"] == 2
    assert layers["db"]["files_with_capture"] == 1


def test_other_client_capture_exception_is_not_a_capture(run_audit_cli, fixture_app):
    """metrics.capture_exception(exc) on a non-Sentry object leaves the handler swallowed."""
    handlers = _handlers(run_audit_cli(fixture_app, "--format", "json").json())
    assert handlers[("services/providers.py", 46)]["class"] == "swallowed"
    assert handlers[("services/providers.py", 51)]["class"] == "captured"


def test_reach_follows_the_detected_setup(run_audit_cli, fixture_app):
    """Whether a handler's error reaches the tracker depends on init options and decorators."""
    handlers = _handlers(run_audit_cli(fixture_app, "--format", "json").json())
    reach = {key: (h["reaches"], h["reached_by"]) for key, h in handlers.items()}
    # 500 is in failed_request_status_codes={500, 502, 503}; 504 is not.
    assert reach[("routes/chat.py", 30)] == (
        True,
        "5xx HTTP error reported by the integration or middleware",
    )
    assert reach[("routes/chat.py", 55)] == (False, None)
    # A returned JSONResponse(503) raises nothing that an integration could see.
    assert reach[("routes/chat.py", 53)] == (False, None)
    # Inside @auto_capture_errors (imported as capture_errors), a raised 504 is captured.
    assert reach[("services/billing.py", 31)] == (
        True,
        "5xx HTTP error raised through @auto_capture_errors",
    )
    assert reach[("services/providers.py", 35)] == (True, "re-raised into @auto_capture_errors")
    # logger.exception reaches (ERROR); logger.warning(exc_info=...) is below event_level.
    assert reach[("routes/health.py", 19)] == (True, "logged with traceback (logging integration)")
    assert reach[("routes/health.py", 29)] == (False, None)


def test_counted_excludes_intentional_4xx_and_control_flow(run_audit_cli, fixture_app):
    """Specific errors turned into 4xx and control-flow exceptions do not count for coverage."""
    handlers = _handlers(run_audit_cli(fixture_app, "--format", "json").json())
    assert not handlers[("routes/health.py", 44)]["counted"]  # except ValueError -> 404
    assert handlers[("routes/health.py", 46)]["counted"]  # except Exception -> 422
    assert not handlers[("services/providers.py", 66)]["counted"]  # CancelledError
    assert not handlers[("services/providers.py", 68)]["counted"]  # GeneratorExit


def test_coverage_is_reached_over_counted(run_audit_cli, fixture_app):
    """Coverage is the share of counted handlers whose error reaches the tracker."""
    data = run_audit_cli(fixture_app, "--format", "json").json()
    counted = [h for h in data["handlers"] if h["counted"]]
    reached = [h for h in counted if h["reaches"]]
    assert (len(counted), len(reached)) == (30, 18)
    assert round(18 / 30, 4) == data["coverage"]


def test_background_starts(run_audit_cli, fixture_app):
    """Background work is captured only with a decorated target or autocapture.tasks."""
    data = run_audit_cli(fixture_app, "--format", "json").json()
    starts = {(b["path"], b["line"]): (b["call"], b["captured"]) for b in data["background"]}
    assert starts == {
        ("routes/chat.py", 44): ("background_tasks.add_task", False),
        ("routes/chat.py", 45): ("background_tasks.add_task", True),
        ("tasks/email.py", 37): ("threading.Thread", False),
        ("tasks/email.py", 40): ("threading.Thread", True),
        ("tasks/email.py", 58): ("asyncio.create_task", False),
        ("tasks/email.py", 59): ("asyncio.create_task", True),
        ("tasks/email.py", 60): ("autocapture.tasks.create_task", True),
        ("tasks/email.py", 61): ("autocapture.tasks.create_task", True),
        ("tasks/email.py", 62): ("executor.submit", False),
        ("tasks/email.py", 64): ("loop.create_task", False),
    }


def test_assumptions_are_read_from_sentry_init(run_audit_cli, fixture_app):
    """The fixture's sentry_sdk.init sets the logging level and the reported 5xx statuses."""
    assumptions = run_audit_cli(fixture_app, "--format", "json").json()["assumptions"]
    assert (
        assumptions["logging_captured"]["value"],
        assumptions["logging_captured"]["source"],
        assumptions["logging_captured"]["event_level"],
    ) == (True, "detected", "ERROR")
    assert assumptions["http_5xx_captured"]["status_codes"] == [[500, 500], [502, 503]]
    assert assumptions["sentry_init"] == [
        {
            "path": "main.py",
            "line": 20,
            "default_integrations": True,
            "logging_event_level": "ERROR",
            "failed_request_status_codes": [[500, 500], [502, 503]],
        }
    ]
    assert assumptions["capture_middleware"] == [
        {"path": "main.py", "line": 33, "name": "SentryAsgiMiddleware", "captures_http_5xx": False}
    ]


def test_gaps_are_worst_first(run_audit_cli, fixture_app):
    """Gaps come sorted by severity, high first; log-then-raise and chain-lost notes last."""
    gaps = run_audit_cli(fixture_app, "--format", "json").json()["gaps"]
    ranks = [{"high": 0, "medium": 1, "low": 2}[g["severity"]] for g in gaps]
    assert sorted(ranks) == ranks
    assert {"chain_lost", "log_reraise"} == {g["kind"] for g in gaps if g["severity"] == "low"}
    assert ("routes/chat.py", 56, "chain_lost") in {
        (g["path"], g["line"], g["kind"]) for g in gaps
    }
