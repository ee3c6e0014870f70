"""What the ASGI, WSGI and Django integrations share, framework-neutral.

``_kind`` (telling ASGI apps from WSGI apps, to point a user at the right door). Nothing
here imports a web framework.
"""
