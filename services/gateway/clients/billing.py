"""The client of billing: a family's consumptions (and their exports), invoices, payments and balance, the
online payment (and the local test provider); for staff, tariffs and counter payments; invoicing."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from kit.identity import Identity
from services.gateway.clients.base import ANONYMOUS_ID, OperatedService, file_or_error, path


class BillingClient(OperatedService):
    name = "billing"

    # -- the family -------------------------------------------------------------------------------------
    async def consumptions(self, who: Identity, month: str, q: str) -> dict:
        """A month's consumption lines (filtered by `q`) and their total."""
        return await self.get("/v1/consumptions?" + urlencode({"month": month, "q": q}), who)

    async def export(self, request: web.Request, who: Identity, month: str, q: str, extension: str
                     ) -> web.StreamResponse:
        """The month's consumptions as CSV or PDF, relayed as they arrive."""
        target = path("/v1/consumptions/export.{}", extension) + "?" + urlencode({"month": month, "q": q})
        return await file_or_error(request, self, target, who)

    async def account(self, who: Identity) -> dict:
        """The family's invoices, payments received and balance."""
        return await self.get("/v1/invoices", who)

    async def invoice_pdf(self, request: web.Request, who: Identity, invoice_id: object) -> web.StreamResponse:
        return await file_or_error(request, self, path("/v1/invoices/{}/pdf", invoice_id), who)

    async def pay_online(self, who: Identity, invoice_id: str, return_url: str) -> str:
        """Where to send the family to pay the invoice (the provider's page)."""
        body = await self.post("/v1/payments/online", who, {"invoice_id": invoice_id, "return_url": return_url})
        return str(body.get("redirect_url") or "") if isinstance(body, dict) else ""

    async def test_checkout(self, who: Identity, ref: str) -> dict:
        """The local test provider's checkout (development and tests)."""
        return await self.get(path("/v1/test-provider/{}", ref), who)

    async def test_checkout_action(self, who: Identity, ref: str, action: str) -> dict:
        return await self.post(path("/v1/test-provider/{}/{}", ref, action), who)

    async def provider_callback(self, body: bytes, signature: str) -> tuple[int, Any]:
        """A provider's signed call back, passed on as it came: (status, answer)."""
        return await self.raw("POST", "/v1/payments/callback", ANONYMOUS_ID, data=body,
                              content_type="application/json", extra_headers={"X-Signature": signature})

    # -- staff and administrators ------------------------------------------------------------------------
    async def record_payment(self, who: Identity, payment: dict[str, Any]) -> dict:
        return await self.post("/v1/payments", who, payment)

    async def publish_tariff(self, who: Identity, tariff: dict[str, Any]) -> dict:
        return await self.post("/v1/tariffs", who, tariff)

    async def tariffs(self, who: Identity, structure_id: str, activity_id: str) -> list[dict]:
        """An activity's tariff versions, newest first, each `state`: in_force, upcoming or past."""
        return (await self.get(path("/v1/tariffs", structure_id=structure_id, activity_id=activity_id),
                               who))["versions"]

    async def issue_invoices(self, who: Identity, month: str | None) -> dict:
        """A closed month's invoices; None: billing's default, last month."""
        return await self.post("/v1/invoices/issue", who, {"month": month})

    # -- a family's page (staff) -------------------------------------------------------------------------
    async def family_account(self, who: Identity, family_id: str) -> dict:
        """The family's invoices, payments and balance in the caller's structures."""
        return await self.get(path("/v1/invoices", family_id=family_id), who)
