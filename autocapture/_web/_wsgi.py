"""The WSGI middleware: bind the request's context, capture what propagates out.

Like the ASGI middleware: the success path is one ``WsgiRequestContext`` set in a context
variable (and in the environ, for Flask's and Django's hooks), the app call, and a thin
wrapper around the response iterable, so that errors while it is iterated (a streaming
response) and in its ``close()`` are captured too. Describing the request happens only
when an error is captured. Errors are re-raised as they are: the server answers exactly
as without the middleware.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Callable

from autocapture._context import _bound
from autocapture._web._kind import wrong_door
from autocapture._web._options import DEFAULT_OPTIONS, Options, UserResolver, make_options
from autocapture._web._request import (
    RequestContext,
    capture_request_error,
    describe,
    resolved_user,
    state_user,
)
from autocapture._web._rules import (
    DEFAULT_ENDPOINT_RULES,
    DEFAULT_ERROR_CATEGORIES,
    REVENUE_CRITICAL_TYPES,
    EndpointRule,
    ErrorCategory,
)

if TYPE_CHECKING:
    from autocapture._sinks import Sink

__all__ = [
    "ENDPOINT_KEY",
    "ENVIRON_KEY",
    "ROUTE_KEY",
    "AutoCaptureMiddleware",
    "WsgiRequestContext",
    "context_for",
    "describe_environ",
]

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]
# Sets ROUTE_KEY/ENDPOINT_KEY in the environ and returns the user fields it found.
Enrich = Callable[[Environ], "Mapping[str, Any] | None"]

ENVIRON_KEY = "autocapture.request"
"""Where the middleware leaves the request's ``WsgiRequestContext`` in the environ."""
ROUTE_KEY = "autocapture.route"
"""Where a framework hook leaves the route template (``/users/<int:id>``)."""
ENDPOINT_KEY = "autocapture.endpoint"
"""Where a framework hook leaves the view's qualified name."""
STATE_KEY = "autocapture.state"
"""A mapping of user fields (``user_id``, ``email``...) the app may leave in the environ."""

_get_bound = _bound.get
_set_bound = _bound.set
_reset_bound = _bound.reset
# Headers that WSGI passes without the HTTP_ prefix.
_PLAIN_HEADERS = {"CONTENT_TYPE": "content-type", "CONTENT_LENGTH": "content-length"}


