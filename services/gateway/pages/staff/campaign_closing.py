"""Gestion, « Campagne »: the campaign's closing day (issue 19). Staff read it; an administrator sets it. In the
days before it, the families whose dossier is incomplete get one automatic reminder (dossier's job, notify's
mail), unless they turned reminders off in their profile."""

from __future__ import annotations

from datetime import date

from aiohttp import web

from services.gateway.clients import clients_of
from services.gateway.pages.staff.common import REFUSED, messages_of
from services.gateway.web import forms
from services.gateway.web.csrf import checked_form
from services.gateway.web.guards import signed_in
from services.gateway.web.session import Account


async def closing_of(request: web.Request, account: Account) -> dict | None:
    """What the page shows: the campaign's school year and closing day (« JJ/MM/AAAA » or empty)."""
    try:
        found = await clients_of(request).dossier.campaign_closing(account.identity)
    except REFUSED:
        return None
    day = found.get("closes_on")
    return {**found, "label": date.fromisoformat(day).strftime("%d/%m/%Y") if day else "",
            "may_set": account.identity.role == "admin"}


@signed_in(roles=("admin",))
async def closing_submit(request: web.Request, account: Account) -> web.Response:
    from services.gateway.pages.staff.campaign import _campaign_page  # (the page this form is on)

    form = await checked_form(request)
    try:
        closes_on = forms.day(form, "cloture", "Date de clôture", required=False)
        await clients_of(request).dossier.set_campaign_closing(account.identity, form.get("annee", ""), closes_on)
    except REFUSED as exc:
        return await _campaign_page(request, account, status=422, closing_errors=messages_of(exc))
    raise web.HTTPSeeOther("/gestion/campagne?fait=cloture")


def routes(app: web.Application) -> None:
    app.router.add_post("/gestion/campagne/cloture", closing_submit)
