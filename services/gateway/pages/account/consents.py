"""The RGPD notice and the CGU: an account accepts the versions in force before anything else."""

from __future__ import annotations

from aiohttp import web

from services.gateway.clients import Refused, clients_of
from services.gateway.web.csrf import checked_form
from services.gateway.web.guards import CONSENTS_PATH, FIRST_LOGIN_PATH, signed_in
from services.gateway.web.render import render
from services.gateway.web.session import Account


async def _pending_documents(request: web.Request, account: Account) -> list[dict]:
    pending = {p["kind"] for p in account.pending_consents}
    return [d for d in await clients_of(request).auth.legal_documents(account.identity) if d["kind"] in pending]


@signed_in(allow_pending=True)
async def consents_page(request: web.Request, account: Account) -> web.Response:
    if account.must_change_password:
        raise web.HTTPSeeOther(FIRST_LOGIN_PATH)
    if not account.pending_consents:
        raise web.HTTPSeeOther("/")
    return render(request, "consents.html", documents=await _pending_documents(request, account))


@signed_in(allow_pending=True)
async def consents_submit(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    accepted = [kind for kind in ("rgpd", "cgu") if form.get(f"accepte_{kind}") == "oui"]
    try:
        await clients_of(request).auth.accept(account.identity, accepted)
    except Refused as exc:
        return render(request, "consents.html", status=422, documents=await _pending_documents(request, account),
                      errors=exc.messages(fields=False))
    raise web.HTTPSeeOther("/")


def routes(app: web.Application) -> None:
    app.router.add_get(CONSENTS_PATH, consents_page)
    app.router.add_post(CONSENTS_PATH, consents_submit)
