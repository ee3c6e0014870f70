# ruff: noqa: B904,G201,I001
# mypy: ignore-errors
"""Chat completions: the revenue path."""

import logging

import sentry_sdk as sdk
from fastapi import APIRouter, BackgroundTasks, HTTPException, status
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from autocapture import capture_provider_error
from services.billing import charge_credits
from services.providers import ProviderError, call_provider, fetch_models
from tasks.email import send_receipt, send_receipt_captured

logger = logging.getLogger(__name__)
router = APIRouter()


@router.post("/v1/chat/completions")
async def chat(payload: dict, background_tasks: BackgroundTasks) -> dict:
    try:
        answer = await call_provider(payload)
    except ProviderError as exc:  # expect: captured
        capture_provider_error(exc, provider="openrouter", model=payload.get("model"))
        raise HTTPException(status_code=503, detail="provider unavailable") from exc
    except HTTPException:  # expect: reraise
        raise
    except Exception as exc:  # expect: http_5xx
        logger.error("chat failed: %s", exc, exc_info=True)
        raise HTTPException(
            status_code=status.HTTP_500_INTERNAL_SERVER_ERROR, detail="internal error"
        ) from exc

    try:
        charge_credits(payload["user_id"], 1)
    except KeyError:  # expect: http_4xx
        raise HTTPException(status_code=status.HTTP_400_BAD_REQUEST, detail="user_id missing")
    except Exception as exc:  # expect: captured
        sdk.capture_exception(exc)
        raise StarletteHTTPException(status.HTTP_402_PAYMENT_REQUIRED, "payment failed")

    background_tasks.add_task(send_receipt, payload["user_id"])
    background_tasks.add_task(send_receipt_captured, payload["user_id"])
    return {"answer": answer}


@router.get("/v1/models")
async def list_models() -> object:
    try:
        return await fetch_models()
    except TimeoutError:  # expect: http_5xx
        return JSONResponse(status_code=503, content={"error": "timeout"})
    except Exception:  # expect: http_5xx
        raise HTTPException(504, "upstream timeout")
