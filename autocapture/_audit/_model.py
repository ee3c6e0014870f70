"""The audit report: frozen dataclasses, built once by the engine and only read after.

``AuditReport`` holds per-layer summaries (``LayerSummary``), every ``except`` handler
(``Handler``), every start of background work (``BackgroundStart``), the files that could
not be read (``UnreadableFile``), the ``Assumptions`` the verdicts rest on, and the
``Gap`` list, worst first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Optional

if TYPE_CHECKING:
    from collections.abc import Mapping

HandlerClass = Literal["reraise", "captured", "http_4xx", "http_5xx", "logged", "swallowed"]
"""What an ``except`` handler does with the error it caught."""

HANDLER_CLASSES: tuple[HandlerClass, ...] = (
    "reraise",
    "captured",
    "http_4xx",
    "http_5xx",
    "logged",
    "swallowed",
)
"""Every handler class, in the order reports list them."""

GapKind = Literal[
    "swallowed",
    "http_5xx",
    "background",
    "logged",
    "message",
    "http_4xx",
    "unreadable",
    "log_reraise",
    "chain_lost",
]
"""The kinds of gap: the handler classes that lose errors, plus three of their own."""

GAP_KINDS: tuple[GapKind, ...] = (
    "swallowed",
    "http_5xx",
    "background",
    "logged",
    "message",
    "http_4xx",
    "unreadable",
    "log_reraise",
    "chain_lost",
)
"""Every gap kind, worst first (the order gaps of one severity are listed in)."""

Severity = Literal["high", "medium", "low"]
"""How likely a gap is to hide a real, untracked error."""

SEVERITIES: tuple[Severity, ...] = ("high", "medium", "low")
"""Every severity, worst first."""

ReachesAs = Literal["exception", "message"]
"""How a handler's error reaches the tracker: an event with the traceback, or a message."""

AssumptionSource = Literal["flag", "detected", "default"]
"""Where an assumption comes from: a command-line flag, the code base, or the SDK defaults."""


@dataclass(frozen=True)
class Handler:
    """One ``except`` handler and its verdict."""

    path: str
    """File path relative to the audited root, with ``/`` separators."""
    line: int
    """Line of the ``except`` keyword."""
    layer: str
    """The layer of the file (``routes``, ``services``, ``db``, ``tasks``, ``other``...)."""
    handler_class: HandlerClass
    """What the handler does with the error (see ``docs/audit.md`` for the precedence)."""
    caught: str
    """The caught types as written (``Exception``, ``(KeyError, ValueError)``, ``bare``)."""
    function: Optional[str]
    """Qualified name of the enclosing function or method, ``None`` at module level."""
    status: Optional[int]
    """The HTTP status of an ``http_4xx`` / ``http_5xx`` conversion, when it is a constant."""
    counted: bool
    """Whether the handler counts towards coverage (not an intentional 4xx, not control flow)."""
    reaches: bool
    """Whether the caught error reaches the tracker, given the assumptions."""
    reached_by: Optional[str]
    """How it reaches the tracker (``"explicit capture"``, ``"re-raised"``...), if it does."""
    reaches_as: Optional[ReachesAs] = None
    """``"exception"`` (an event with the traceback), ``"message"`` (a message event
    without it: logged without ``exc_info``) or ``None`` (never); only ``"exception"``
    makes ``reaches`` true."""
    accepted: Optional[str] = None
    """The reason of an ``# autocapture: ignore[KIND] reason`` comment that accepts the
    handler's gap; an accepted handler is not counted."""


@dataclass(frozen=True)
class Gap:
    """A place where an error may never reach the tracker (or reaches it without its cause)."""

    path: str
    """File path relative to the audited root, with ``/`` separators."""
    line: int
    """Line of the ``except`` (or of the call, for background work); 0 when unknown."""
    kind: GapKind
    """What kind of gap this is."""
    severity: Severity
    """How likely the gap hides a real, untracked error."""
    detail: str
    """One sentence saying what happens to the error."""
    fix: str = ""
    """A suggested fix, in one sentence (``add exc_info=True``, ``raise ... from e``...)."""
    function: Optional[str] = None
    """Qualified name of the enclosing function, ``None`` at module level."""
    fingerprint: str = ""
    """A stable identity that survives line moves: a hash of the path, the enclosing
    function, the kind and the whitespace-normalised source of the handler (or call)."""
    accepted: Optional[str] = None
    """The reason given by an ``# autocapture: ignore[KIND] reason`` comment, if any;
    accepted gaps are in ``AuditReport.accepted``, not in ``AuditReport.gaps``."""


@dataclass(frozen=True)
class BackgroundStart:
    """A start of background work (task, thread, executor job) and whether it is captured."""

    path: str
    """File path relative to the audited root, with ``/`` separators."""
    line: int
    """Line of the call that starts the work."""
    layer: str
    """The layer of the file."""
    call: str
    """The starting call as written, e.g. ``asyncio.create_task``."""
    target: Optional[str]
    """The function that runs in the background, when it can be named."""
    captured: bool
    """Whether failures are captured (a decorated target, or ``autocapture.tasks``)."""
    reason: str
    """Why the start counts as captured or not."""


