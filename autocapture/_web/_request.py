"""What an event says about a request, whatever the framework: the request, the user, tags.

Everything here runs only when something failed. The success path pays for one object
(a ``RequestContext``) bound as the request's context; it describes the request lazily,
the first time an event is built, so a decorated service failing inside the request gets
the request's context without the middleware extracting anything up front. The ASGI,
WSGI and Django integrations give ``describe`` the request's parts (headers as lowercase
names, the query string, the route template...) and share everything else: scrubbing,
the ``api_key_hash``, the user, the tags and the capture.
"""

from __future__ import annotations

import abc
import hashlib
import hmac
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from autocapture._answers import is_http_answer
from autocapture._capture import emit_error
from autocapture._config import get_config
from autocapture._log import report_failure
from autocapture._scrub import REDACTED
from autocapture._web._options import Options, UserResolver
from autocapture._web._rules import endpoint_type, error_category

if TYPE_CHECKING:
    from autocapture._scrub import Scrubber

__all__ = [
    "STATE_USER_FIELDS",
    "RequestContext",
    "api_key_hash",
    "capture_request_error",
    "credential",
    "describe",
    "request_tags",
    "resolved_user",
    "state_user",
]

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
STATE_USER_FIELDS = ("user_id", "email", "username", "api_key_id")
_UNKEYED_HASH_CHARS = 16
_KEYED_HASH_CHARS = 32


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


def credential(headers: list[tuple[str, str]]) -> str | None:
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


def scrub_header(scrubber: Scrubber, name: str, value: str) -> str:
    if name in _CREDENTIAL_HEADERS or scrubber.is_sensitive_key(name):
        return REDACTED
    return scrubber.scrub_text(value)


def scrub_query(scrubber: Scrubber, query: str) -> str:
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


def resolved_user(request: object, resolver: UserResolver) -> dict[str, Any]:
    try:
        resolved: object = resolver(request)
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


def state_user(state: object) -> dict[str, Any]:
    """Return the user fields (``user_id``, ``email``...) found in a mapping of state."""
    user: dict[str, Any] = {}
    if isinstance(state, Mapping):
        for field in STATE_USER_FIELDS:
            value = state.get(field)
            if value is not None:
                user[field] = value
    return user


def describe(
    *,
    options: Options,
    method: str,
    path: str,
    template: str | None,
    endpoint: str | None,
    headers: list[tuple[str, str]],
    user: Mapping[str, Any],
    url: str,
    query: str,
) -> dict[str, Any]:
    """Describe a request for an event: context fields, with a Sentry ``request`` dict.

    Secrets are redacted here already (headers, query, the cookie header); the core scrubs
    the whole context again with the same scrubber.

    Args:
        options: The middleware's settings.
        method: The HTTP method.
        path: The path the app matches on (without the mount point / script name).
        template: The route template the router resolved, if any.
        endpoint: The qualified name of the view, if known.
        headers: The request headers, names in lowercase.
        user: The user fields found.
        url: The URL the client asked for, without the query.
        query: The raw query string.

    Returns:
        ``request_id``, ``method``, ``path``, ``route``, ``endpoint``, ``endpoint_type``,
        the user fields found, ``api_key_hash`` and ``request`` (Sentry's request
        interface: ``method``, ``url``, ``query_string``, ``headers``).
    """
    wanted_id = options.request_id_header.decode("latin-1")
    request_id = next((v for n, v in headers if n == wanted_id), None)
    described: dict[str, Any] = {}
    if request_id:
        described["request_id"] = request_id
    described["method"] = method
    described["path"] = path
    if template is not None:
        described["route"] = template
    if endpoint is not None:
        described["endpoint"] = endpoint
    described["endpoint_type"] = endpoint_type(template or path, options.endpoint_rules)
    described.update(user)
    found = credential(headers)
    if found is not None:
        described["api_key_hash"] = api_key_hash(found, options.hash_key)
    scrubber = get_config().scrubber
    scrubbed: dict[str, str] = {}
    for name, value in headers:
        clean = scrub_header(scrubber, name, value)
        previous = scrubbed.get(name)
        scrubbed[name] = clean if previous is None else f"{previous}, {clean}"
    described["request"] = {
        "method": method,
        "url": url,
        "query_string": scrub_query(scrubber, query),
        "headers": scrubbed,
    }
    return described


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
    has_user = any(described.get(f) is not None for f in STATE_USER_FIELDS)
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

    Framework-neutral: each integration subclasses it with ``describe()`` (the request's
    fields, from an ASGI scope, a WSGI environ or a Django request) and ``where()`` (the
    function and module an event names).

    Bound for the duration of the request, it is read only when an event is built (by the
    capture core's merge of the bound context), so the success path describes nothing.
    The description is computed once and kept; ``refresh()`` recomputes it (the router
    and authentication fill the scope in as the request goes).
    """

    __slots__ = ("_described", "_options", "_parent")

    def __init__(self, options: Options, parent: Mapping[str, Any]) -> None:
        """Remember what is needed to describe the request later."""
        self._options = options
        self._parent = parent

    @abc.abstractmethod
    def describe(self) -> dict[str, Any]:
        """Describe the request (``describe`` below, from the framework's request)."""

    @abc.abstractmethod
    def where(self, described: Mapping[str, Any]) -> tuple[str, str]:
        """Return the function and module an event of this request names."""

    @property
    def options(self) -> Options:
        """The settings of the middleware that bound this context."""
        return self._options

    def refresh(self) -> dict[str, Any]:
        """Describe the request now (never raises) and return the merged context."""
        merged = dict(self._parent)
        try:
            merged.update(self.describe())
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


def capture_request_error(
    exc: BaseException, context: RequestContext, *, handled: bool
) -> str | None:
    """Capture ``exc`` as an error of the request (once; HTTP answers below 500 are skipped).

    Never raises.

    Args:
        exc: The error.
        context: The request's context.
        handled: False when the error goes on propagating.

    Returns:
        The event id (the first one's if ``exc`` was already reported), or ``None``.
    """
    if not isinstance(exc, Exception) or is_http_answer(exc):
        return None
    try:
        described = context.refresh()
        tags = request_tags(exc, described, context.options)
        function, module = context.where(described)
    except Exception as err:
        report_failure("describing a request's error", err)
        return None
    return emit_error(
        exc,
        context_type="general",
        operation=None,
        function=function,
        module=module,
        arguments={},
        context=described,
        tags=tags,
        level="error",
        sink=context.options.sink,
        handled=handled,
    )
