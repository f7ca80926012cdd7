"""Files for the family: the consumptions' exports (CSV, PDF) and the invoices' PDF, relayed as they come."""

from __future__ import annotations

from aiohttp import web

from services.gateway.clients import clients_of
from services.gateway.pages.billing.consumptions import month_and_query
from services.gateway.pages.files import file_page
from services.gateway.web.forms import uuid_or_404
from services.gateway.web.guards import PARENT, signed_in
from services.gateway.web.session import Account


@signed_in(roles=PARENT)
async def export(request: web.Request, account: Account) -> web.StreamResponse:
    month, q = month_and_query(request)
    return await file_page(clients_of(request).billing.export(request, account.identity, month, q,
                                                              request.match_info["ext"]))


@signed_in(roles=PARENT)
async def invoice_pdf(request: web.Request, account: Account) -> web.StreamResponse:
    invoice_id = uuid_or_404(request.match_info["invoice_id"])
    return await file_page(clients_of(request).billing.invoice_pdf(request, account.identity, invoice_id))


def routes(app: web.Application) -> None:
    app.router.add_get(r"/consommations/export.{ext:csv|pdf}", export)
    app.router.add_get(r"/consommations/factures/{invoice_id}.pdf", invoice_pdf)