@dataclass(frozen=True)
class UnreadableFile:
    """A file that could not be read, decoded or parsed."""

    path: str
    """File path relative to the audited root, with ``/`` separators."""
    line: int
    """Line of the syntax error, 0 when the file could not be read or decoded at all."""
    error: str
    """The error, in one line."""


@dataclass(frozen=True)
class SentryInit:
    """A ``sentry_sdk.init(...)`` call and what its options mean for the audit."""

    path: str
    """File path relative to the audited root, with ``/`` separators."""
    line: int
    """Line of the call."""
    default_integrations: bool
    """Whether the default integrations (logging among them) are on."""
    logging_event_level: Optional[int]
    """Level from which log records become events; ``None`` when logging sends no events."""
    failed_request_status_codes: Optional[frozenset[int]]
    """Statuses of ``HTTPException`` that the Starlette/FastAPI integration reports, if active."""


@dataclass(frozen=True)
class CaptureMiddleware:
    """An installed capture middleware (``AutoCaptureMiddleware``, ``SentryAsgiMiddleware``...)."""

    path: str
    """File path relative to the audited root, with ``/`` separators."""
    line: int
    """Line of the installing call."""
    name: str
    """The middleware (or setup function) as written."""
    captures_http_5xx: bool
    """Whether it also reports ``HTTPException``s with a 5xx status that the app handled."""


@dataclass(frozen=True)
class Assumption:
    """One yes/no assumption that verdicts depend on, with where it comes from."""

    value: bool
    """The assumption."""
    source: AssumptionSource
    """``flag`` (command line), ``detected`` (found in the code) or ``default`` (SDK defaults)."""
    reason: str
    """One sentence saying why."""


@dataclass(frozen=True)
class Assumptions:
    """What the audit assumes about the tracker's setup, and the setup it found."""

    reraise_reaches: Assumption
    """Whether a re-raised error reaches the tracker (it propagates to audited callers)."""
    logging_captured: Assumption
    """Whether ``logger.exception`` / ``exc_info=True`` records become tracker events."""
    logging_event_level: int
    """The lowest log level that becomes an event when ``logging_captured`` holds."""
    http_5xx_captured: Assumption
    """Whether an ``HTTPException`` with a 5xx status raised in a route is reported."""
    http_5xx_status_codes: frozenset[int]
    """The statuses reported when ``http_5xx_captured`` holds."""
    sentry_inits: tuple[SentryInit, ...]
    """Every ``sentry_sdk.init`` call found."""
    middleware: tuple[CaptureMiddleware, ...]
    """Every capture middleware found."""


@dataclass(frozen=True)
class LayerSummary:
    """The counts of one layer."""

    name: str
    """The layer name."""
    files: int
    """Python files audited in this layer, unreadable ones included."""
    files_with_capture: int
    """Files with an explicit capture call or an ``@auto_capture_errors`` function."""
    unreadable: int
    """Files that could not be read or parsed."""
    handlers: Mapping[HandlerClass, int]
    """The number of handlers of each class (every class present, zeros included)."""
    counted: int
    """Handlers that count towards coverage."""
    reached: int
    """Counted handlers whose error reaches the tracker."""

    @property
    def coverage(self) -> float:
        """Share of counted handlers whose error reaches the tracker (1.0 when none count).

        Returns:
            A float between 0.0 and 1.0.
        """
        return self.reached / self.counted if self.counted else 1.0


@dataclass(frozen=True)
class AuditReport:
    """The whole audit of one code base."""

    root: str
    """The audited path, as given."""
    layers: tuple[LayerSummary, ...]
    """One summary per layer, in the configured layer order (``other`` last)."""
    handlers: tuple[Handler, ...]
    """Every ``except`` handler, by path then line."""
    background: tuple[BackgroundStart, ...]
    """Every start of background work, by path then line."""
    unreadable: tuple[UnreadableFile, ...]
    """Files that could not be read or parsed, by path."""
    gaps: tuple[Gap, ...]
    """Every gap, worst first."""
    assumptions: Assumptions
    """What the verdicts assume about the tracker's setup."""
    accepted: tuple[Gap, ...] = ()
    """Gaps accepted by an ``# autocapture: ignore[KIND] reason`` comment, worst first."""
    migrations: tuple[str, ...] = ()
    """Database migration scripts left out (alembic revisions, Django migrations), by path."""

    @property
    def files(self) -> int:
        """Number of files audited, unreadable ones included.

        Returns:
            The sum over layers.
        """
        return sum(layer.files for layer in self.layers)

    @property
    def counted(self) -> int:
        """Number of handlers that count towards coverage.

        Returns:
            The sum over layers.
        """
        return sum(layer.counted for layer in self.layers)

    @property
    def reached(self) -> int:
        """Number of counted handlers whose error reaches the tracker.

        Returns:
            The sum over layers.
        """
        return sum(layer.reached for layer in self.layers)

    @property
    def coverage(self) -> float:
        """Share of counted handlers whose error reaches the tracker (1.0 when none count).

        Returns:
            A float between 0.0 and 1.0.
        """
        counted = self.counted
        return self.reached / counted if counted else 1.0
