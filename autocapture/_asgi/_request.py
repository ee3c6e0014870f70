"""What an event says about the request: the options, the request, the user, the tags.

Everything here runs only when something failed. The success path pays for one object
(``RequestContext``) bound as the request's context; it describes the request lazily, the
first time an event is built, so a decorated service failing inside the request gets the
request's context without the middleware extracting anything up front.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from collections.abc import Iterator, Mapping, MutableMapping
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import unquote_plus

from autocapture._asgi._rules import (
    DEFAULT_ENDPOINT_RULES,
    DEFAULT_ERROR_CATEGORIES,
    REVENUE_CRITICAL_TYPES,
    EndpointRule,
    ErrorCategory,
    endpoint_type,
    error_category,
)
from autocapture._config import get_config
from autocapture._log import report_failure
from autocapture._scrub import REDACTED

if TYPE_CHECKING:
    from autocapture._scrub import Scrubber
    from autocapture._sinks import Sink

__all__ = ["Options", "RequestContext", "api_key_hash", "describe_request", "walk_routes"]

Scope = MutableMapping[str, Any]
UserResolver = Callable[[Scope], "Mapping[str, Any] | None"]

# Headers that carry a credential whatever the scrubber's word rules say: the middleware
# itself reads the API key from some of them, so it must never be the one to leak them.
_CREDENTIAL_HEADERS = frozenset(
    (
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "api-key",
        "x-auth-token",
        "x-access-token",
        "x-csrf-token",
        "x-xsrf-token",
    )
)
_CREDENTIAL_PARAMS = frozenset(
    ("api_key", "apikey", "key", "token", "access_token", "refresh_token", "auth", "password")
)
_STATE_USER_FIELDS = ("user_id", "email", "username", "api_key_id")
_UNKEYED_HASH_CHARS = 16
_KEYED_HASH_CHARS = 32


@dataclasses.dataclass(frozen=True)
class Options:
    """The middleware's settings, validated once at construction."""

    endpoint_rules: tuple[EndpointRule, ...] = DEFAULT_ENDPOINT_RULES
    error_categories: tuple[ErrorCategory, ...] = DEFAULT_ERROR_CATEGORIES
    revenue_critical: frozenset[str] = REVENUE_CRITICAL_TYPES
    user_resolver: UserResolver | None = None
    hash_key: bytes | None = None
    slow_request_seconds: float = 5.0
    sink: Sink | None = None
    request_id_header: bytes = b"x-request-id"


DEFAULT_OPTIONS = Options()


def api_key_hash(credential: str, hash_key: bytes | None) -> str:
    """Return a stable fingerprint of ``credential`` that does not reveal it.

    Args:
        credential: The API key or token.
        hash_key: A secret key: HMAC-SHA256 (32 hex characters) when given, else a
            truncated SHA-256 (16 hex characters).

    Returns:
        Lowercase hex.
    """
    data = credential.encode("utf-8", "surrogateescape")
    if hash_key is not None:
        return hmac.new(hash_key, data, hashlib.sha256).hexdigest()[:_KEYED_HASH_CHARS]
    return hashlib.sha256(data).hexdigest()[:_UNKEYED_HASH_CHARS]


def _headers(scope: Scope) -> list[tuple[str, str]]:
    return [
        (bytes(name).decode("latin-1").lower(), bytes(value).decode("latin-1"))
        for name, value in scope.get("headers") or ()
    ]


def _credential(headers: list[tuple[str, str]]) -> str | None:
    found: dict[str, str] = {}
    for name, value in headers:
        if name in ("x-api-key", "api-key", "authorization") and value.strip():
            found.setdefault(name, value.strip())
    for name in ("x-api-key", "api-key"):
        if name in found:
            return found[name]
    authorization = found.get("authorization")
    if authorization is None:
        return None
    scheme, _, credential = authorization.partition(" ")
    return credential.strip() or scheme


def _scrub_header(scrubber: Scrubber, name: str, value: str) -> str:
    if name in _CREDENTIAL_HEADERS or scrubber.is_sensitive_key(name):
        return REDACTED
    return scrubber.scrub_text(value)


