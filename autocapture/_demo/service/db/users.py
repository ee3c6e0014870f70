"""User storage (the shape of the audited service's db layer)."""

from __future__ import annotations

from autocapture import auto_capture_errors
from autocapture._demo.service.errors import IntegrityError

_USERS = {1: {"id": 1, "email": "ada@example.com"}}


@auto_capture_errors
def get_user(user_id: int) -> dict[str, object]:
    """Fetch one user by id."""
    return _USERS[user_id]


@auto_capture_errors(tags={"team": "identity"})
def insert_user(email: str, password: str, plan: str = "free") -> int:
    """Create a user; the email is taken."""
    raise IntegrityError(
        f'duplicate key value violates unique constraint "users_email_key" ({email})'
    )


def find_user_by_email(email: str) -> dict[str, object] | None:
    """Look a user up by email; a failure here is silently turned into "no such user"."""
    try:
        return next(u for u in _USERS.values() if u["email"] == email)
    except Exception:
        return None
