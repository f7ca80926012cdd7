"""Gestion: the dashboard (requests awaiting a decision, sheets awaiting review) and the structure's news."""

from __future__ import annotations

from aiohttp import web

from services.gateway.clients import clients_of
from services.gateway.pages.staff.common import REFUSED, done_message, messages_of, redirect, structure_id
from services.gateway.web.csrf import checked_form
from services.gateway.web.guards import STAFF, signed_in
from services.gateway.web.render import render
from services.gateway.web.session import Account


@signed_in(roles=STAFF)
async def dashboard(request: web.Request, account: Account) -> web.Response:
    sid = account.current_structure_id
    pending = sheets = None
    if sid:
        clients = clients_of(request)
        pending = len(await clients.booking.pending_requests(account.identity, sid))
        queue = await clients.dossier.review_queue(account.identity)
        sheets = len(queue) if queue is not None else None
    return render(request, "gestion.html", section="tableau", pending=pending, sheets=sheets)


async def _news_page(request: web.Request, account: Account, status: int = 200, **extra) -> web.Response:
    structures = await clients_of(request).auth.structures(account.identity)
    current = next((s for s in structures if s["id"] == account.current_structure_id), None)
    context = {"news_html": current["news_html"] if current else "", **extra}
    return render(request, "gestion_actualites.html", status=status, section="actualites",
                  done=done_message(request), **context)


@signed_in(roles=STAFF)
async def news_page(request: web.Request, account: Account) -> web.Response:
    structure_id(account)
    return await _news_page(request, account)


@signed_in(roles=STAFF)
async def news_submit(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    sid = structure_id(account)
    try:  # auth, which owns the news, removes scripts and the like
        await clients_of(request).auth.publish_news(account.identity, sid, form.get("actualites", ""))
    except REFUSED as exc:
        return await _news_page(request, account, status=422, errors=messages_of(exc),
                                news_html=form.get("actualites", ""))
    raise redirect("/gestion/actualites", "actualites")


def routes(app: web.Application) -> None:
    app.router.add_get("/gestion", dashboard)
    app.router.add_get("/gestion/actualites", news_page)
    app.router.add_post("/gestion/actualites", news_submit)
