"""What an ASGI scope says about its request: headers, route template, endpoint, user.

The framework-neutral rest (scrubbing, ``api_key_hash``, tags, the lazily described
bound context) is in ``autocapture._web._request``, shared with the WSGI and Django
integrations. Everything here runs only when something failed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

from autocapture._web._options import Options
from autocapture._web._request import (
    RequestContext,
    describe,
    resolved_user,
    state_user,
)

__all__ = [
    "AsgiRequestContext",
    "describe_request",
    "endpoint_name",
    "route_path",
    "route_template",
    "walk_routes",
]

Scope = MutableMapping[str, Any]


def _headers(scope: Scope) -> list[tuple[str, str]]:
    return [
        (bytes(name).decode("latin-1").lower(), bytes(value).decode("latin-1"))
        for name, value in scope.get("headers") or ()
    ]


def route_template(scope: Scope, root_app: object = None) -> str | None:
    """Return the path template of the route the router resolved, if any.

    Args:
        scope: The ASGI HTTP scope.
        root_app: The application the request entered (to name the mounts in between by
            their templates); without it, a mount is named by the path it matched.

    Returns:
        The template from the application's root, mounts included (``/v2/items/{id}``).
    """
    route = scope.get("route")
    path = getattr(route, "path", None)
    # Each mount appends what it matched to root_path; Starlette keeps the server's own
    # root path in app_root_path. The difference is where the mounts put the route.
    root = str(scope.get("root_path") or "")
    app_root = _app_root(scope)
    matched = root[len(app_root) :] if root.startswith(app_root) else ""
    if isinstance(path, str) and not matched:
        return path
    # Mounted, or a Starlette older than 0.50 (no scope["route"] for its own routes):
    # find the route in the routing tree, by identity or by the endpoint it resolved.
    found = _find_route(root_app, route, scope.get("endpoint"), matched)
    if found is None and root_app is None:
        # Only the innermost app is known: the mounts are named by what they matched.
        found = _find_route(scope.get("app"), route, scope.get("endpoint"), "", matched)
    if found is not None:
        prefix, template = found
        return prefix.rstrip("/") + template
    return matched.rstrip("/") + path if isinstance(path, str) else None


def _app_root(scope: Scope) -> str:
    return str(scope.get("app_root_path", scope.get("root_path")) or "")


def walk_routes(app: object, prefix: str = "") -> Iterator[tuple[str, object]]:
    """Yield every route under ``app``, at any depth, with the mounts' templates above it."""
    from starlette.routing import Host, Mount

    pending: list[tuple[object, str]] = [(app, prefix)]
    seen: set[int] = set()
    while pending:
        node, above = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for child in getattr(node, "routes", None) or ():
            yield above, child
            if isinstance(child, Mount):
                pending.append((child, above + child.path))
            elif isinstance(child, Host):  # matches on the host name, adds no path
                pending.append((child, above))


def _find_route(
    app: object, route: object, endpoint: object, matched: str, start: str = ""
) -> tuple[str, str] | None:
    """Find ``route`` (or the route of ``endpoint``) under ``app``: (mounts' prefix, path)."""
    if app is None or (route is None and endpoint is None):
        return None
    for prefix, child in walk_routes(app, start):
        path = getattr(child, "path", None)
        is_it = child is route or (
            route is None and endpoint is not None and getattr(child, "endpoint", None) is endpoint
        )
        # The same routes may be mounted twice: a template without parameters must be
        # what the request matched.
        if (
            is_it
            and isinstance(path, str)
            and ("{" in prefix or prefix.rstrip("/") == matched.rstrip("/"))
        ):
            return prefix, path
    return None


def route_path(scope: Scope) -> str:
    """Return the request path without the server's ``root_path`` (what the app matches on).

    Mounts extend ``root_path`` as the request goes down; the path stays the one from
    the application's root.
    """
    path = str(scope.get("path") or "")
    root = _app_root(scope)
    if root and path.startswith(root):
        return path[len(root) :] or "/"
    return path


def endpoint_name(scope: Scope) -> str | None:
    """Return the qualified name of the endpoint the router resolved, if any."""
    endpoint = scope.get("endpoint")
    if endpoint is None:
        return None
    target = getattr(endpoint, "__wrapped__", endpoint)
    qualname = getattr(target, "__qualname__", None) or type(target).__qualname__
    module = getattr(target, "__module__", None) or type(target).__module__
    return f"{module}.{qualname}"


def _user(scope: Scope, options: Options) -> dict[str, Any]:
    user = state_user(scope.get("state"))
    # Starlette's AuthenticationMiddleware puts a user object in the scope.
    starlette_user = scope.get("user")
    if starlette_user is not None and getattr(starlette_user, "is_authenticated", False):
        identity = getattr(starlette_user, "id", None) or getattr(starlette_user, "identity", None)
        if identity is not None and not callable(identity):
            user.setdefault("user_id", identity)
        email = getattr(starlette_user, "email", None)
        if isinstance(email, str):
            user.setdefault("email", email)
    if options.user_resolver is not None:
        user.update(resolved_user(scope, options.user_resolver))
    return user


def describe_request(scope: Scope, options: Options, root_app: object = None) -> dict[str, Any]:
    """Describe the request of an ASGI scope for an event (see ``_web._request.describe``).

    Args:
        scope: The ASGI HTTP scope.
        options: The middleware's settings.
        root_app: The application the request entered, if known (names mounts).
    """
    headers = _headers(scope)
    host = next((v for n, v in headers if n == "host"), None)
    server = scope.get("server")
    if host is None and server:
        host = str(server[0]) if server[1] is None else f"{server[0]}:{server[1]}"
    scheme = str(scope.get("scheme") or "http")
    # ASGI's ``path`` holds the root path too: it is what the client asked for.
    full_path = str(scope.get("path") or "")
    return describe(
        options=options,
        method=str(scope.get("method") or ""),
        path=route_path(scope),
        template=route_template(scope, root_app),
        endpoint=endpoint_name(scope),
        headers=headers,
        user=_user(scope, options),
        url=f"{scheme}://{host or 'unknown'}{full_path}",
        query=bytes(scope.get("query_string") or b"").decode("latin-1"),
    )


class AsgiRequestContext(RequestContext):
    """The bound context of a request served through the ASGI middleware."""

    __slots__ = ("root_app", "scope")

    def __init__(
        self,
        scope: Scope,
        options: Options,
        parent: Mapping[str, Any],
        root_app: object = None,
    ) -> None:
        """Remember what is needed to describe the request later."""
        super().__init__(options, parent)
        self.scope = scope
        # Mounted apps replace scope["app"] on the way down; the routes are found from here.
        self.root_app = root_app

    def describe(self) -> dict[str, Any]:
        """Describe the request from its scope."""
        return describe_request(self.scope, self._options, self.root_app)

    def where(self, described: Mapping[str, Any]) -> tuple[str, str]:
        """The endpoint's name and module, else ``asgi METHOD route``."""
        scope = self.scope
        function = described.get("endpoint")
        if not isinstance(function, str):
            route = route_template(scope, self.root_app) or route_path(scope)
            function = f"asgi {scope.get('method')} {route}"
        endpoint = scope.get("endpoint")
        module = getattr(getattr(endpoint, "__wrapped__", endpoint), "__module__", None)
        return function, module if isinstance(module, str) else "autocapture.asgi"

    def __repr__(self) -> str:
        """Say what it is without describing the request."""
        return f"<autocapture RequestContext {self.scope.get('method')} {self.scope.get('path')}>"
