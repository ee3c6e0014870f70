"""A client for an LLM provider API (the shape of the audited service's openrouter client)."""

from __future__ import annotations

from autocapture import auto_capture_errors
from autocapture._demo.service.errors import ProviderError


@auto_capture_errors
def chat_completion(
    model: str, messages: list[dict[str, str]], api_key: str, max_tokens: int = 256
) -> str:
    """Ask the provider for a completion; it is overloaded today."""
    # Real providers echo the credential back in some error bodies: it must not leak.
    raise ProviderError(
        f"upstream 503 for {model}: overloaded (request sent with Authorization: "
        f"Bearer {api_key})",
        status_code=503,
    )
