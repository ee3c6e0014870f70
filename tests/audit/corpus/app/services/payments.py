import contextlib
import logging
from typing import NoReturn

import httpx
import sentry_sdk

from app.errors import DomainError, NetworkError, NotOwner, NotPermitted

logger = logging.getLogger(__name__)


def _raise_network_error(exc: Exception) -> NoReturn:
    message = f"provider unreachable: {exc}"
    raise_for(message)


def raise_for(message):
    raise NetworkError(message)


class PaymentService:
    def handle_exception(self, exc):
        logger.warning("payment failed: %s", exc)
        raise DomainError("payment failed") from exc

    def charge(self, client, amount):
        try:
            return client.post("/charge", json={"amount": amount})
        except httpx.TransportError as exc:  # label: reraise/exception
            _raise_network_error(exc)

    def refund(self, client, charge_id):
        try:
            return client.post(f"/refund/{charge_id}")
        except httpx.HTTPStatusError as exc:  # label: reraise/exception
            self.handle_exception(exc)

    def check_owner(self, user, charge):
        try:
            return charge.owner == user.id
        except AttributeError as exc:  # label: http_4xx/none
            raise NotOwner("not your charge") from exc

    def check_role(self, user):
        try:
            return user.roles["billing"]
        except KeyError as exc:  # label: http_4xx/none
            raise NotPermitted("billing role required") from exc

    def balance(self, client):
        try:
            return client.get("/balance").json()
        except Exception as exc:  # label: swallowed/message
            logger.error(f"balance lookup failed: {exc}")
            return None

    def invoice(self, client):
        try:
            return client.get("/invoice").json()
        except Exception:  # label: logged/exception
            logger.exception("invoice lookup failed")
            return None

    def receipt(self, client):
        try:
            return client.get("/receipt").json()
        except Exception as exc:  # label: reraise/exception
            logger.error("receipt failed: %s", exc)
            raise

    def webhook(self, payload):
        try:
            return payload["id"]
        except Exception as exc:  # label: captured/exception
            sentry_sdk.capture_exception(exc)
            return None

    def warm_cache(self, cache):
        with contextlib.suppress(Exception):  # label: swallowed/none
            cache.load()

    def parse_amount(self, text):
        try:
            return int(text)
        except ValueError:  # label: swallowed/none
            return 0

    def debug_only(self, client):
        try:
            client.ping()
        except Exception as exc:  # label: swallowed/none
            logger.debug(f"ping failed: {exc}")
