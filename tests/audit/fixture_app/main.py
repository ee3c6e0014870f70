# ruff: noqa: I001
# mypy: ignore-errors
"""Application entry point: Sentry, the app, its middleware."""

import logging

import sentry_sdk
from fastapi import FastAPI
from sentry_sdk.integrations.asgi import SentryAsgiMiddleware
from sentry_sdk.integrations.logging import LoggingIntegration
from sentry_sdk.integrations.starlette import StarletteIntegration

from routes import chat, health

try:
    import uvloop
except ImportError:  # expect: swallowed
    uvloop = None

sentry_sdk.init(
    dsn="https://public@sentry.example.invalid/1",
    environment="production",
    integrations=[
        LoggingIntegration(level=logging.INFO, event_level=logging.ERROR),
        StarletteIntegration(failed_request_status_codes={500, 502, 503}),
    ],
    traces_sample_rate=0.1,
)

app = FastAPI()
app.include_router(chat.router)
app.include_router(health.router)
app.add_middleware(SentryAsgiMiddleware)
