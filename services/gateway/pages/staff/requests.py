"""Gestion: the requests awaiting the structure's decision, accepted or refused (with a reason)."""

from __future__ import annotations

from datetime import date

from aiohttp import web

from services.gateway.clients import clients_of
from services.gateway.pages.staff.common import REFUSED, done_message, messages_of, redirect, structure_id
from services.gateway.web import forms
from services.gateway.web.csrf import checked_form
from services.gateway.web.forms import FormError, uuid_or_404
from services.gateway.web.guards import STAFF, signed_in
from services.gateway.web.render import render
from services.gateway.web.session import Account


async def _requests_page(request: web.Request, account: Account, status: int = 200, **extra) -> web.Response:
    rows = await clients_of(request).booking.pending_requests(account.identity, structure_id(account))
    for r in rows:
        r["day"] = date.fromisoformat(r["date"]).strftime("%d/%m/%Y")
    return render(request, "gestion_demandes.html", status=status, section="demandes", requests=rows,
                  done=done_message(request), **extra)


@signed_in(roles=STAFF)
async def requests_page(request: web.Request, account: Account) -> web.Response:
    return await _requests_page(request, account)


@signed_in(roles=STAFF)
async def decision_submit(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    booking_id = str(uuid_or_404(request.match_info["booking_id"]))
    decision = form.get("decision")
    try:
        if decision not in ("accept", "refuse"):
            raise FormError("Choisissez Accepter ou Refuser.")
        await clients_of(request).booking.decide(account.identity, booking_id, decision,
                                                 forms.text(form, "motif", 300) or None)
    except REFUSED as exc:
        return await _requests_page(request, account, status=422, errors=messages_of(exc))
    raise redirect("/gestion/demandes", "decision")


def routes(app: web.Application) -> None:
    app.router.add_get("/gestion/demandes", requests_page)
    app.router.add_post("/gestion/demandes/{booking_id}", decision_submit)
