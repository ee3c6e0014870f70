"""``instrument(app)``: the one-call setup for Starlette and FastAPI applications.

Two things, both in place:

* the middleware, outermost among the user middlewares (inside Starlette's
  ``ServerErrorMiddleware``, so it sees an unhandled error before the 500 is sent);
* exception handlers. Starlette and FastAPI turn an ``HTTPException`` into a response
  inside the route (``wrap_app_handling_exceptions``), so no middleware ever sees it. The
  handlers are wrapped when the middleware stack is built (the first request), which
  also covers handlers the user registers after ``instrument``: the HTTPException handler
  (the user's, or the framework's default when there is none) and status handlers of 5xx
  capture errors of status >= 500, with their cause chain, then answer exactly as before;
  any other exception handler captures when the response it returns is a 5xx.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from autocapture._asgi._middleware import (
    AutoCaptureMiddleware,
    capture_request_error,
    context_for,
)
from autocapture._asgi._request import walk_routes
from autocapture._web._kind import app_kind

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import Request

__all__ = ["instrument"]

AppT = TypeVar("AppT", bound="Starlette")
T = TypeVar("T")
Handler = Callable[..., Any]

_INSTRUMENTED = "_autocapture_instrumented"
_WRAPPED = "__autocapture_handler__"
_SERVER_ERROR = 500
# How far down a middleware chain (``.app`` after ``.app``) to look.
_MAX_DEPTH = 64


def _down_to(node: object, cls: type[T]) -> T | None:
    """Follow ``.app`` down a middleware chain to the first instance of ``cls``."""
    for _ in range(_MAX_DEPTH):
        if node is None or isinstance(node, cls):
            return node
        node = getattr(node, "app", None)
    return None


def _import_starlette() -> Any:
    try:
        import starlette.applications
    except ImportError as exc:
        raise ImportError(
            "autocapture.asgi.instrument() needs Starlette (or FastAPI): "
            "pip install 'autocapture[fastapi]'"
        ) from exc
    return starlette.applications


def instrument(app: AppT, **options: Any) -> AppT:
    r"""Set a FastAPI or Starlette application up for error capture, in place.

    Adds ``AutoCaptureMiddleware(**options)`` as the outermost user middleware and makes
    the app's exception handlers capture ``HTTPException``\\s of status >= 500 (with their
    cause chain) and exceptions other handlers turn into 5xx responses, answering exactly
    as the handlers did. A handler registered before or after this call is kept (wrapped,
    not replaced). Called again, it adds nothing twice: options given to a later call
    (before the first request) replace the middleware's options, also those of an
    ``AutoCaptureMiddleware`` the user added; a later call without options changes
    nothing. Once the app serves requests its middleware cannot change, so other
    options raise ``RuntimeError`` (the same options are a no-op).

    Args:
        app: A ``starlette.applications.Starlette`` (``fastapi.FastAPI``) application
            that has not served a request yet.
        **options: Options of ``AutoCaptureMiddleware`` (``endpoint_rules``,
            ``user_resolver``, ``hash_key``, ``slow_request_ms``, ``sink``...).

    Returns:
        ``app`` itself.

    Raises:
        ImportError: Starlette is not installed (``pip install 'autocapture[fastapi]'``).
        TypeError: ``app`` is not a Starlette application, or an option is invalid.
        RuntimeError: ``app`` already started (its middleware stack is built) and was
            not instrumented, or was and other options are given.
    """
    applications = _import_starlette()
    if not isinstance(app, applications.Starlette):
        raise TypeError(
            f"instrument() takes a FastAPI or Starlette application, got "
            f"{type(app).__name__}; wrap other ASGI apps with AutoCaptureMiddleware(app)"
            f"{_wsgi_hint(app)}"
        )
    if options:
        # Validate now, so that a bad option fails here rather than on the first request.
        AutoCaptureMiddleware(_no_app, **options)
    ours = next((m for m in app.user_middleware if _is_ours(m)), None)
    if app.middleware_stack is not None:
        # Started: the middleware instance exists and cannot take other options.
        current = getattr(ours, "kwargs", None)
        if options and current != options:
            changed = sorted(set(options) ^ set(current or {}) | _differing(options, current))
            raise RuntimeError(
                f"instrument(app) was called again with other options ({', '.join(changed)}) "
                "but the application already serves requests, so its middleware cannot "
                "change: give every option to the first instrument() call"
            )
        if getattr(app, _INSTRUMENTED, False):
            return app
        raise RuntimeError(
            "instrument(app) must be called before the application serves its first "
            "request (Starlette builds its middleware stack then)"
        )
    if ours is None:
        app.add_middleware(AutoCaptureMiddleware, **options)
    elif options:
        # Called again (or after add_middleware) with options: they apply, replacing the
        # ones given before, rather than being ignored.
        index = app.user_middleware.index(ours)
        app.user_middleware[index] = type(ours)(AutoCaptureMiddleware, **options)
    if not getattr(app, _INSTRUMENTED, False):
        _capture_in_handlers(app, outermost=True)
    return app


def _wsgi_hint(app: object) -> str:
    if app_kind(app) != "wsgi":
        return ""
    return (
        f"; {type(app).__name__} is a WSGI app: use autocapture.wsgi.instrument(app) "
        "(Flask) or autocapture.wsgi.AutoCaptureMiddleware(app)"
    )


def _differing(options: dict[str, Any], current: object) -> set[str]:
    if not isinstance(current, dict):
        return set(options)
    return {k for k in options if k in current and current[k] != options[k]}


def _capture_in_handlers(app: Starlette, *, outermost: bool) -> None:
    """Wrap ``app``'s exception handlers, and those of the apps mounted in it, when built.

    Args:
        app: The application.
        outermost: Also keep our middleware outermost (the instrumented app itself;
            mounted apps run inside that middleware and need only their handlers).
    """
    build = app.build_middleware_stack

    @functools.wraps(build)
    def build_middleware_stack() -> Any:
        if outermost:
            _outermost(app)
        _wrap_handlers(app)
        stack = build()
        _wrap_built_handlers(stack)
        # A mounted Starlette/FastAPI app has its own ExceptionMiddleware, which turns
        # its HTTPException(500) into a response before our middleware sees anything.
        # Looked up here, at the first request, so that apps mounted after instrument()
        # are covered too; each builds its own stack at its own first request.
        for mounted in _mounted_apps(app):
            _capture_in_handlers(mounted, outermost=False)
        return stack

    app.build_middleware_stack = build_middleware_stack  # type: ignore[method-assign,unused-ignore]
    setattr(app, _INSTRUMENTED, True)


def _mounted_apps(app: Starlette) -> list[Starlette]:
    """Starlette apps mounted in ``app`` (``Mount``, ``Host``, plain routers, any depth)."""
    from starlette.applications import Starlette
    from starlette.routing import Host, Mount

    found: list[Starlette] = []
    for _, route in walk_routes(app):
        if not isinstance(route, (Mount, Host)):
            continue
        # Mount(..., middleware=[...]) puts the middleware in front of the app.
        node = _down_to(route.app, Starlette)
        # Instrumented on its own, an app wraps its handlers itself (the once rule keeps
        # one event); already built means it served requests: leave both alone.
        if (
            isinstance(node, Starlette)
            and node not in found
            and not getattr(node, _INSTRUMENTED, False)
            and node.middleware_stack is None
        ):
            found.append(node)
    return found


async def _no_app(scope: Any, receive: Any, send: Any) -> None:
    """Stand in for an app while options are validated."""


def _outermost(app: Starlette) -> None:
    # Middlewares added after instrument() would otherwise wrap ours and escape it.
    for index, middleware in enumerate(app.user_middleware):
        if _is_ours(middleware):
            if index:
                app.user_middleware.insert(0, app.user_middleware.pop(index))
            return


def _is_ours(middleware: object) -> bool:
    cls: object = getattr(middleware, "cls", None)
    return cls is AutoCaptureMiddleware


def _wrap_handlers(app: Starlette) -> None:
    from starlette.exceptions import HTTPException

    handlers = app.exception_handlers
    if not any(isinstance(k, type) and issubclass(k, HTTPException) for k in handlers):
        handlers[HTTPException] = _starlette_default_handler()
    for key, handler in list(handlers.items()):
        if getattr(handler, _WRAPPED, False) or key in (_SERVER_ERROR, Exception):
            # 500 and Exception go to ServerErrorMiddleware: the error reaches the
            # middleware first, propagating.
            continue
        if isinstance(key, int):
            if key > _SERVER_ERROR:
                handlers[key] = _capturing(handler, before=True)
        elif isinstance(key, type) and issubclass(key, HTTPException):
            handlers[key] = _capturing(handler, before=True)
        else:
            handlers[key] = _capturing(handler, before=False)


def _wrap_built_handlers(stack: object) -> None:
    # Integrations that patch ExceptionMiddleware (sentry-sdk's Starlette integration)
    # wrap its handlers when it is built, around ours: capture first in the built
    # instance too, so that the event that reaches Sentry is ours, with the request's
    # tags and user (theirs is then dropped as a duplicate by the once-only rule).
    from starlette.exceptions import HTTPException
    from starlette.middleware.exceptions import ExceptionMiddleware

    node = _down_to(stack, ExceptionMiddleware)
    if node is None:
        return
    handlers = getattr(node, "_exception_handlers", None)
    statuses = getattr(node, "_status_handlers", None)
    if isinstance(handlers, dict):
        for key, handler in list(handlers.items()):
            if isinstance(key, type) and not getattr(handler, _WRAPPED, False):
                before = issubclass(key, HTTPException)
                handlers[key] = _capturing(handler, before=before)
    if isinstance(statuses, dict):
        for key, handler in list(statuses.items()):
            if (
                isinstance(key, int)
                and key > _SERVER_ERROR
                and not getattr(handler, _WRAPPED, False)
            ):
                statuses[key] = _capturing(handler, before=True)


def _starlette_default_handler() -> Handler:
    from starlette.middleware.exceptions import ExceptionMiddleware

    # The framework's own default, bound to a throwaway instance: same status, body and
    # headers as without autocapture, for the installed Starlette version.
    return ExceptionMiddleware(_no_app).http_exception


def _capturing(handler: Handler, *, before: bool) -> Handler:
    """Wrap an exception handler so that it captures 5xx errors, then answers as before.

    Args:
        handler: The user's or the framework's handler (sync or async).
        before: True for HTTPException handlers (capture when the exception's status is
            >= 500, before answering); False for others (capture when the response the
            handler returns has a status >= 500).
    """
    from starlette._utils import is_async_callable
    from starlette.concurrency import run_in_threadpool

    is_async = is_async_callable(handler)

    async def autocapture_exception_handler(request: Request, exc: Exception) -> Any:
        is_http = request.scope.get("type") == "http"
        if before and is_http and _status(exc) >= _SERVER_ERROR:
            capture_request_error(exc, context_for(request.scope), handled=True)
        if is_async:
            response = await handler(request, exc)
        else:
            response = await run_in_threadpool(handler, request, exc)
        if not before and is_http and _status(response) >= _SERVER_ERROR:
            capture_request_error(exc, context_for(request.scope), handled=True)
        return response

    setattr(autocapture_exception_handler, _WRAPPED, True)
    autocapture_exception_handler.__wrapped__ = handler  # type: ignore[attr-defined]
    return autocapture_exception_handler


def _status(obj: object) -> int:
    status = getattr(obj, "status_code", None)
    return status if isinstance(status, int) and not isinstance(status, bool) else 0
