"""Online payment behind an interface: talking to a payment provider. `TestProvider` follows a real
provider's flow: the portal creates a checkout and redirects the parent to the provider's page; the provider calls the portal
back (server to server, signed) and redirects the parent to the return URL.

The test provider is for development and tests only (PORTAIL_TEST_PAYMENT_PROVIDER=1): its pages, served
by the gateway under /paiement-test/, ask for the paying family's session and a CSRF token, and its return
and cancel URLs are checked by billing (services/billing/domain/payments.py) to be pages of the portal itself."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Protocol

import aiohttp

from kit import identity as ident
from services.billing.store.payments import TestCheckout


@dataclass(frozen=True)
class Checkout:
    provider_ref: str
    redirect_url: str


@dataclass(frozen=True)
class CallbackResult:
    provider_ref: str
    status: str  # "paid" | "cancelled"
    amount_cents: int


class InvalidCallback(Exception):
    pass


class PaymentProvider(Protocol):
    async def create_checkout(self, tx, amount_cents: int, description: str, return_url: str,
                              callback_url: str, cancel_url: str | None = None) -> Checkout:
        """`tx`: billing's store (services/billing/store/) in the transaction of the pending payment."""

    def verify_callback(self, body: bytes, signature: str) -> CallbackResult: ...


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class TestProvider:
    """The local provider: its pages are served under /paiement-test/ by the gateway."""

    __test__ = False  # (for pytest: not a test)

    def __init__(self, secret: str, public_base: str):
        if len(secret) < 32:
            raise ValueError("the provider's secret must be at least 32 characters")
        self.secret, self.public_base = secret, public_base.rstrip("/")

    async def create_checkout(self, tx, amount_cents, description, return_url, callback_url,
                              cancel_url=None) -> Checkout:
        ref = "tp_" + secrets.token_urlsafe(16)
        await tx.insert_checkout(TestCheckout(ref, amount_cents, description, return_url, callback_url, cancel_url))
        return Checkout(ref, f"{self.public_base}/paiement-test/{ref}")

    def verify_callback(self, body: bytes, signature: str) -> CallbackResult:
        if not hmac.compare_digest(sign(self.secret, body), signature or ""):
            raise InvalidCallback("signature invalide")
        try:
            data = json.loads(body)
            return CallbackResult(str(data["provider_ref"]), str(data["status"]), int(data["amount_cents"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidCallback("corps invalide") from exc

    async def settle(self, tx, ref: str, paid: bool, identity_secret: str) -> str | None:
        """The parent pressed "Payer" or "Annuler" on the provider's page: call the portal back, then
        return where to send the parent (None: no open checkout)."""
        checkout = await tx.checkout(ref, for_update=True)
        if checkout is None or checkout.status != "open":
            return None
        status = "paid" if paid else "cancelled"
        await tx.set_checkout_status(ref, status)
        body = json.dumps({"provider_ref": ref, "status": status, "amount_cents": checkout.amount_cents}).encode()
        headers = {"X-Signature": sign(self.secret, body), "Content-Type": "application/json",
                   ident.HEADER: ident.issue(ident.Identity.anonymous(), identity_secret)}
        async with aiohttp.ClientSession() as http, \
                http.post(checkout.callback_url, data=body, headers=headers) as resp:
            if resp.status >= 400:
                raise InvalidCallback(f"le portail a refusé le rappel ({resp.status})")
        target = checkout.return_url if paid else (checkout.cancel_url or checkout.return_url)
        separator = "&" if "?" in target else "?"
        return f"{target}{separator}paiement={'ok' if paid else 'annule'}"
