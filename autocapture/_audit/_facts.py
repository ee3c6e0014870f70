"""What the walk of one module finds, before anything is judged across modules."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Optional

from autocapture._audit._ast_tools import (
    SERVER_ERROR,
)

if TYPE_CHECKING:
    from autocapture._audit._model import HandlerClass


@dataclass
class HttpOutcome:
    """An HTTP error the handler turns the exception into."""

    status: Optional[int]
    """The status when it is a constant."""
    raised: bool
    """Raised as an exception (``HTTPException``, ``abort``) rather than a returned response."""
    text: str
    """The construct, e.g. ``HTTPException`` or ``JSONResponse``."""
    mapped: bool = False
    """An exception the app's exception handlers answer with a client error."""

    @property
    def is_5xx(self) -> bool:
        """Tell whether the status is a server error (an unknown status counts as one).

        Returns:
            True for 5xx and unknown statuses (not for a mapped exception).
        """
        if self.status is None:
            return not self.mapped
        return self.status >= SERVER_ERROR


@dataclass
class RawHandler:
    """What one ``except`` handler does, as read from its body."""

    line: int
    caught: str
    broad: bool
    control_flow: bool
    function: Optional[str]
    in_decorated: bool
    bound: Optional[str]
    end_line: int = 0
    validator: bool = False
    captures: list[str] = field(default_factory=list)
    reraise: list[str] = field(default_factory=list)
    http: list[HttpOutcome] = field(default_factory=list)
    log_exc_level: Optional[int] = None
    log_exc_calls: list[str] = field(default_factory=list)
    log_plain_calls: list[str] = field(default_factory=list)
    log_plain_level: Optional[int] = None
    actions: list[str] = field(default_factory=list)
    chain_lost: list[tuple[int, str]] = field(default_factory=list)
    # (class name, index of its chain_lost entry or -1) for each new error raised.
    raised: list[tuple[str, int]] = field(default_factory=list)
    # Functions of the module called from the handler ("helper", "Class.method").
    local_calls: list[str] = field(default_factory=list)
    retry: bool = False

    def classify(self) -> tuple[HandlerClass, Optional[HttpOutcome]]:
        """Pick the handler class; the first that applies wins (see ``docs/audit.md``).

        Returns:
            The class, and the HTTP outcome behind an ``http_*`` class.
        """
        if self.captures:
            return "captured", None
        server = [h for h in self.http if h.is_5xx]
        if server:
            # A raised 5xx can be reported by an integration; a returned response cannot.
            return "http_5xx", next((h for h in server if h.raised), server[0])
        if self.http:
            return "http_4xx", self.http[0]
        if self.reraise:
            return "reraise", None
        if self.log_exc_level is not None:
            return "logged", None
        return "swallowed", None


@dataclass
class RawInit:
    """A ``sentry_sdk.init`` call and its options."""

    line: int
    default_integrations: bool
    logging_event_level: Optional[int]
    failed_request_status_codes: Optional[frozenset[int]]


@dataclass
class RawMiddleware:
    """A capture middleware installed by the module."""

    line: int
    name: str
    captures_http_5xx: bool


@dataclass
class RawBackground:
    """A start of background work, before its target is resolved across modules."""

    line: int
    call: str
    target: Optional[str]
    local_key: Optional[str]
    qualified: Optional[str]
    via: Optional[str]


@dataclass
class ModuleFacts:
    """Everything the walk found in one module."""

    module: str
    handlers: list[RawHandler] = field(default_factory=list)
    has_capture: bool = False
    inits: list[RawInit] = field(default_factory=list)
    middleware: list[RawMiddleware] = field(default_factory=list)
    background: list[RawBackground] = field(default_factory=list)
    functions: set[str] = field(default_factory=set)
    decorated: set[str] = field(default_factory=set)
    aliases: dict[str, str] = field(default_factory=dict)
    raisers: set[str] = field(default_factory=set)
    """Functions that always raise (``-> NoReturn``, or a body that ends in ``raise``)."""
    mapped: dict[str, Optional[int]] = field(default_factory=dict)
    """Exception class names the app's exception handlers answer, with the status if known."""
    classes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Class qualname -> the last names of its bases."""
    traceback_functions: set[str] = field(default_factory=set)
    """Functions whose body may log a traceback (candidates for a reporting decorator)."""
    decorators_of: dict[str, list[str]] = field(default_factory=dict)
    """Function qualname -> its decorators, resolved (``app.decorators.background_task``)."""
    install_hooks: bool = False
    """Whether ``autocapture.tasks.install_hooks()`` is called."""
    instrumented: list[str] = field(default_factory=list)
    """Prefixes given to ``autocapture.instrument_modules``."""
    instrument_excluded: list[str] = field(default_factory=list)
    """Their ``exclude=`` prefixes."""
