"""The family's dossier pages: the overview, each sheet's form, the supporting documents, the contacts."""

from __future__ import annotations

from aiohttp import web

from services.gateway.pages.dossier import contacts, documents, house_rules, overview, sheet


def routes(app: web.Application) -> None:
    for screen in (overview, sheet, documents, contacts, house_rules):
        screen.routes(app)
