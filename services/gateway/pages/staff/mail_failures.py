"""Gestion: the mails of the structure that could not be delivered (notify gave up after its retries), each
with its recipients, the mail server's reason and a button to send it again; the family named links to its
page (auth says which families the caller may see)."""

from __future__ import annotations

from aiohttp import web

from services.gateway.clients import Refused, clients_of
from services.gateway.pages.staff.common import done_message, messages_of, redirect, structure_id
from services.gateway.pages.staff.family import delivery_id
from services.gateway.web.csrf import checked_form
from services.gateway.web.guards import STAFF, signed_in
from services.gateway.web.render import render
from services.gateway.web.session import Account


async def _failures_page(request: web.Request, account: Account, status: int = 200, **extra) -> web.Response:
    clients = clients_of(request)
    mails = await clients.notify.failed_mails(account.identity, structure_id(account))
    families = await clients.auth.lookup_families(
        account.identity, list(dict.fromkeys(m["family_id"] for m in mails if m["family_id"])))
    return render(request, "gestion_envois.html", status=status, section="envois", mails=mails, families=families,
                  done=done_message(request), **extra)


@signed_in(roles=STAFF)
async def failures_page(request: web.Request, account: Account) -> web.Response:
    return await _failures_page(request, account)


@signed_in(roles=STAFF)
async def resend_submit(request: web.Request, account: Account) -> web.Response:
    await checked_form(request)
    try:
        await clients_of(request).notify.resend(account.identity, delivery_id(request))
    except Refused as exc:  # (another structure's mail, or none: NotFound, the 404 page)
        return await _failures_page(request, account, status=422, errors=messages_of(exc))
    raise redirect("/gestion/envois", "renvoi")


def routes(app: web.Application) -> None:
    app.router.add_get("/gestion/envois", failures_page)
    app.router.add_post("/gestion/envois/{delivery_id}/renvoi", resend_submit)
