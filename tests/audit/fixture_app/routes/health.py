# ruff: noqa: B904,I001
# mypy: ignore-errors
"""Health and readiness checks."""

import logging

from fastapi import APIRouter, HTTPException

from db import users

logger = logging.getLogger(__name__)
router = APIRouter()


@router.get("/health")
def health() -> dict:
    try:
        users.ping()
    except Exception:  # expect: logged
        logger.exception("database ping failed")
        return {"status": "degraded"}
    return {"status": "ok"}


@router.get("/ready")
def ready() -> dict:
    try:
        users.cache_ping()
    except Exception as exc:  # expect: logged
        logger.warning("cache ping failed", exc_info=exc)
        return {"status": "degraded"}
    try:
        users.queue_ping()
    except Exception:  # expect: swallowed
        logger.error("queue ping failed")
        return {"status": "unknown"}
    return {"status": "ok"}


@router.get("/users/{user_id}")
def get_user(user_id: str) -> dict:
    try:
        return users.get_user(int(user_id))
    except ValueError:  # expect: http_4xx
        raise HTTPException(status_code=404, detail="no such user")
    except Exception as exc:  # expect: http_4xx
        raise HTTPException(status_code=422, detail=str(exc)) from exc
