"""SARIF 2.1.0 rendering of the audit's gaps, ready for GitHub code scanning.

One rule per gap kind, with help text; one result per gap, located at ``path:line``
relative to the repository root (``uriBaseId`` ``%SRCROOT%``), with the gap's
fingerprint in ``partialFingerprints`` so that alerts follow code that moves, and its
suggested fix in the message. Severities map to SARIF levels: high -> ``error``,
medium -> ``warning``, low -> ``note``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from autocapture._audit._model import GAP_KINDS

if TYPE_CHECKING:
    from autocapture._audit._model import AuditReport, GapKind, Severity

SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
"""The ``$schema`` the log declares."""

_INFORMATION_URI = "https://github.com/autocapture/autocapture/blob/main/docs/audit.md"

FINGERPRINT_KEY = "autocaptureGap/v1"
"""The ``partialFingerprints`` key of a result (see ``Gap.fingerprint``)."""

_LEVELS: dict[Severity, str] = {"high": "error", "medium": "warning", "low": "note"}

_RULES: dict[GapKind, tuple[str, str, str]] = {
    "swallowed": (
        "ErrorSwallowed",
        "An error is caught and dropped.",
        (
            "The except handler neither re-raises, captures, converts to an HTTP error nor logs "
            "the error with its traceback, so the tracker never hears of it."
        ),
    ),
    "http_5xx": (
        "ServerErrorNotReported",
        "An error is converted to a 5xx response that is not reported.",
        (
            "The handler turns the error into an HTTP 5xx, but neither an integration nor a "
            "middleware reports that status, or the response is returned without an exception."
        ),
    ),
    "background": (
        "BackgroundWorkWithoutCapture",
        "Background work is started without error capture.",
        (
            "A task, thread or executor job runs a function that is not decorated with "
            "@auto_capture_errors and is not started through autocapture.tasks."
        ),
    ),
    "logged": (
        "LoggedErrorNotReported",
        "An error is only logged, and the log record does not reach the tracker.",
        (
            "The handler logs the error with its traceback, but logging does not send events, "
            "or not at that level."
        ),
    ),
    "message": (
        "LoggedWithoutTraceback",
        "An error is logged without its traceback: the tracker gets a message only.",
        (
            "The handler logs the error at an event level without exc_info, so the logging "
            "integration sends a message event without the traceback or the exception type."
        ),
    ),
    "http_4xx": (
        "BroadErrorBecomesClientError",
        "Any error is converted to a 4xx client error.",
        (
            "A broad except (Exception or bare) converts every error, bugs included, into a "
            "client error, which is never reported."
        ),
    ),
    "unreadable": (
        "FileNotAudited",
        "A file could not be read or parsed.",
        "The file does not decode or parse, so its handlers were not audited.",
    ),
    "log_reraise": (
        "LoggedAndReraised",
        "An error is logged and re-raised: reported twice, or thin first.",
        (
            "The handler logs the error at an event level and re-raises it; the logging "
            "event can arrive first, without the request's context, or the error is "
            "reported twice."
        ),
    ),
    "chain_lost": (
        "CauseChainLost",
        "A new error is raised without the caught one as its cause.",
        (
            "raise X without 'from e' (or with 'from None') loses the explicit link to the "
            "original error, which the event should carry."
        ),
    ),
}


def _tool_version() -> Optional[str]:
    """Read the installed autocapture version, if it is installed.

    Returns:
        The version, or ``None``.
    """
    from importlib import metadata

    try:
        return metadata.version("autocapture")
    except metadata.PackageNotFoundError:
        return None


def git_root(path: str) -> Optional[str]:
    """Find the repository that holds a path (a folder with ``.git``, file or folder).

    Args:
        path: A file or folder.

    Returns:
        The repository root, or ``None`` outside a repository.
    """
    here = Path(path).resolve()
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return str(folder)
    return None


def uri_prefix(audited: str, root: Optional[str]) -> str:
    """Spell the audited folder relative to the SARIF root, as a URI prefix.

    Args:
        audited: The audited path, as given.
        root: The folder result paths are relative to; ``None``: the audited folder.

    Returns:
        ``""`` or ``"services/api/"``.

    Raises:
        ValueError: When the audited path is not inside ``root``.
    """
    base = Path(audited).resolve()
    if base.is_file():
        base = base.parent
    if root is None:
        return ""
    relative = os.path.relpath(base, Path(root).resolve())
    if relative == ".":
        return ""
    if relative.startswith(".."):
        raise ValueError(f"{audited!r} is not inside the SARIF root {root!r}")
    return relative.replace(os.sep, "/") + "/"


def report_to_sarif(report: AuditReport, prefix: str = "") -> dict[str, Any]:
    """Turn a report into a SARIF 2.1.0 log.

    Args:
        report: The report.
        prefix: What to put before each report path to make it relative to the
            repository root (see :func:`uri_prefix`).

    Returns:
        A JSON-compatible dict that validates against the SARIF 2.1.0 schema.
    """
    rule_index = {kind: i for i, kind in enumerate(GAP_KINDS)}
    driver: dict[str, Any] = {
        "name": "autocapture audit",
        "informationUri": _INFORMATION_URI,
        "rules": [
            {
                "id": kind,
                "name": _RULES[kind][0],
                "shortDescription": {"text": _RULES[kind][1]},
                "fullDescription": {"text": _RULES[kind][2]},
                "help": {
                    "text": f"{_RULES[kind][2]} See docs/audit.md, Gaps ({kind}).",
                    "markdown": f"{_RULES[kind][2]}\n\nSee [docs/audit.md]"
                    f"({_INFORMATION_URI}#gaps), kind `{kind}`.",
                },
                "defaultConfiguration": {"level": "warning"},
            }
            for kind in GAP_KINDS
        ],
    }
    version = _tool_version()
    if version is not None:
        driver["version"] = version
    results = []
    for gap in report.gaps:
        physical: dict[str, Any] = {
            "artifactLocation": {"uri": prefix + gap.path, "uriBaseId": "%SRCROOT%"}
        }
        if gap.line > 0:
            physical["region"] = {"startLine": gap.line}
        results.append(
            {
                "ruleId": gap.kind,
                "ruleIndex": rule_index[gap.kind],
                "level": _LEVELS[gap.severity],
                "message": {"text": f"{gap.detail}. Fix: {gap.fix}."},
                "locations": [{"physicalLocation": physical}],
                "partialFingerprints": {FINGERPRINT_KEY: gap.fingerprint},
                "properties": {"severity": gap.severity, "fix": gap.fix},
            }
        )
    return {
        "$schema": SARIF_SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver},
                "columnKind": "unicodeCodePoints",
                "results": results,
                "properties": {
                    "coverage": round(report.coverage, 4),
                    "counted": report.counted,
                    "reached": report.reached,
                    "files": report.files,
                },
            }
        ],
    }


def render_sarif(report: AuditReport, prefix: str = "") -> str:
    """Render a report as a SARIF 2.1.0 log.

    Args:
        report: The report.
        prefix: The audited folder relative to the repository root (:func:`uri_prefix`).

    Returns:
        Indented JSON text, without a trailing newline.
    """
    return json.dumps(report_to_sarif(report, prefix), indent=2, ensure_ascii=False)
