"""Static audit: are a code base's errors reaching the tracker?

``autocapture audit PATH`` on the command line; from Python::

    from autocapture.audit import audit, render_text

    report = audit("src", excludes=["migrations"])
    print(render_text(report))
    assert report.coverage >= 0.9

The audit parses files with :mod:`ast` and never imports or runs them. It classifies
every ``except`` handler (``reraise``, ``captured``, ``http_4xx``, ``http_5xx``,
``logged``, ``swallowed``), finds background work started without capture, reads how
Sentry is initialised to decide what reaches the tracker, and lists the gaps. The
classes, assumptions and JSON schema are documented in ``docs/audit.md``.

Only the standard library is imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from autocapture._audit._engine import run_audit as _run_audit
from autocapture._audit._html import render_html
from autocapture._audit._model import (
    HANDLER_CLASSES,
    Assumption,
    Assumptions,
    AuditReport,
    BackgroundStart,
    CaptureMiddleware,
    Gap,
    Handler,
    HandlerClass,
    LayerSummary,
    ReachesAs,
    SentryInit,
    UnreadableFile,
)
from autocapture._audit._options import DEFAULT_CAPTURE_HELPERS as _DEFAULT_CAPTURE_HELPERS
from autocapture._audit._options import DEFAULT_DECORATORS as _DEFAULT_DECORATORS
from autocapture._audit._options import DEFAULT_LAYERS as _DEFAULT_LAYERS
from autocapture._audit._options import AuditOptions as _AuditOptions
from autocapture._audit._options import override_layers as _override_layers
from autocapture._audit._report import SCHEMA_VERSION, render_json, render_text, report_to_dict
from autocapture._audit._sarif import render_sarif, report_to_sarif

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = [
    "Assumption",
    "Assumptions",
    "AuditReport",
    "BackgroundStart",
    "CaptureMiddleware",
    "Gap",
    "HANDLER_CLASSES",
    "Handler",
    "HandlerClass",
    "LayerSummary",
    "ReachesAs",
    "SCHEMA_VERSION",
    "SentryInit",
    "UnreadableFile",
    "audit",
    "render_html",
    "render_json",
    "render_sarif",
    "render_text",
    "report_to_dict",
    "report_to_sarif",
]


def audit(
    path: str,
    *,
    excludes: Iterable[str] = (),
    layers: Optional[Mapping[str, Iterable[str]]] = None,
    default_excludes: bool = True,
    capture_helpers: Iterable[str] = (),
    decorators: Iterable[str] = (),
    assume_logging_captured: Optional[bool] = None,
    assume_http_5xx_captured: Optional[bool] = None,
    include_migrations: bool = False,
) -> AuditReport:
    """Audit the Python code base at ``path`` without importing or running it.

    Args:
        path: A folder (or one file).
        excludes: Extra globs to skip, matched against relative paths and names.
        layers: Layer name -> folder names; replaces a known layer's folders
            (``{"routes": ["api", "endpoints"]}``) or adds a layer.
        default_excludes: Skip tests, virtual environments, VCS and build folders.
        capture_helpers: More function names (globs) whose call is an explicit capture,
            besides ``capture_error`` and ``capture_*_error``.
        decorators: More capture decorator names, besides ``auto_capture_errors``.
        assume_logging_captured: Force whether errors logged with a traceback reach the
            tracker; ``None`` reads it from ``sentry_sdk.init``.
        assume_http_5xx_captured: Force whether 5xx ``HTTPException``s reach the tracker;
            ``None`` reads it from ``sentry_sdk.init`` and the installed middleware.
        include_migrations: Also audit database migration scripts (alembic revisions,
            Django migrations), which are left out by default.

    Returns:
        The report.

    Raises:
        FileNotFoundError: When ``path`` does not exist.
        ValueError: On an invalid layer override.
    """
    options = _AuditOptions(
        layers=_override_layers(layers or {}, _DEFAULT_LAYERS),
        excludes=tuple(excludes),
        default_excludes=default_excludes,
        capture_helpers=(*_DEFAULT_CAPTURE_HELPERS, *capture_helpers),
        decorators=(*_DEFAULT_DECORATORS, *decorators),
        assume_logging_captured=assume_logging_captured,
        assume_http_5xx_captured=assume_http_5xx_captured,
        include_migrations=include_migrations,
    )
    return _run_audit(path, options)
