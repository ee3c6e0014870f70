# ruff: noqa: B904,PTH123,RUF005,SIM115
# mypy: ignore-errors
"""Provider clients."""

import asyncio

import httpx
from sentry_sdk import capture_exception as report

from autocapture import auto_capture_errors

PROVIDERS = ("openrouter", "portkey")


class ProviderError(Exception):
    """A provider failed."""


class MetricsClient:
    """Not Sentry: a metrics client whose method happens to share the name."""

    def capture_exception(self, exc: BaseException) -> None:
        print("metric", exc)


metrics = MetricsClient()
client = httpx.AsyncClient()


@auto_capture_errors(context_type="provider")
async def call_provider(payload: dict) -> str:
    try:
        response = await client.post("https://openrouter.invalid/v1/chat", json=payload)
        response.raise_for_status()
    except httpx.TimeoutException as exc:  # expect: reraise
        raise ProviderError("provider timed out") from exc
    except httpx.HTTPStatusError as exc:  # expect: reraise
        raise ProviderError(f"provider said {exc.response.status_code}")
    return response.json()["choices"][0]["message"]["content"]


async def fetch_models() -> list:
    try:
        response = await client.get("https://openrouter.invalid/v1/models")
        models = response.json()
    except ValueError as exc:  # expect: swallowed
        metrics.capture_exception(exc)
        return []
    try:
        extra = open("/etc/models.json").read()
    except OSError as exc:  # expect: captured
        report(exc)
        extra = ""
    for provider in PROVIDERS:
        try:
            models.extend(await client.get(f"https://{provider}.invalid/models"))
        except ConnectionError:  # expect: swallowed
            continue
    return models + [extra]


async def stream(payload: dict):
    try:
        async for chunk in client.stream("POST", "https://openrouter.invalid/v1", json=payload):
            yield chunk
    except asyncio.CancelledError:  # expect: reraise
        raise
    except GeneratorExit:  # expect: swallowed
        return
