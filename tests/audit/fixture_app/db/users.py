# ruff: noqa: E722,G004,G201,S110
# mypy: ignore-errors
"""User records."""

import logging

log = logging.getLogger(__name__)


class DatabaseError(Exception):
    """The database failed."""


def ping() -> None:
    """Ping the database."""


def cache_ping() -> None:
    """Ping the cache."""


def queue_ping() -> None:
    """Ping the queue."""


def get_user(user_id: int) -> dict:
    try:
        return {"id": user_id}
    except Exception as e:  # expect: swallowed
        log.error(f"get_user failed: {e}")
        return None


def update_user(user_id: int, fields: dict) -> bool:
    try:
        return bool(fields)
    except Exception:  # expect: logged
        log.error("update_user failed", exc_info=True)
        return False


def delete_user(user_id: int) -> None:
    try:
        pass
    except Exception:  # expect: reraise
        log.exception("delete_user failed")
        raise


def count_users() -> int:
    try:
        return 0
    except:  # expect: swallowed
        pass
    return -1


def with_retry() -> None:
    for attempt in range(3):
        try:
            return
        except TimeoutError as exc:  # expect: reraise
            if attempt == 2:
                raise DatabaseError("gave up") from exc
            continue


def lookup(user_id: int) -> dict:
    try:
        return {}
    except KeyError:  # expect: reraise
        raise DatabaseError("no such user") from None
