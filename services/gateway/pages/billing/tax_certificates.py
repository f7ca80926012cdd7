"""Consommations, « Attestations de frais de garde »: the family's certificates of the years its structures
issued (one per child under six on 1 January, the amounts paid for the eligible activities), each a PDF."""

from __future__ import annotations

from datetime import date

from aiohttp import web

from services.gateway.clients import clients_of
from services.gateway.pages.files import file_page
from services.gateway.web.forms import uuid_or_404
from services.gateway.web.guards import PARENT, signed_in
from services.gateway.web.render import render
from services.gateway.web.session import Account


def french_day(iso: str | None) -> str:
    return date.fromisoformat(iso).strftime("%d/%m/%Y") if iso else ""


@signed_in(roles=PARENT)
async def certificates_page(request: web.Request, account: Account) -> web.Response:
    years = await clients_of(request).billing.tax_certificates(account.identity)
    for year in years:
        year["until_label"] = french_day(year["until"])
    return render(request, "attestations.html", years=years)


@signed_in(roles=PARENT)
async def certificate_pdf(request: web.Request, account: Account) -> web.StreamResponse:
    structure_id, child_id = uuid_or_404(request.match_info["structure_id"]), uuid_or_404(request.match_info["child_id"])
    return await file_page(clients_of(request).billing.tax_certificate_pdf(
        request, account.identity, structure_id, int(request.match_info["year"]), child_id))


def routes(app: web.Application) -> None:
    app.router.add_get("/consommations/attestations", certificates_page)
    app.router.add_get(r"/consommations/attestations/{structure_id}/{year:\d{4}}/{child_id}.pdf", certificate_pdf)