def _scrub_query(scrubber: Scrubber, query: str) -> str:
    parts = []
    for piece in query.split("&"):
        if not piece:
            continue
        raw_key, sep, raw_value = piece.partition("=")
        key = unquote_plus(raw_key)
        if key.lower() in _CREDENTIAL_PARAMS or scrubber.is_sensitive_key(key):
            parts.append(f"{raw_key}={REDACTED}")
            continue
        value = unquote_plus(raw_value)
        scrubbed = scrubber.scrub_text(value)
        parts.append(f"{raw_key}{sep}{raw_value if scrubbed == value else scrubbed}")
    return "&".join(parts)


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
    user: dict[str, Any] = {}
    state = scope.get("state")
    if isinstance(state, Mapping):
        for field in _STATE_USER_FIELDS:
            value = state.get(field)
            if value is not None:
                user[field] = value
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
        user.update(_resolved_user(scope, options.user_resolver))
    return user


def _resolved_user(scope: Scope, resolver: UserResolver) -> dict[str, Any]:
    try:
        resolved: object = resolver(scope)
    except Exception as exc:
        report_failure("the user_resolver", exc)
        return {}
    if isinstance(resolved, Mapping):
        return {str(k): v for k, v in resolved.items() if v is not None}
    if resolved is not None:
        kind = type(resolved).__name__
        report_failure(
            "the user_resolver", TypeError(f"user_resolver must return a mapping, not {kind}")
        )
    return {}


def describe_request(scope: Scope, options: Options, root_app: object = None) -> dict[str, Any]:
    """Describe the request for an event: context fields, with a Sentry ``request`` dict.

    Secrets are redacted here already (headers, query, the cookie header); the core scrubs
    the whole context again with the same scrubber.

    Args:
        scope: The ASGI HTTP scope.
        options: The middleware's settings.
        root_app: The application the request entered, if known (names mounts).

    Returns:
        ``request_id``, ``method``, ``path``, ``route``, ``endpoint``, ``endpoint_type``,
        the user fields found, ``api_key_hash`` and ``request`` (Sentry's request
        interface: ``method``, ``url``, ``query_string``, ``headers``).
    """
    headers = _headers(scope)
    method = str(scope.get("method") or "")
    template = route_template(scope, root_app)
    path = route_path(scope)
    wanted_id = options.request_id_header.decode("latin-1")
    request_id = next((v for n, v in headers if n == wanted_id), None)
    described: dict[str, Any] = {}
    if request_id:
        described["request_id"] = request_id
    described["method"] = method
    described["path"] = path
    if template is not None:
        described["route"] = template
    endpoint = endpoint_name(scope)
    if endpoint is not None:
        described["endpoint"] = endpoint
    described["endpoint_type"] = endpoint_type(template or path, options.endpoint_rules)
    described.update(_user(scope, options))
    credential = _credential(headers)
    if credential is not None:
        described["api_key_hash"] = api_key_hash(credential, options.hash_key)
    described["request"] = sentry_request(scope, headers)
    return described


def sentry_request(scope: Scope, headers: list[tuple[str, str]]) -> dict[str, Any]:
    """Build Sentry's request interface for the request, secrets redacted.

    Args:
        scope: The ASGI HTTP scope.
        headers: Its headers, names in lowercase.

    Returns:
        ``method``, ``url`` (without the query), ``query_string`` and ``headers``; the
        ``Cookie`` header is redacted whole.
    """
    scrubber = get_config().scrubber
    scrubbed: dict[str, str] = {}
    for name, value in headers:
        clean = _scrub_header(scrubber, name, value)
        previous = scrubbed.get(name)
        scrubbed[name] = clean if previous is None else f"{previous}, {clean}"
    host = scrubbed.get("host")
    server = scope.get("server")
    if host is None and server:
        host = str(server[0]) if server[1] is None else f"{server[0]}:{server[1]}"
    scheme = str(scope.get("scheme") or "http")
    # ASGI's ``path`` holds the root path too: it is what the client asked for.
    full_path = str(scope.get("path") or "")
    query = bytes(scope.get("query_string") or b"").decode("latin-1")
    request: dict[str, Any] = {
        "method": str(scope.get("method") or ""),
        "url": f"{scheme}://{host or 'unknown'}{full_path}",
        "query_string": _scrub_query(scrubber, query),
        "headers": scrubbed,
    }
    return request


