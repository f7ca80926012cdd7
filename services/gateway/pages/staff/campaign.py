"""Gestion, « Campagne »: how far the current structure's families have got with the open dossier campaign
(per sheet kind, the families in each state), the families that have not started with the day each was
last reminded, and the reminder sent to them in one click (dossier mails each family at most once a day)."""

from __future__ import annotations

from datetime import date

from aiohttp import web

from services.gateway.clients import clients_of
from services.gateway.pages.staff import campaign_closing
from services.gateway.pages.staff.campaign_closing import closing_of
from services.gateway.pages.staff.common import REFUSED, messages_of, structure_id
from services.gateway.web.csrf import checked_form
from services.gateway.web.guards import STAFF, signed_in
from services.gateway.web.render import render
from services.gateway.web.session import Account


def _count(request: web.Request, name: str) -> int:
    raw = request.query.get(name, "")
    return int(raw) if raw.isdigit() and len(raw) < 7 else 0


def closing_notice(request: web.Request) -> str | None:
    return "✓ La date de clôture de la campagne a bien été enregistrée" if request.query.get("fait") == "cloture" else None


def reminder_notice(request: web.Request) -> str | None:
    """What the last click did, told after the redirect."""
    if request.query.get("fait") != "relance":
        return None
    sent, already = _count(request, "relancees"), _count(request, "deja")
    text = f"✓ Relance envoyée : {sent} famille(s) relancée(s) par courriel"
    if already:
        text += f" ; {already} famille(s) déjà relancée(s) aujourd'hui, non relancée(s) une seconde fois"
    return text + "."


async def _campaign_page(request: web.Request, account: Account, status: int = 200, **extra) -> web.Response:
    found = await clients_of(request).dossier.campaign_progress(account.identity, structure_id(account))
    for family in (found or {}).get("not_started", []):
        day = family.get("last_reminded_on")
        family["last_reminded"] = date.fromisoformat(day).strftime("%d/%m/%Y") if day else ""
    return render(request, "gestion_campagne.html", status=status, section="campagne", progress=found,
                  done=reminder_notice(request) or closing_notice(request), closing=await closing_of(request, account),
                  **extra)


@signed_in(roles=STAFF)
async def campaign_page(request: web.Request, account: Account) -> web.Response:
    return await _campaign_page(request, account)


@signed_in(roles=STAFF)
async def remind_submit(request: web.Request, account: Account) -> web.Response:
    await checked_form(request)
    try:
        done = await clients_of(request).dossier.remind(account.identity, structure_id(account))
    except REFUSED as exc:
        return await _campaign_page(request, account, status=422, errors=messages_of(exc))
    raise web.HTTPSeeOther(f"/gestion/campagne?fait=relance&relancees={int(done['reminded'])}"
                           f"&deja={int(done['already'])}")


def routes(app: web.Application) -> None:
    app.router.add_get("/gestion/campagne", campaign_page)
    app.router.add_post("/gestion/campagne/relance", remind_submit)
    campaign_closing.routes(app)  # the campaign's closing day (issue 19)
