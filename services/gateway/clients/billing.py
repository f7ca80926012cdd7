"""The client of billing: a family's consumptions (and their exports), invoices, payments and balance, the
online payment (eopayment's notification and return); for staff, tariffs and counter payments; invoicing."""

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

    async def pay_online(self, who: Identity, invoice_id: str, email: str = "") -> str:
        """Where to send the family to pay the invoice (the payment backend's page)."""
        body = await self.post("/v1/payments/online", who, {"invoice_id": invoice_id, "email": email})
        return str(body.get("redirect_url") or "") if isinstance(body, dict) else ""

    async def bank_answer(self, kind: str, structure_id: str, query: bytes) -> tuple[int, Any]:
        """A payment backend's notification (`kind` "notification") or the return from the bank ("return"),
        the query as the bank sent it: (status, answer), for billing to parse and check with eopayment."""
        return await self.raw("POST", path("/v1/payments/" + kind + "/{}", structure_id), ANONYMOUS_ID, data=query,
                              content_type="application/x-www-form-urlencoded")

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

    # -- online payment (staff) --------------------------------------------------------------------------------
    async def payment_backend(self, who: Identity, structure_id: str, backend: str | None) -> dict:
        """The structure's payment backend, the backends to choose from and the chosen one's parameters
        (secrets masked)."""
        target = path("/v1/payment-backends/{}", structure_id) + ("?" + urlencode({"backend": backend}) if backend
                                                                  else "")
        return await self.get(target, who)

    async def save_payment_backend(self, who: Identity, structure_id: str, backend: str,
                                   options: dict[str, str]) -> None:
        await self.call("PUT", path("/v1/payment-backends/{}", structure_id), who,
                        json={"backend": backend, "options": options})

    async def online_transactions(self, who: Identity) -> list[dict]:
        """The latest online transactions of the caller's structures."""
        return (await self.get("/v1/payments/online", who))["transactions"]

    # -- a family's page (staff) -------------------------------------------------------------------------
    async def family_account(self, who: Identity, family_id: str) -> dict:
        """The family's invoices, payments and balance in the caller's structures."""
        return await self.get(path("/v1/invoices", family_id=family_id), who)

    # -- the « attestations de frais de garde » (issue 19) ----------------------------------------------------
    async def tax_certificates(self, who: Identity) -> list[dict]:
        """The family's certificates, per structure and year issued, the latest year first."""
        return (await self.get("/v1/tax-certificates", who))["years"]

    async def tax_certificate_pdf(self, request: web.Request, who: Identity, structure_id: object, year: int,
                                  child_id: object) -> web.StreamResponse:
        return await file_or_error(request, self, path("/v1/tax-certificates/{}/{}/{}/pdf", structure_id, year,
                                                       child_id), who)

    async def structure_tax_certificates(self, who: Identity, structure_id: str, year: int | None) -> dict:
        """A year's certificates of the structure, its eligible activities, details and issued years."""
        return await self.get(path("/v1/tax-certificates/staff", structure_id=structure_id, year=year), who)

    async def structure_tax_pdf(self, request: web.Request, who: Identity, structure_id: str,
                                year: int) -> web.StreamResponse:
        return await file_or_error(request, self, path("/v1/tax-certificates/staff/pdf", structure_id=structure_id,
                                                       year=year), who)

    async def save_tax_settings(self, who: Identity, structure_id: str, details: str,
                                eligible_activity_ids: list[str]) -> None:
        await self.call("PUT", "/v1/tax-certificates/settings", who, json={
            "structure_id": structure_id, "details": details, "eligible_activity_ids": eligible_activity_ids})

    async def issue_tax_certificates(self, who: Identity, structure_id: str, year: int) -> dict:
        return await self.post("/v1/tax-certificates/issue", who, {"structure_id": structure_id, "year": year})
