"""The logging exit: a filter that scrubs every log record a handler writes.

The message is judged merged with its arguments (`token=%s`), and each argument that
holds a secret is replaced by its scrubbed text, so formatters that unpack `args` (uvicorn's
access formatter) keep working.

A `logging.Filter` on a handler runs before its formatter, so the formatter (plain, JSON,
uvicorn's, gunicorn's) only ever sees scrubbed fields: the message, every argument, the
rendered traceback (`exc_text`, which `logging.Formatter` prints as it is), the exception
(`exc_info` becomes an inert stand-in: class named like the original, scrubbed message,
frames with scrubbed locals, so formatters that render it themselves, such as structlog's,
still show the error and nothing raw) and the `extra` fields. The record is shared by
every handler of the logger: none of them loses the traceback. Record attributes that
logging itself sets are left alone.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Callable, Final, Optional

from autocapture._scrub._options import REDACTED
from autocapture._scrub._tracking import EventSecrets

__all__ = ["ScrubbingFilter", "scrub_logs"]

# The attributes of every LogRecord (and those formatters add); anything else is `extra`.
_RECORD_FIELDS: Final = frozenset(
    (
        *logging.LogRecord("", 0, "", 0, "", (), None).__dict__,
        "message",
        "asctime",
        "taskName",
        "_autocapture_scrubbed",
    )
)


def _scrubber() -> Any:
    from autocapture._config import get_config

    return get_config().scrubber


class ScrubbingFilter(logging.Filter):
    """Scrub a record's message, args, `exc_text` and `extra` fields; never drops one.

    Add it to the handlers you choose: `handler.addFilter(ScrubbingFilter())`. It uses the
    configured scrubbing options (`autocapture.configure(scrub=...)`) at each record.
    """

    def __init__(self, scrubber: Optional[Callable[[], Any]] = None) -> None:
        """Create the filter.

        Args:
            scrubber: Returns the `Scrubber` to use; the configured one when None.
        """
        super().__init__()
        self._get = _scrubber if scrubber is None else scrubber

    def filter(self, record: logging.LogRecord) -> bool:
        """Scrub the record in place (once, however many handlers share it); keep it."""
        if getattr(record, "_autocapture_scrubbed", False):
            return True
        try:
            scrubber = self._get()
            secrets = _named_secrets(record, scrubber)

            def text(value: str) -> str:
                return scrubber.scrub_text(value, secrets=secrets)  # type: ignore[no-any-return]

            if record.args:
                _scrub_args(record, scrubber, text, secrets)
            else:
                record.msg = text(_bounded_str(record.msg))
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = text(record.exc_text)
            record.exc_info = _inert_exc_info(record.exc_info, scrubber)
            if record.stack_info:
                record.stack_info = text(record.stack_info)
            record._autocapture_scrubbed = True  # noqa: SLF001 - our own marker
        except Exception:  # fail closed: a record we could not scrub says so instead
            record.msg, record.args, record.exc_info, record.exc_text = (
                "[log record withheld: autocapture could not scrub it]",
                None,
                None,
                None,
            )
        return True


def _named_secrets(record: logging.LogRecord, scrubber: Any) -> EventSecrets:
    """Scrub the record's `extra` fields; return what they and the args name secret.

    Record-wide, as an event is: a secret named in `extra`, in mapping args or in a
    container arg is redacted wherever else the record shows it (message, other args,
    traceback text), so those go first.
    """
    secrets = EventSecrets()
    for name in [n for n in record.__dict__ if n not in _RECORD_FIELDS]:
        record.__dict__[name] = scrubber.scrub(record.__dict__[name], key=name, secrets=secrets)
    args = record.args
    if isinstance(args, Mapping):
        scrubber.scrub_mapping(args, secrets=secrets)
    elif isinstance(args, tuple):
        for arg in args:
            if isinstance(arg, (Mapping, list, tuple)):
                scrubber.scrub(arg, secrets=secrets)
    return secrets


def _inert_exc_info(exc_info: Any, scrubber: Any) -> Any:
    """The record's `exc_info` with nothing raw: a stand-in of the exception, or None.

    The record is shared: other handlers (and Sentry's logging integration, which reads
    it after them) still need the error. Formatters that render `exc_info` themselves
    (structlog, JSON formatters) get the stand-in; `logging.Formatter` prints `exc_text`.
    """
    exc = exc_info[1] if isinstance(exc_info, tuple) and len(exc_info) > 1 else None
    if not isinstance(exc, BaseException):
        return None
    from autocapture._stand_in import STAND_IN_MARK, stand_in_exc_info

    if getattr(exc, STAND_IN_MARK, False):
        return exc_info  # LoggingSink's record: already inert
    return stand_in_exc_info(exc, scrubber)


def _scrub_args(
    record: logging.LogRecord, scrubber: Any, text: Callable[[str], str], secrets: EventSecrets
) -> None:
    """Scrub a message with args, keeping the args (formatters such as uvicorn's unpack them).

    The merged text is judged, so that `token=%s` with its value in the args is found;
    each arg that held a secret is replaced by its scrubbed text. If the result still
    differs from the scrubbed merged text, the merged text replaces message and args.
    """
    merged = record.getMessage()
    clean = text(merged)
    if clean == merged:
        return
    args = record.args
    if isinstance(args, tuple):
        new_args = tuple(_scrub_arg(arg, clean, text) for arg in args)
        try:
            candidate = str(record.msg) % new_args
        except Exception:
            candidate = None
        if candidate is not None and text(candidate) == candidate:
            record.args = new_args
            return
    elif isinstance(args, dict):
        record.args = scrubber.scrub_mapping(args, secrets=secrets)
        try:
            if text(record.getMessage()) == record.getMessage():
                return
        except Exception:  # noqa: S110 - falls back to the merged text below
            pass
    record.msg, record.args = clean, None


def _scrub_arg(arg: object, clean: str, text: Callable[[str], str]) -> object:
    if type(arg) in (int, float, bool, type(None)):
        return arg
    shown = _bounded_str(arg)
    if shown in clean:
        return arg
    scrubbed = text(shown)
    return REDACTED if scrubbed == shown else scrubbed


def _bounded_str(value: object) -> str:
    try:
        return str(value)[:1_000_000]
    except Exception:
        return f"<unprintable {type(value).__name__}>"


def scrub_logs() -> None:
    """Add a `ScrubbingFilter` to every handler of every logger that exists now.

    That is the root logger's handlers and those of named loggers (uvicorn's
    `uvicorn.access` and `uvicorn.error`, gunicorn's `gunicorn.access`...). Call it after
    the server configured its logging (handlers added later are not covered: add a
    `ScrubbingFilter` to them). Calling it again adds no second filter.
    """
    named = list(logging.Logger.manager.loggerDict.values())
    loggers = [logging.getLogger()]
    loggers += [logger for logger in named if isinstance(logger, logging.Logger)]
    for logger in loggers:
        for handler in list(logger.handlers):
            if not any(isinstance(f, ScrubbingFilter) for f in handler.filters):
                handler.addFilter(ScrubbingFilter())
