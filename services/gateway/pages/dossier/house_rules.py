"""Dossier Famille: the règlement intérieur a family reads or downloads on a règlement sheet before ticking
and signing it (dossier serves it to the families with a règlement sheet for its structure only)."""

from __future__ import annotations

from aiohttp import web

from services.gateway.clients import clients_of
from services.gateway.pages.files import file_page
from services.gateway.web.forms import uuid_or_404
from services.gateway.web.guards import PARENT, signed_in
from services.gateway.web.session import Account


@signed_in(roles=PARENT)
async def rules_file(request: web.Request, account: Account) -> web.StreamResponse:
    rules_id = uuid_or_404(request.match_info["rules_id"])
    return await file_page(clients_of(request).dossier.house_rules_file(request, account.identity, rules_id))


def routes(app: web.Application) -> None:
    app.router.add_get("/dossier/reglement/{rules_id}", rules_file)
