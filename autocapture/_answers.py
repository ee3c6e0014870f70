"""Exceptions that are answers or control flow, not errors: never captured.

Two tables, as data, and the checks that read them. A class is recognised by its
lineage: the ``(module, qualified name)`` of each class along its MRO, so subclasses
count and no framework is ever imported to check. The decorator, the ASGI middleware,
the task helpers and the audit share this one rule.

An exception that merely carries a ``status_code`` is *not* an answer: the openai SDK's
``AuthenticationError`` (401) or ``RateLimitError`` (429), ``httpx.HTTPStatusError``,
stripe or boto errors are failures of an outbound call, which is a bug or an outage on
our side, so they are captured like any other error.
"""

from __future__ import annotations

__all__ = [
    "ANSWER_STATUSES",
    "CONTROL_FLOW_CLASSES",
    "HTTP_ANSWER_CLASSES",
    "is_control_flow",
    "is_http_answer",
    "may_be_answer",
]

HTTP_ANSWER_CLASSES: tuple[tuple[str, str], ...] = (
    # Starlette's, and so FastAPI's (``fastapi.HTTPException`` subclasses it): raised by
    # a route to answer 404/403/422..., turned into a response by the framework.
    ("starlette.exceptions", "HTTPException"),
    # Werkzeug's (Flask's ``abort(404)``); ``InternalServerError`` is one too, with 500.
    ("werkzeug.exceptions", "HTTPException"),
    # Django's answers: 404, 403 and 400 (two of them); Django turns each into its response.
    ("django.http.response", "Http404"),
    ("django.core.exceptions", "PermissionDenied"),
    ("django.core.exceptions", "SuspiciousOperation"),  # RequestDataTooBig is one
    ("django.core.exceptions", "BadRequest"),
)
"""Web frameworks' own HTTP exceptions: below status 500 they are answers, not errors."""

ANSWER_STATUSES: dict[tuple[str, str], int] = {
    ("django.http.response", "Http404"): 404,
    ("django.core.exceptions", "PermissionDenied"): 403,
    ("django.core.exceptions", "SuspiciousOperation"): 400,
    ("django.core.exceptions", "BadRequest"): 400,
}
"""The status of the answers in ``HTTP_ANSWER_CLASSES`` that carry none: Django's handler
answers each with its own (the audit reads it; at run time all are below 500)."""

CONTROL_FLOW_CLASSES: tuple[tuple[str, str], ...] = (
    # ``self.retry()`` raises Retry; Ignore and Reject tell the worker what to do with
    # the message. None of them is a failure of the task.
    ("celery.exceptions", "Retry"),
    ("celery.exceptions", "Ignore"),
    ("celery.exceptions", "Reject"),
    # dramatiq's way for an actor to ask for a retry without an error being logged.
    ("dramatiq.errors", "Retry"),
)
"""Exceptions task frameworks raise to steer a task, not to report a failure."""

_HTTP_ANSWERS = frozenset(HTTP_ANSWER_CLASSES)
_CONTROL_FLOW = frozenset(CONTROL_FLOW_CLASSES)
_SERVER_ERROR = 500


def _in_lineage(cls: type, names: frozenset[tuple[str, str]]) -> bool:
    try:
        return any((c.__module__, c.__qualname__) in names for c in cls.__mro__)
    except Exception:  # a class with a hostile __module__ or __qualname__: not ours to judge
        return False


def is_http_answer(exc: BaseException) -> bool:
    """Tell whether ``exc`` is a web framework's own HTTP answer below 500.

    Args:
        exc: Any exception.

    Returns:
        True for a subclass of one of ``HTTP_ANSWER_CLASSES`` whose status (Starlette's
        ``status_code``, Werkzeug's ``code``; Django's carry none and are all 4xx) is
        below 500. False for everything else, whatever attributes it carries.
    """
    if not _in_lineage(type(exc), _HTTP_ANSWERS):
        return False
    try:
        status = getattr(exc, "status_code", None)
        if status is None:
            status = getattr(exc, "code", None)
    except Exception:
        return True
    if isinstance(status, int) and not isinstance(status, bool):
        return status < _SERVER_ERROR
    return True


def is_control_flow(exc: BaseException) -> bool:
    """Tell whether ``exc`` is a task framework's control flow (Celery, dramatiq).

    Args:
        exc: Any exception.

    Returns:
        True for a subclass of one of ``CONTROL_FLOW_CLASSES``.
    """
    return _in_lineage(type(exc), _CONTROL_FLOW)


def may_be_answer(cls: type) -> bool:
    """Tell whether an exception of type ``cls`` may be an HTTP answer or control flow.

    The lineage alone, which is all a type can tell: False means neither
    ``is_http_answer`` nor ``is_control_flow`` can be true of its instances, so a caller
    may remember the answer per type.

    Args:
        cls: An exception type.

    Returns:
        True for a subclass of one of ``HTTP_ANSWER_CLASSES`` or ``CONTROL_FLOW_CLASSES``.
    """
    return _in_lineage(cls, _HTTP_ANSWERS) or _in_lineage(cls, _CONTROL_FLOW)
