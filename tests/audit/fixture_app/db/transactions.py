# ruff: noqa: S110
# mypy: ignore-errors
"""Credit transactions."""

from sentry_sdk import capture_message


class IntegrityError(Exception):
    """A constraint failed."""


def record(tx_id: str, existing: dict) -> dict:
    try:
        return {"id": tx_id}
    except IntegrityError:  # expect: captured
        capture_message(f"duplicate transaction {tx_id}")
        return existing


def rollback() -> None:
    """Roll back."""


def transfer(amount: int) -> None:
    try:
        assert amount > 0
    except Exception:  # expect: reraise
        try:
            rollback()
        except Exception:  # expect: swallowed
            pass
        raise
