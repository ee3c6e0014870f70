r"""Web applications: capture every error of an ASGI app once, with the request and the user.

``AutoCaptureMiddleware`` is a pure ASGI middleware for any ASGI app; ``instrument(app)``
is the one-call setup for FastAPI and Starlette (the middleware plus the exception
handlers that see ``HTTPException``\\s of status >= 500, which never reach a middleware).
Endpoint types and error categories are rules as data: ``EndpointRule``,
``ErrorCategory`` and their defaults. Importing this module does not import Starlette.
"""

from __future__ import annotations

from autocapture._asgi._instrument import instrument
from autocapture._asgi._middleware import AutoCaptureMiddleware
from autocapture._web._request import api_key_hash
from autocapture._web._rules import (
    DEFAULT_ENDPOINT_RULES,
    DEFAULT_ERROR_CATEGORIES,
    REVENUE_CRITICAL_TYPES,
    EndpointRule,
    ErrorCategory,
    endpoint_type,
    error_category,
)

__all__ = [
    "AutoCaptureMiddleware",
    "DEFAULT_ENDPOINT_RULES",
    "DEFAULT_ERROR_CATEGORIES",
    "EndpointRule",
    "ErrorCategory",
    "REVENUE_CRITICAL_TYPES",
    "api_key_hash",
    "endpoint_type",
    "error_category",
    "instrument",
]
