"""The first sign-in's "Mise à jour de sécurité": the account chooses its own password."""

from __future__ import annotations

from aiohttp import web

from services.gateway.clients import Refused, clients_of
from services.gateway.pages.account.rules import password_rules
from services.gateway.web.csrf import checked_form
from services.gateway.web.guards import CONSENTS_PATH, FIRST_LOGIN_PATH, signed_in
from services.gateway.web.render import render
from services.gateway.web.session import Account

SAVED_PATH = FIRST_LOGIN_PATH + "/mot-de-passe-enregistre"


@signed_in(allow_pending=True)
async def required_password_page(request: web.Request, account: Account) -> web.Response:
    if not account.must_change_password:
        raise web.HTTPSeeOther("/")
    return render(request, "password_required.html", rules=await password_rules(request))


@signed_in(allow_pending=True)
async def required_password_submit(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    try:
        await clients_of(request).auth.set_required_password(account.identity, form.get("nouveau", ""),
                                                             form.get("confirmation", ""))
    except Refused as exc:
        if exc.status == 409:  # already done
            raise web.HTTPSeeOther("/") from None
        return render(request, "password_required.html", status=422, rules=await password_rules(request),
                      errors=exc.messages(fields=False))
    raise web.HTTPSeeOther(SAVED_PATH)


@signed_in(allow_pending=True)
async def password_saved_page(request: web.Request, account: Account) -> web.Response:
    if account.must_change_password:
        raise web.HTTPSeeOther(FIRST_LOGIN_PATH)
    return render(request, "password_saved.html", next_url=CONSENTS_PATH if account.pending_consents else "/")


def routes(app: web.Application) -> None:
    app.router.add_get(FIRST_LOGIN_PATH, required_password_page)
    app.router.add_post(FIRST_LOGIN_PATH, required_password_submit)
    app.router.add_get(SAVED_PATH, password_saved_page)
