"""Exceptions the example service raises, shaped like their real-world counterparts."""

from __future__ import annotations


class ProviderError(Exception):
    """An upstream LLM provider answered with an error."""

    def __init__(self, message: str, status_code: int) -> None:
        """Keep the upstream status."""
        super().__init__(message)
        self.upstream_status = status_code


class IntegrityError(Exception):
    """A database constraint was violated."""


class CardDeclinedError(Exception):
    """The payment processor declined the card."""


class HTTPException(Exception):  # noqa: N818 - the name the web frameworks use
    """A web framework's HTTP error: an answer, not necessarily a bug."""

    def __init__(self, status_code: int, detail: str = "") -> None:
        """Keep the status, as Starlette's and FastAPI's HTTPException do."""
        super().__init__(f"{status_code}: {detail}")
        self.status_code = status_code
        self.detail = detail
