"""Endpoint-type and error-category rules: defaults, custom rules, validation."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pydantic
import pytest
from fastapi import FastAPI

from autocapture import configure
from autocapture.asgi import (
    DEFAULT_ENDPOINT_RULES,
    DEFAULT_ERROR_CATEGORIES,
    EndpointRule,
    ErrorCategory,
    endpoint_type,
    error_category,
    instrument,
)
from autocapture.sinks import MemorySink

from .helpers import get


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/v1/chat/completions", "inference"),
        ("/v1/messages", "inference"),
        ("/v1/images/generations", "inference"),
        ("/v1/completions", "inference"),
        ("/v1/embeddings", "inference"),
        ("/payments/{payment_id}", "payment"),
        ("/checkout", "payment"),
        ("/stripe/events", "payment"),
        ("/billing/invoices", "payment"),
        ("/api/webhooks/stripe", "payment"),
        ("/auth/callback", "auth"),
        ("/login", "auth"),
        ("/logout", "auth"),
        ("/token", "auth"),
        ("/api-keys/{key_id}", "api_keys"),
        ("/keys", "api_keys"),
        ("/admin/users", "admin"),
        ("/users/{user_id}", "users"),
        ("/user", "users"),
        ("/models", "catalog"),
        ("/providers/openai", "catalog"),
        ("/catalog", "catalog"),
        ("/health", "health"),
        ("/healthz", "health"),
        ("/ready", "health"),
        ("/metrics", "health"),
        ("/monitoring/db", "health"),
        ("/usersettings", "other"),
        ("/", "other"),
        ("/v2/chat/completions", "other"),
        ("/api/v1/chat/completions", "inference"),
        ("/api/payments/{payment_id}", "payment"),
        ("/v2/billing/invoices", "payment"),
        ("/api/v3/users/{user_id}", "users"),
        ("/api/v1/api-keys", "api_keys"),
        ("/api/v2/chat/completions", "other"),
        ("/apiary/payments", "other"),
        ("/api", "other"),
        ("/v1/vendors/payments", "other"),
    ],
)
def test_default_endpoint_types(path: str, expected: str) -> None:
    """The default rules give each audited path its type, on segment boundaries, also
    below a leading /api and/or version segment."""
    assert expected == endpoint_type(path, DEFAULT_ENDPOINT_RULES)


def test_match_kinds() -> None:
    """exact matches the whole path, prefix whole segments, glob segment-wise patterns."""
    exact = EndpointRule("/status", "health", match="exact")
    prefix = EndpointRule("/jobs/", "queue")
    glob = EndpointRule("/tenants/*/invoices/**", "payment", match="glob")
    assert [
        exact.matches("/status"),
        exact.matches("/status/1"),
        prefix.matches("/jobs"),
        prefix.matches("/jobs/7"),
        prefix.matches("/jobsite"),
        glob.matches("/tenants/acme/invoices/3"),
        glob.matches("/tenants/acme/users"),
        glob.matches("/tenants/acme/x/invoices/3"),  # * stays within one segment
    ] == [True, False, True, True, False, True, False, False]


def test_first_matching_rule_wins() -> None:
    """Rules are tried in order: a custom rule put first overrides a default."""
    rules = (EndpointRule("/admin/billing", "payment"), *DEFAULT_ENDPOINT_RULES)
    assert (
        endpoint_type("/admin/billing/refunds", rules),
        endpoint_type("/admin/users", rules),
    ) == ("payment", "admin")


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"pattern": "", "endpoint_type": "x"}, TypeError),
        ({"pattern": "/x", "endpoint_type": ""}, TypeError),
        ({"pattern": "/x", "endpoint_type": "x", "match": "regex"}, ValueError),
    ],
)
def test_bad_endpoint_rules_are_rejected(kwargs: dict[str, str], error: type) -> None:
    """An invalid rule fails when it is made, naming the field."""
    with pytest.raises(error, match="EndpointRule"):
        EndpointRule(**kwargs)


async def test_custom_rules_replace_the_defaults_in_events() -> None:
    """endpoint_rules and revenue_critical given to instrument() decide the event's tags."""
    sink = MemorySink()
    configure(sink=sink)
    app = FastAPI()

    @app.post("/jobs/{job_id}/run")
    async def run(job_id: str) -> None:
        raise RuntimeError("job failed")

    @app.get("/v1/chat/completions")
    async def chat() -> None:
        raise RuntimeError("chat failed")

    instrument(
        app,
        endpoint_rules=[EndpointRule("/jobs", "queue")],
        revenue_critical=["queue"],
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        await client.post("/jobs/1/run")
    await get(app, "/v1/chat/completions")
    assert [
        (e.tags["endpoint_type"], e.tags["is_revenue_critical"], e.tags["method"])
        for e in sink.events
    ] == [("queue", "true", "POST"), ("other", "false", "GET")]


class Model(pydantic.BaseModel):
    count: int


def validation_error() -> pydantic.ValidationError:
    try:
        Model(count="many")  # type: ignore[arg-type]
    except pydantic.ValidationError as exc:
        return exc
    raise AssertionError  # pragma: no cover


def named(module: str, name: str, *bases: type) -> type:
    """An exception class that claims to live in ``module`` (a stand-in for a library's)."""
    return type(name, bases or (Exception,), {"__module__": module})


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (TimeoutError(), "timeout_error"),
        (asyncio.TimeoutError(), "timeout_error"),
        (httpx.ReadTimeout("slow"), "timeout_error"),
        (named("openai", "APITimeoutError")(), "timeout_error"),
        (ConnectionResetError(), "network_error"),
        (socket.gaierror(), "network_error"),
        (httpx.ConnectError("refused"), "network_error"),
        (named("openai", "APIConnectionError")(), "network_error"),
        (named("sqlalchemy.exc", "OperationalError")(), "database_error"),
        (named("asyncpg.exceptions", "UniqueViolationError")(), "database_error"),
        (named("postgrest.exceptions", "APIError")(), "database_error"),
        (named("redis.exceptions", "ResponseError")(), "cache_error"),
        (named("stripe._error", "CardError")(), "payment_error"),
        (named("app.billing", "PaymentDeclined")(), "payment_error"),
        (named("jwt.exceptions", "ExpiredSignatureError")(), "auth_error"),
        (named("app.security", "NotAuthenticatedError")(), "auth_error"),
        (named("app.security", "UnauthorizedError")(), "auth_error"),
        (
            httpx.HTTPStatusError(
                "502", request=httpx.Request("GET", "http://x"), response=httpx.Response(502)
            ),
            "provider_error",
        ),
        (named("anthropic", "RateLimitError")(), "provider_error"),
        (ValueError("bad"), "validation_error"),
        (validation_error(), "validation_error"),
        (KeyError("k"), "internal_error"),
        (PermissionError(), "internal_error"),
    ],
)
def test_default_error_categories(exc: BaseException, expected: str) -> None:
    """Each default category is recognised from the class, its module or its bases."""
    assert expected == error_category(exc)


