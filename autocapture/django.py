"""Django: ``MIDDLEWARE = ["autocapture.django.AutoCaptureMiddleware", ...]``.

Captures the views' errors once (``process_exception``; ``Http404``, ``PermissionDenied``
and the other answers excepted), with the request, the user, the route from the
resolver match and the same tags as ``autocapture.asgi``. Options go in the
``AUTOCAPTURE`` setting (a dict: ``endpoint_rules``, ``user_resolver``, ``hash_key``,
``sink``...). Importing this module does not import Django.
"""

from __future__ import annotations

from autocapture._web._django import AutoCaptureMiddleware

__all__ = ["AutoCaptureMiddleware"]
