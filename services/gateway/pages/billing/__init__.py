"""The family's billing pages: consumptions, exports and invoices, online payment."""

from __future__ import annotations

from aiohttp import web

from services.gateway.pages.billing import consumptions, files, payment, tax_certificates


def routes(app: web.Application) -> None:
    for screen in (consumptions, files, payment):
        screen.routes(app)
    tax_certificates.routes(app)  # the « attestations de frais de garde » (issue 19)