def environ_headers(environ: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The request headers of a WSGI environ, names in lowercase."""
    headers = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers.append((key[5:].replace("_", "-").lower(), str(value)))
        elif key in _PLAIN_HEADERS and value:
            headers.append((_PLAIN_HEADERS[key], str(value)))
    return headers


def describe_environ(
    environ: Mapping[str, Any],
    options: Options,
    *,
    user: Mapping[str, Any] | None = None,
    resolver_arg: object = None,
) -> dict[str, Any]:
    """Describe the request of a WSGI environ for an event (see ``_web._request.describe``).

    Args:
        environ: The WSGI environ.
        options: The middleware's settings.
        user: User fields a framework found (Flask's ``g``, Django's ``request.user``).
        resolver_arg: What ``user_resolver`` is called with (default: the environ).
    """
    headers = environ_headers(environ)
    host = environ.get("HTTP_HOST")
    if not host:
        host = f"{environ.get('SERVER_NAME', 'unknown')}:{environ.get('SERVER_PORT', '')}"
    script = str(environ.get("SCRIPT_NAME") or "")
    path = str(environ.get("PATH_INFO") or "") or "/"
    found = state_user(environ.get(STATE_KEY))
    if user:
        for key, value in user.items():
            found.setdefault(key, value)
    if options.user_resolver is not None:
        target = environ if resolver_arg is None else resolver_arg
        found.update(resolved_user(target, options.user_resolver))
    template = environ.get(ROUTE_KEY)
    endpoint = environ.get(ENDPOINT_KEY)
    return describe(
        options=options,
        method=str(environ.get("REQUEST_METHOD") or ""),
        path=path,
        template=template if isinstance(template, str) else None,
        endpoint=endpoint if isinstance(endpoint, str) else None,
        headers=headers,
        user=found,
        url=f"{environ.get('wsgi.url_scheme', 'http')}://{host}{script}{path}",
        query=str(environ.get("QUERY_STRING") or ""),
    )


class WsgiRequestContext(RequestContext):
    """The bound context of a request served through the WSGI (or Django) middleware."""

    __slots__ = ("enrich", "environ")

    def __init__(
        self,
        environ: Environ,
        options: Options,
        parent: Mapping[str, Any],
        enrich: Enrich | None = None,
    ) -> None:
        """Remember what is needed to describe the request later."""
        # The base's fields set here directly: this runs on every request.
        self._options = options
        self._parent = parent
        self.environ = environ
        # A framework's hook (Flask's URL rule and g, Django's resolver match and user),
        # called only when the request is described.
        self.enrich = enrich

    def describe(self) -> dict[str, Any]:
        """Describe the request from its environ (and the framework's hook)."""
        user: Mapping[str, Any] | None = None
        if self.enrich is not None:
            user = self.enrich(self.environ)
        return describe_environ(self.environ, self._options, user=user)

    def where(self, described: Mapping[str, Any]) -> tuple[str, str]:
        """The view's name and module, else ``wsgi METHOD route``."""
        function = described.get("endpoint")
        if isinstance(function, str):
            module = function.rpartition(".")[0] or "autocapture.wsgi"
            return function, module
        route = described.get("route") or described.get("path")
        return f"wsgi {described.get('method')} {route}", "autocapture.wsgi"

    def __repr__(self) -> str:
        """Say what it is without describing the request."""
        environ = self.environ
        return (
            f"<autocapture RequestContext {environ.get('REQUEST_METHOD')} "
            f"{environ.get('PATH_INFO')}>"
        )


def context_for(environ: Environ) -> WsgiRequestContext:
    """Return the request's context: the middleware's, or a new default one."""
    context = environ.get(ENVIRON_KEY)
    if isinstance(context, WsgiRequestContext):
        return context
    return WsgiRequestContext(environ, DEFAULT_OPTIONS, _bound.get())


class _Response:
    """The app's response iterable, capturing errors of its iteration and ``close()``."""

    __slots__ = ("_context", "_result")

    def __init__(self, result: Iterable[bytes], context: WsgiRequestContext) -> None:
        self._result = result
        self._context = context

    def __iter__(self) -> Iterator[bytes]:
        result = self._result
        if type(result) is list:  # nothing can fail while a list is iterated
            return iter(result)
        return self._iterate(result)

    def _iterate(self, result: Iterable[bytes]) -> Iterator[bytes]:
        try:
            yield from result
        except Exception as exc:
            capture_request_error(exc, self._context, handled=False)
            raise

    def close(self) -> None:
        close = getattr(self._result, "close", None)
        if close is None:
            return
        try:
            close()
        except Exception as exc:
            capture_request_error(exc, self._context, handled=False)
            raise


class AutoCaptureMiddleware:
    """Capture a WSGI request's errors once, with the request, the user and tags.

    Captures what propagates out of the app, errors while the response is iterated (a
    streaming response) and errors of its ``close()``. Flask and Django answer their
    own errors before a WSGI middleware sees them: use ``autocapture.wsgi.instrument``
    for Flask and ``"autocapture.django.AutoCaptureMiddleware"`` in Django's
    ``MIDDLEWARE``. HTTP answers below 500 are never captured.
    """

    def __init__(
        self,
        app: WSGIApp,
        *,
        endpoint_rules: Iterable[EndpointRule] = DEFAULT_ENDPOINT_RULES,
        error_categories: Iterable[ErrorCategory] = DEFAULT_ERROR_CATEGORIES,
        revenue_critical: Iterable[str] = REVENUE_CRITICAL_TYPES,
        user_resolver: UserResolver | None = None,
        hash_key: str | bytes | None = None,
        sink: Sink | None = None,
        request_id_header: str = "X-Request-ID",
    ) -> None:
        """Wrap ``app``; the options are those of ``autocapture.asgi.AutoCaptureMiddleware``.

        ``user_resolver`` is called with the WSGI environ.

        Raises:
            TypeError: ``app`` is an ASGI app (the message names
                ``autocapture.asgi.AutoCaptureMiddleware``), or an option has the wrong
                type.
            ValueError: An option has a value that is not allowed.
        """
        wrong = wrong_door(app, "wsgi")
        if wrong is not None:
            raise TypeError(wrong)
        if not callable(app):
            raise TypeError(f"AutoCaptureMiddleware wraps a WSGI app (a callable), got {app!r}")
        self.app = app
        self.enrich: Enrich | None = None
        self.options = make_options(
            endpoint_rules=endpoint_rules,
            error_categories=error_categories,
            revenue_critical=revenue_critical,
            user_resolver=user_resolver,
            hash_key=hash_key,
            sink=sink,
            request_id_header=request_id_header,
        )

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        """Run the app for one request, capturing its errors."""
        context = WsgiRequestContext(environ, self.options, _get_bound(), self.enrich)
        environ[ENVIRON_KEY] = context
        token = _set_bound(context)
        try:
            result = self.app(environ, start_response)
        except Exception as exc:
            capture_request_error(exc, context, handled=False)
            raise
        finally:
            _reset_bound(token)
        return _Response(result, context)
