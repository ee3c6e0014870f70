"""The implementation behind ``autocapture.asgi``.

``_rules`` (endpoint types and error categories, as data), ``_request`` (what an event
says about the request, described lazily), ``_middleware`` (the pure ASGI middleware),
``_instrument`` (the one-call FastAPI/Starlette setup). Starlette is imported only by
``_instrument``, and only when ``instrument()`` is called.
"""
