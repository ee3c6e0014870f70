"""Tell an ASGI app from a WSGI app, so that the wrong door says which one is right.

Decided once, when a middleware is built: by the class lineage of the well-known
frameworks (names only, nothing imported), then by the shape of the callable (an ASGI 3
app is a coroutine function of three arguments, a WSGI app a plain callable of two).
Anything undecided is let through: the check must never refuse a working app.
"""

from __future__ import annotations

import inspect
from typing import Optional

__all__ = ["ASGI_DOOR", "WSGI_DOOR", "app_kind", "wrong_door"]

ASGI_DOOR = "autocapture.asgi.AutoCaptureMiddleware"
WSGI_DOOR = "autocapture.wsgi.AutoCaptureMiddleware"

# (module, class name) of application classes. ASGI first: some ASGI apps subclass a
# WSGI one (falcon.asgi.App is a falcon.App).
_ASGI_CLASSES = frozenset(
    (
        ("starlette.applications", "Starlette"),
        ("fastapi.applications", "FastAPI"),
        ("django.core.handlers.asgi", "ASGIHandler"),
        ("quart.app", "Quart"),
        ("falcon.asgi.app", "App"),
        ("litestar.app", "Litestar"),
        ("sanic.app", "Sanic"),
    )
)
_WSGI_CLASSES = frozenset(
    (
        ("flask.app", "Flask"),
        ("werkzeug.wrappers.response", "Response"),
        ("django.core.handlers.wsgi", "WSGIHandler"),
        ("bottle", "Bottle"),
        ("pyramid.router", "Router"),
        ("falcon.app", "App"),
    )
)
_HINTS = {
    ("flask.app", "Flask"): "autocapture.wsgi.instrument(app) sets a Flask app up in one call",
    ("django.core.handlers.wsgi", "WSGIHandler"): (
        "in a Django project, add 'autocapture.django.AutoCaptureMiddleware' to MIDDLEWARE"
    ),
    ("django.core.handlers.asgi", "ASGIHandler"): (
        "in a Django project, add 'autocapture.django.AutoCaptureMiddleware' to MIDDLEWARE"
    ),
}
_WSGI_ARGUMENTS = 2  # environ, start_response


def _lineage(app: object) -> tuple[str, Optional[tuple[str, str]]]:
    cls = app if isinstance(app, type) else type(app)
    names = [(getattr(k, "__module__", ""), k.__name__) for k in cls.__mro__]
    for name in names:
        if name in _ASGI_CLASSES:
            return "asgi", name
    for name in names:
        if name in _WSGI_CLASSES:
            return "wsgi", name
    return "", None


def _required_positional(call: object) -> Optional[int]:
    try:
        signature = inspect.signature(call)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    count = 0
    for parameter in signature.parameters.values():
        if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            return None
        if (
            parameter.kind
            in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
            and parameter.default is inspect.Parameter.empty
        ):
            count += 1
    return count


def app_kind(app: object) -> Optional[str]:
    """Return ``"asgi"``, ``"wsgi"`` or ``None`` (not sure) for an application object."""
    kind, _ = _lineage(app)
    if kind:
        return kind
    if not callable(app):
        return None
    bound: object = app
    if not isinstance(app, type) and not inspect.isroutine(bound):
        bound = getattr(app, "__call__", None)  # noqa: B004 - the method, for its signature
    if inspect.iscoroutinefunction(bound):
        return "asgi"
    arguments = _required_positional(bound)
    if arguments == _WSGI_ARGUMENTS and not isinstance(app, type):
        return "wsgi"
    return None


def wrong_door(app: object, wanted: str) -> Optional[str]:
    """Say why ``app`` does not fit a middleware for ``wanted`` apps, or ``None`` if it may.

    Args:
        app: What the user gave.
        wanted: ``"asgi"`` or ``"wsgi"``.

    Returns:
        The message of the ``TypeError`` to raise, naming the right door.
    """
    kind = app_kind(app)
    if kind is None or kind == wanted:
        return None
    _, framework = _lineage(app)
    name = type(app).__name__ if not inspect.isroutine(app) else getattr(app, "__name__", "")
    this, right = (ASGI_DOOR, WSGI_DOOR) if wanted == "asgi" else (WSGI_DOOR, ASGI_DOOR)
    hint = _HINTS.get(framework) if framework is not None else None
    return (
        f"{this} wraps {wanted.upper()} apps, but {name!r} is a {kind.upper()} app: "
        f"use {right}(app) instead" + (f" ({hint})" if hint else "")
    )
