"""The pages of the portal, one package per area and a small module per screen; `routes` registers them."""

from __future__ import annotations

from aiohttp import web


def routes(app: web.Application) -> None:
    from services.gateway.pages import account, billing, booking, dossier, home, staff

    for area in (home, account, booking, billing, dossier, staff):
        area.routes(app)
