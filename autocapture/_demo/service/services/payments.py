"""Payments (the shape of the audited service's Stripe integration)."""

from __future__ import annotations

from autocapture import auto_capture_errors
from autocapture._demo.service.errors import CardDeclinedError


@auto_capture_errors
def charge_customer(user_id: str, amount: float, currency: str, card_number: str) -> str:
    """Charge a card; the processor declines it."""
    raise CardDeclinedError(f"card ending {card_number[-4:]} declined: insufficient funds")