def request_tags(
    exc: BaseException,
    described: Mapping[str, Any],
    options: Options,
    context_type: str | None = None,
) -> dict[str, str]:
    """Return the tags of a request's error event.

    Args:
        exc: The error.
        described: What ``describe_request`` returned for the request.
        options: The middleware's settings.
        context_type: The context type of the code that reported the error, when known
            (it decides ``error_category``).

    Returns:
        ``endpoint``, ``method``, ``endpoint_type``, ``has_user``, ``exception_type``,
        ``error_category`` and ``is_revenue_critical``, booleans as ``"true"``/``"false"``.
    """
    kind = str(described.get("endpoint_type") or "other")
    cls = type(exc)
    exception_type = cls.__qualname__
    if cls.__module__ != "builtins":
        exception_type = f"{cls.__module__}.{exception_type}"
    has_user = any(described.get(f) is not None for f in _STATE_USER_FIELDS)
    return {
        "endpoint": str(described.get("route") or described.get("path") or ""),
        "method": str(described.get("method") or ""),
        "endpoint_type": kind,
        "has_user": "true" if has_user else "false",
        "exception_type": exception_type,
        "error_category": error_category(exc, options.error_categories, context_type),
        "is_revenue_critical": "true" if kind in options.revenue_critical else "false",
    }


class RequestContext(Mapping[str, Any]):
    """The request's bound context: the outer context plus the request, described lazily.

    Bound for the duration of the request, it is read only when an event is built (by the
    capture core's merge of the bound context), so the success path describes nothing.
    The description is computed once and kept; ``refresh()`` recomputes it (the router
    and authentication fill the scope in as the request goes).
    """

    __slots__ = ("_described", "_options", "_parent", "root_app", "scope")

    def __init__(
        self,
        scope: Scope,
        options: Options,
        parent: Mapping[str, Any],
        root_app: object = None,
    ) -> None:
        """Remember what is needed to describe the request later."""
        self.scope = scope
        self._options = options
        self._parent = parent
        # Mounted apps replace scope["app"] on the way down; the routes are found from here.
        self.root_app = root_app

    @property
    def options(self) -> Options:
        """The settings of the middleware that bound this context."""
        return self._options

    def refresh(self) -> dict[str, Any]:
        """Describe the request now (never raises) and return the merged context."""
        merged = dict(self._parent)
        try:
            merged.update(describe_request(self.scope, self._options, self.root_app))
        except Exception as exc:
            report_failure("describing the request", exc)
        self._described = merged
        return merged

    def event_tags(self, exc: BaseException, context_type: str | None = None) -> dict[str, str]:
        """The request's tags for an event of ``exc`` built inside it (never raises).

        Args:
            exc: The error.
            context_type: The context type of the code reporting it, when known.
        """
        try:
            return request_tags(exc, self._values(), self._options, context_type)
        except Exception as err:
            report_failure("tagging an error with its request", err)
            return {}

    def _values(self) -> dict[str, Any]:
        try:
            return self._described
        except AttributeError:  # never described yet: the slot is left unset until then
            return self.refresh()

    def __getitem__(self, key: str) -> Any:
        """Return one context field."""
        return self._values()[key]

    def __iter__(self) -> Iterator[str]:
        """Iterate over the field names."""
        return iter(self._values())

    def __len__(self) -> int:
        """Return the number of fields."""
        return len(self._values())

    def __repr__(self) -> str:
        """Say what it is without describing the request."""
        return f"<autocapture RequestContext {self.scope.get('method')} {self.scope.get('path')}>"
