"""The pure ASGI middleware: bind the request's context, capture what propagates out.

The success path is: one ``RequestContext`` object set in a context variable (and in the
scope, for the exception handlers ``instrument`` registers), the app call, a clock read on
each side. Describing the request, the user, the tags and the category happens only when
an error is captured. The middleware never sends anything itself: an error is captured
and re-raised as is, so the server or the framework answers exactly as without it (and an
error after the response started cannot lead to a second response).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Iterable, MutableMapping
from time import perf_counter
from typing import TYPE_CHECKING, Any, Callable

import sentry_sdk

from autocapture._asgi._request import AsgiRequestContext, route_path, route_template
from autocapture._context import _bound
from autocapture._log import report_failure
from autocapture._web._kind import wrong_door
from autocapture._web._options import DEFAULT_OPTIONS, UserResolver, make_options
from autocapture._web._request import capture_request_error
from autocapture._web._rules import (
    DEFAULT_ENDPOINT_RULES,
    DEFAULT_ERROR_CATEGORIES,
    REVENUE_CRITICAL_TYPES,
    EndpointRule,
    ErrorCategory,
)

if TYPE_CHECKING:
    from autocapture._sinks import Sink

__all__ = ["SCOPE_KEY", "AutoCaptureMiddleware", "capture_request_error", "context_for"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SCOPE_KEY = "autocapture.request"
"""Where the middleware leaves the request's ``RequestContext`` in the scope."""

logger = logging.getLogger("autocapture.asgi")
# Bound methods looked up once: the success path is a handful of calls, each counts.
_get_bound = _bound.get
_set_bound = _bound.set
_reset_bound = _bound.reset
_SLOW_CATEGORY = "autocapture.slow_request"


class AutoCaptureMiddleware:
    r"""Capture a request's errors once, with the request, the user and tags (pure ASGI).

    Captures what propagates out of the app: unhandled exceptions of routes and
    middlewares inside it, errors of the response's background tasks (they run inside the
    app call, after the response is sent) and errors of a streaming response after it
    started. ``HTTPException``\\s of status 500 or more are turned into responses by the
    framework before they reach any middleware: ``autocapture.asgi.instrument(app)``
    registers the exception handlers that capture those. Websocket and lifespan scopes
    pass through untouched; 4xx HTTP errors are never captured.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        endpoint_rules: Iterable[EndpointRule] = DEFAULT_ENDPOINT_RULES,
        error_categories: Iterable[ErrorCategory] = DEFAULT_ERROR_CATEGORIES,
        revenue_critical: Iterable[str] = REVENUE_CRITICAL_TYPES,
        user_resolver: UserResolver | None = None,
        hash_key: str | bytes | None = None,
        slow_request_ms: float = 5000,
        sink: Sink | None = None,
        request_id_header: str = "X-Request-ID",
    ) -> None:
        """Wrap ``app``.

        Args:
            app: The ASGI application.
            endpoint_rules: Path rules giving the ``endpoint_type`` tag, first match wins
                (default ``DEFAULT_ENDPOINT_RULES``; extend with
                ``(*mine, *DEFAULT_ENDPOINT_RULES)``).
            error_categories: Rules giving the ``error_category`` tag, first match wins.
            revenue_critical: Endpoint types tagged ``is_revenue_critical="true"``.
            user_resolver: ``resolver(scope) -> mapping`` of user fields (``user_id``,
                ``email``, ``api_key_id``...), called only when an error is captured;
                ``scope["state"]`` (``request.state``) is read in any case.
            hash_key: A secret for ``api_key_hash`` (HMAC-SHA256); without it the hash is
                a truncated SHA-256 of the credential.
            slow_request_ms: Requests slower than this leave a Sentry breadcrumb.
            sink: A sink for this middleware's events (wins over the configured one).
            request_id_header: The header whose value becomes ``request_id``.

        Raises:
            TypeError: ``app`` is a WSGI app (the message names
                ``autocapture.wsgi.AutoCaptureMiddleware``), or an option has the wrong
                type; the message names it.
            ValueError: An option has a value that is not allowed.
        """
        wrong = wrong_door(app, "asgi")
        if wrong is not None:
            raise TypeError(wrong)
        self.app = app
        self.options = make_options(
            endpoint_rules=endpoint_rules,
            error_categories=error_categories,
            revenue_critical=revenue_critical,
            user_resolver=user_resolver,
            hash_key=hash_key,
            slow_request_ms=slow_request_ms,
            sink=sink,
            request_id_header=request_id_header,
        )
        self._slow_seconds = self.options.slow_request_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app for one connection, capturing the errors of HTTP requests."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        context = AsgiRequestContext(scope, self.options, _get_bound(), scope.get("app", self.app))
        scope[SCOPE_KEY] = context
        # bind_context without the context manager's cost: the object describes the
        # request only if an event is built while it is bound.
        token = _set_bound(context)
        start = perf_counter()
        try:
            await self.app(scope, receive, send)
        except Exception as exc:
            elapsed = perf_counter() - start
            if elapsed > self._slow_seconds:
                # Before the capture, so that the error's own event shows it.
                slow_request(context, elapsed)
            capture_request_error(exc, context, handled=False)
            raise
        finally:
            _reset_bound(token)
        elapsed = perf_counter() - start
        if elapsed > self._slow_seconds:
            slow_request(context, elapsed)


def context_for(scope: Scope) -> AsgiRequestContext:
    """Return the request's ``RequestContext``: the middleware's, or a new default one."""
    context = scope.get(SCOPE_KEY)
    if isinstance(context, AsgiRequestContext):
        return context
    return AsgiRequestContext(scope, DEFAULT_OPTIONS, _bound.get())


def slow_request(context: AsgiRequestContext, seconds: float) -> None:
    """Leave a Sentry breadcrumb and a debug log for a request that took ``seconds``."""
    try:
        scope = context.scope
        method = str(scope.get("method") or "")
        path = route_template(scope, context.root_app) or route_path(scope)
        duration_ms = round(seconds * 1000, 1)
        sentry_sdk.add_breadcrumb(
            category=_SLOW_CATEGORY,
            type="default",
            level="warning",
            message=f"Slow request: {method} {path} took {duration_ms} ms",
            data={"method": method, "path": path, "duration_ms": duration_ms},
        )
        logger.debug("slow request: %s %s took %.1f ms", method, path, duration_ms)
    except Exception as exc:
        report_failure("recording a slow request", exc)
