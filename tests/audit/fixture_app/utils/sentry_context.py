# Part of the audit tests' fixture code base.
# mypy: ignore-errors
"""Context-aware capture helpers, as in the hand-made audit's code base."""

import logging

import sentry_sdk

logger = logging.getLogger(__name__)


def capture_payment_error(exc: BaseException, **context: object) -> None:
    try:
        with sentry_sdk.new_scope() as scope:
            scope.set_context("payment", context)
            scope.capture_exception(exc)
    except Exception:  # expect: logged
        logger.debug("could not report a payment error", exc_info=True)


def capture_database_error(exc: BaseException, **context: object) -> None:
    with sentry_sdk.new_scope() as scope:
        scope.set_context("database", context)
        sentry_sdk.capture_exception(exc)
