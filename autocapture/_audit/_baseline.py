"""Baselines: today's gaps, written once, so that CI fails only on new ones.

A baseline is a JSON file of the gaps' fingerprints (with path, kind and line, for the
reader; only the fingerprint matches). Fingerprints survive line moves, see
:mod:`autocapture._audit._marks`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from autocapture._audit._model import AuditReport, Gap

BASELINE_FORMAT = "autocapture-audit-baseline/1"
"""The ``format`` a baseline file declares."""


class BaselineError(ValueError):
    """A baseline file that cannot be read, or is not one the audit wrote."""


def baseline_text(report: AuditReport) -> str:
    """Spell a report's gaps as a baseline file (stable: sorted, no timestamps).

    Args:
        report: The report.

    Returns:
        The file's text, ending with a newline.
    """
    gaps = sorted(report.gaps, key=lambda g: (g.path, g.line, g.kind, g.fingerprint))
    data: dict[str, Any] = {
        "format": BASELINE_FORMAT,
        "gaps": [
            {"fingerprint": g.fingerprint, "path": g.path, "kind": g.kind, "line": g.line}
            for g in gaps
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def load_baseline(path: str) -> frozenset[str]:
    """Read the fingerprints of a baseline file.

    Args:
        path: The file.

    Returns:
        The fingerprints.

    Raises:
        BaselineError: When the file cannot be read or is not a baseline.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeError, ValueError) as exc:
        raise BaselineError(f"cannot read baseline {path!r}: {exc}") from exc
    gaps = data.get("gaps") if isinstance(data, dict) else None
    if (
        not isinstance(data, dict)
        or data.get("format") != BASELINE_FORMAT
        or not isinstance(gaps, list)
        or not all(isinstance(g, dict) and isinstance(g.get("fingerprint"), str) for g in gaps)
    ):
        raise BaselineError(f"{path!r} is not an audit baseline (write one with --write-baseline)")
    return frozenset(g["fingerprint"] for g in gaps)


def new_gaps(report: AuditReport, known: frozenset[str]) -> list[Gap]:
    """List the gaps of a report that a baseline does not have.

    Args:
        report: The report.
        known: The baseline's fingerprints.

    Returns:
        The new gaps, worst first.
    """
    return [g for g in report.gaps if g.fingerprint not in known]
