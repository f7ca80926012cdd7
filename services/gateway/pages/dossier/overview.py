"""Dossier Famille: the year's sheets, the family's first then each child's, with their state and what is
missing."""

from __future__ import annotations

from aiohttp import web

from services.gateway.clients import clients_of
from services.gateway.web.guards import PARENT, signed_in
from services.gateway.web.render import render
from services.gateway.web.session import Account


def groups(dossier: dict) -> tuple[list[dict], list[dict]]:
    """The family's sheets, and each child having sheets with its own."""
    family = [s for s in dossier["sheets"] if not s["child_id"]]
    children = []
    for child in dossier["children"]:
        sheets = [s for s in dossier["sheets"] if s["child_id"] == child["id"]]
        if sheets:
            children.append({**child, "sheets": sheets})
    return family, children


@signed_in(roles=PARENT)
async def dossier_page(request: web.Request, account: Account) -> web.Response:
    dossier = await clients_of(request).dossier.dossier(account.identity)
    if dossier is None:
        return render(request, "dossier.html", dossier=None)
    family, children = groups(dossier)
    return render(request, "dossier.html", dossier=dossier, family=family, children=children)


def routes(app: web.Application) -> None:
    app.router.add_get("/dossier", dossier_page)
