"""Web frameworks' own HTTP answers below 500: raised to answer, not bugs.

Recognised by class lineage, as data (module, class name), so that no framework is
imported: Werkzeug's (Flask's) ``HTTPException`` answers with its ``code``; Django's
``Http404``, ``PermissionDenied``, ``SuspiciousOperation`` and ``BadRequest`` are
answers (404, 403, 400). An SDK error that carries a ``status_code`` is not listed:
it is a bug of the code that called the SDK.
"""

from __future__ import annotations

__all__ = ["is_framework_answer"]

_SERVER_ERROR = 500

# Classes whose instances answer with the status in their ``code`` attribute.
_CODED = frozenset((("werkzeug.exceptions", "HTTPException"),))
# Classes that are always answers below 500.
_ANSWERS = frozenset(
    (
        ("django.http.response", "Http404"),
        ("django.core.exceptions", "PermissionDenied"),
        ("django.core.exceptions", "SuspiciousOperation"),
        ("django.core.exceptions", "BadRequest"),
        ("django.core.exceptions", "RequestDataTooBig"),
    )
)


def is_framework_answer(exc: BaseException) -> bool:
    """Tell whether ``exc`` is a framework's HTTP answer with a status below 500."""
    for klass in type(exc).__mro__:
        name = (getattr(klass, "__module__", ""), klass.__name__)
        if name in _ANSWERS:
            return True
        if name in _CODED:
            code = getattr(exc, "code", None)
            return isinstance(code, int) and not isinstance(code, bool) and code < _SERVER_ERROR
    return False
