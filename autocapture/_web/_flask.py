"""``autocapture.wsgi.instrument(app)``: the one-call setup for Flask, in place.

Flask answers its own errors inside ``wsgi_app``: an unhandled exception becomes a 500
in ``handle_exception`` and an ``HTTPException`` (``abort(500)``) a response in
``handle_http_exception``, so a WSGI middleware never sees them. ``instrument`` wraps
``app.wsgi_app`` in the middleware (the request's context for decorated services) and
those two handlers on the app object: they capture unhandled errors and 5xx
``HTTPException``s (with their cause chain), then answer exactly as before; 4xx answers
are left alone. The route template comes from the URL rule (``/users/<int:id>``), read
only when an error is described.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from autocapture._web._kind import wrong_door
from autocapture._web._options import make_options
from autocapture._web._request import STATE_USER_FIELDS, capture_request_error
from autocapture._web._wsgi import (
    ENDPOINT_KEY,
    ROUTE_KEY,
    AutoCaptureMiddleware,
    Environ,
    context_for,
)

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["instrument"]

AppT = TypeVar("AppT", bound="Flask")
_MIDDLEWARE = "_autocapture_middleware"
_OPTIONS = "_autocapture_options"
_SERVER_ERROR = 500


def _import_flask() -> Any:
    try:
        import flask
    except ImportError as exc:
        raise ImportError(
            "autocapture.wsgi.instrument() needs Flask: pip install 'autocapture[flask]'"
        ) from exc
    return flask


def instrument(app: AppT, **options: Any) -> AppT:
    r"""Set a Flask application up for error capture, in place, and return it.

    Wraps ``app.wsgi_app`` in ``autocapture.wsgi.AutoCaptureMiddleware(**options)`` and
    makes the app capture its unhandled errors and ``HTTPException``\\s of status >= 500
    (``abort(500)``) before answering as before. Called again with options (before or
    after the first request), the middleware takes them; without, nothing changes.

    Raises:
        ImportError: Flask is not installed (``pip install 'autocapture[flask]'``).
        TypeError: ``app`` is not a Flask application (an ASGI app is told to use
            ``autocapture.asgi``), or an option is invalid.
        ValueError: An option has a value that is not allowed.
    """
    flask = _import_flask()
    if not isinstance(app, flask.Flask):
        wrong = wrong_door(app, "wsgi")
        raise TypeError(
            f"autocapture.wsgi.instrument() takes a Flask application, got "
            f"{type(app).__name__}"
            + (f"; {wrong}" if wrong else "; wrap other WSGI apps with AutoCaptureMiddleware")
        )
    middleware = getattr(app, _MIDDLEWARE, None)
    if isinstance(middleware, AutoCaptureMiddleware):
        if options:
            # Applied, not ignored: the middleware reads its options at each request.
            middleware.options = make_options(**options)
            setattr(app, _OPTIONS, dict(options))
        return app
    middleware = AutoCaptureMiddleware(app.wsgi_app, **options)
    middleware.enrich = _enrich
    app.wsgi_app = middleware  # type: ignore[method-assign,unused-ignore]
    setattr(app, _MIDDLEWARE, middleware)
    setattr(app, _OPTIONS, dict(options))
    # Instance attributes: Flask calls self.handle_exception(e), so these win.
    unhandled = _capturing(app.handle_exception, always=True)
    answers = _capturing(app.handle_http_exception, always=False)
    app.handle_exception = unhandled  # type: ignore[method-assign,unused-ignore]
    app.handle_http_exception = answers  # type: ignore[method-assign,unused-ignore]
    return app


def _capturing(handler: Callable[[Any], Any], *, always: bool) -> Callable[[Any], Any]:
    @functools.wraps(handler)
    def autocapture_handler(error: Any) -> Any:
        from flask import request

        code = getattr(error, "code", None)
        if always or (isinstance(code, int) and code >= _SERVER_ERROR):
            capture_request_error(error, context_for(request.environ), handled=True)
        return handler(error)

    return autocapture_handler


def _enrich(environ: Environ) -> Mapping[str, Any] | None:
    """Read the URL rule, the view and ``flask.g``'s user fields while a request is active."""
    from flask import g, has_request_context, request

    if not has_request_context() or request.environ is not environ:
        return None
    rule = request.url_rule
    if rule is not None:
        environ[ROUTE_KEY] = rule.rule
        view = _view(rule.endpoint)
        if view is not None:
            target = getattr(view, "__wrapped__", view)
            environ[ENDPOINT_KEY] = f"{target.__module__}.{target.__qualname__}"
    return {f: getattr(g, f) for f in STATE_USER_FIELDS if getattr(g, f, None) is not None}


def _view(endpoint: str) -> Any:
    from flask import current_app

    return current_app.view_functions.get(endpoint)
