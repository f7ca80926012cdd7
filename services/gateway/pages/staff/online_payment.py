"""Gestion, « Paiement en ligne »: the current structure's payment backend (an eopayment module: PayFiP,
its bank's, …) and its options, in a form built from the module's own parameters (secrets never shown back:
left empty, they keep the stored value), and the online transactions of the staff's structures with their
state."""

from __future__ import annotations

from aiohttp import web

from services.gateway.clients import clients_of
from services.gateway.pages.staff.common import REFUSED, messages_of, structure_id
from services.gateway.web.csrf import checked_form
from services.gateway.web.guards import STAFF, signed_in
from services.gateway.web.render import render
from services.gateway.web.session import Account

SAVED = "✓ Le module de paiement a bien été enregistré."


async def _page(request: web.Request, account: Account, chosen: str | None, status: int = 200,
                **extra) -> web.Response:
    billing = clients_of(request).billing
    config = await billing.payment_backend(account.identity, structure_id(account), chosen)
    transactions = await billing.online_transactions(account.identity)
    return render(request, "gestion_paiement_en_ligne.html", status=status, section="paiement", config=config,
                  transactions=transactions, done=SAVED if request.query.get("fait") == "module" else None, **extra)


@signed_in(roles=STAFF)
async def online_payment_page(request: web.Request, account: Account) -> web.Response:
    return await _page(request, account, request.query.get("module", "")[:40] or None)


@signed_in(roles=STAFF)
async def online_payment_save(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    backend = str(form.get("module", ""))[:40]
    options = {k[len("param-"):]: str(v) for k, v in form.items() if k.startswith("param-")}
    try:
        await clients_of(request).billing.save_payment_backend(account.identity, structure_id(account), backend,
                                                               options)
    except REFUSED as exc:
        return await _page(request, account, backend or None, status=422, errors=messages_of(exc))
    raise web.HTTPSeeOther("/gestion/paiement-en-ligne?fait=module")


def routes(app: web.Application) -> None:
    app.router.add_get("/gestion/paiement-en-ligne", online_payment_page)
    app.router.add_post("/gestion/paiement-en-ligne", online_payment_save)
