"""A route handler in the audited service's "standard pattern", done right.

The service reports the provider error with its context; the route turns it into a 503
``from`` it, and that HTTP error is recognised as the same error: one report, not two.
"""

from __future__ import annotations

import logging

from autocapture import auto_capture_errors
from autocapture._demo.service.errors import HTTPException, ProviderError
from autocapture._demo.service.services.openrouter_client import chat_completion

logger = logging.getLogger(__name__)


@auto_capture_errors
def create_chat_completion(body: dict[str, object], api_key: str) -> str:
    """POST /v1/chat/completions."""
    try:
        return chat_completion(str(body["model"]), [], api_key=api_key)
    except ProviderError as exc:
        logger.info("provider failed: %s", type(exc).__name__)
        raise HTTPException(503, "provider unavailable") from exc


def get_model(model_id: str) -> dict[str, str]:
    """GET /v1/models/{model_id}: an unknown model is a 404, an answer rather than a bug."""
    raise HTTPException(404, f"model {model_id} not found")


def list_models() -> list[str]:
    """GET /v1/models, with the audited service's "standard pattern" error handling."""
    from autocapture._demo.service.services.cache import get_cached_models

    try:
        return get_cached_models("models:all")
    except Exception as e:
        logger.error(f"Error listing models: {e}", exc_info=True)
        raise HTTPException(status_code=500, detail=f"Error: {e!s}") from e