def test_the_context_type_decides_then_the_class_then_the_cause() -> None:
    """A known context type gives the category; without one the class, else its cause."""
    wrapped = RuntimeError("wrapper")
    wrapped.__cause__ = TimeoutError()
    assert (
        error_category(KeyError(), context_type="database"),
        error_category(ValueError(), context_type="provider"),
        error_category(TimeoutError(), context_type="provider"),
        error_category(TimeoutError(), context_type="general"),
        error_category(wrapped),
    ) == ("database_error", "provider_error", "provider_error", "timeout_error", "timeout_error")


def test_custom_categories_extend_the_defaults() -> None:
    """A rule put before the defaults names new categories; the defaults still apply."""
    rules = (
        ErrorCategory("queue_error", modules=("kombu",), words=("queue",)),
        *DEFAULT_ERROR_CATEGORIES,
    )
    assert (
        error_category(named("kombu.exceptions", "OperationalError")(), rules),
        error_category(named("app", "QueueFull")(), rules),
        error_category(TimeoutError(), rules),
    ) == ("queue_error", "queue_error", "timeout_error")


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"name": ""}, TypeError),
        ({"name": "x", "types": "builtins.ValueError"}, TypeError),
        ({"name": "x", "types": ("ValueError",)}, ValueError),
        ({"name": "x", "words": (1,)}, TypeError),
    ],
)
def test_bad_error_categories_are_rejected(kwargs: dict[str, object], error: type) -> None:
    """An invalid category rule fails when it is made, naming the field."""
    with pytest.raises(error, match="ErrorCategory"):
        ErrorCategory(**kwargs)  # type: ignore[arg-type]
