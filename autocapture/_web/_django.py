"""``"autocapture.django.AutoCaptureMiddleware"``: capture a Django request's errors.

Django turns a view's exception into a response before any WSGI middleware sees it, so
this is a Django middleware: it binds the request's context around the view (decorated
services called in the request get it) and captures in ``process_exception``, which
Django calls with the view's exception. ``Http404``, ``PermissionDenied``,
``SuspiciousOperation`` and ``BadRequest`` are answers, not captured. The route comes
from the resolver match (``/users/<int:user_id>/``), read only when an error is
described. Options come from the ``AUTOCAPTURE`` setting (a dict of the middleware's
options), read once when Django builds the middleware.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Callable

from autocapture._context import _bound
from autocapture._web._options import Options, make_options
from autocapture._web._request import capture_request_error
from autocapture._web._wsgi import ENDPOINT_KEY, ROUTE_KEY, Environ, WsgiRequestContext

__all__ = ["AutoCaptureMiddleware"]

_CONTEXT_ATTRIBUTE = "_autocapture_context"


class AutoCaptureMiddleware:
    """A Django middleware: bind the request's context, capture the views' errors."""

    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        """Build the middleware (Django does, once); read the ``AUTOCAPTURE`` setting.

        Raises:
            TypeError: ``settings.AUTOCAPTURE`` is not a dict, or an option is invalid.
            ValueError: An option has a value that is not allowed.
        """
        from django.conf import settings

        given: object = getattr(settings, "AUTOCAPTURE", None) or {}
        if not isinstance(given, Mapping):
            raise TypeError(
                f"settings.AUTOCAPTURE must be a dict of AutoCaptureMiddleware options, "
                f"got {type(given).__name__}"
            )
        self.get_response = get_response
        self.options: Options = make_options(**given)

    def __call__(self, request: Any) -> Any:
        """Run the rest of the chain with the request's context bound."""
        context = WsgiRequestContext(request.META, self.options, _bound.get(), _enricher(request))
        setattr(request, _CONTEXT_ATTRIBUTE, context)
        token = _bound.set(context)
        try:
            return self.get_response(request)
        finally:
            _bound.reset(token)

    def process_exception(self, request: Any, exception: Exception) -> None:
        """Capture the view's exception (answers excepted); Django answers as before."""
        context = getattr(request, _CONTEXT_ATTRIBUTE, None)
        if not isinstance(context, WsgiRequestContext):
            context = WsgiRequestContext(
                request.META, self.options, _bound.get(), _enricher(request)
            )
        capture_request_error(exception, context, handled=False)


def _enricher(request: Any) -> Callable[[Environ], Mapping[str, Any] | None]:
    def enrich(environ: Environ) -> Mapping[str, Any] | None:
        match = getattr(request, "resolver_match", None)
        route = getattr(match, "route", None)
        if isinstance(route, str) and route:
            environ[ROUTE_KEY] = "/" + route.lstrip("^").rstrip("$").lstrip("/")
        func = getattr(match, "func", None)
        if func is not None:
            target = getattr(func, "view_class", None) or getattr(func, "__wrapped__", func)
            name = getattr(target, "__qualname__", None)
            if isinstance(name, str):
                environ[ENDPOINT_KEY] = f"{target.__module__}.{name}"
        user = getattr(request, "user", None)
        if user is None or not getattr(user, "is_authenticated", False):
            return None
        found: dict[str, Any] = {"user_id": user.pk}
        email = getattr(user, "email", None)
        if isinstance(email, str) and email:
            found["email"] = email
        return found

    return enrich
