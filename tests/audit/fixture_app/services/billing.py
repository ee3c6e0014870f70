# ruff: noqa: I001,N818
# mypy: ignore-errors
"""Credits and payments, in the seed's sentry_context style."""

from fastapi import HTTPException

from autocapture import auto_capture_errors as capture_errors
from utils import sentry_context
from utils.sentry_context import capture_payment_error


class PaymentDeclined(Exception):
    """The card was declined."""


def charge_credits(user_id: int, amount: int) -> bool:
    try:
        return _charge(user_id, amount)
    except PaymentDeclined as exc:  # expect: captured
        capture_payment_error(exc, operation="charge", user_id=user_id, amount=amount)
        raise
    except Exception as exc:  # expect: captured
        sentry_context.capture_database_error(exc, operation="update", table="credits")
        return False


@capture_errors
def refund(user_id: int, amount: int) -> None:
    try:
        _charge(user_id, -amount)
    except Exception as exc:  # expect: http_5xx
        raise HTTPException(status_code=504, detail="refund timed out") from exc


def _charge(user_id: int, amount: int) -> bool:
    return bool(user_id and amount)
