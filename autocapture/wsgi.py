"""WSGI applications (Flask included): capture every error once, with the request and user.

``AutoCaptureMiddleware(app)`` wraps any WSGI app: errors that propagate, errors while
the response is iterated and errors of its ``close()``. ``instrument(flask_app)`` is the
one-call setup for Flask (which answers its own errors before a middleware sees them).
Events carry the same request data, user, ``api_key_hash`` and tags as
``autocapture.asgi``'s, from the same rules. For Django use
``"autocapture.django.AutoCaptureMiddleware"`` in ``MIDDLEWARE``. Importing this module
does not import Flask.
"""

from __future__ import annotations

from autocapture._web._flask import instrument
from autocapture._web._wsgi import AutoCaptureMiddleware

__all__ = ["AutoCaptureMiddleware", "instrument"]
