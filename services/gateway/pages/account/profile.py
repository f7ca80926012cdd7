"""The profile: changing the password, and the account's mail addresses (with the password)."""

from __future__ import annotations

from aiohttp import web

from services.gateway.clients import Refused, clients_of
from services.gateway.pages.account.reminders import reminders_of
from services.gateway.pages.account.rules import password_rules
from services.gateway.web.csrf import checked_form
from services.gateway.web.guards import signed_in
from services.gateway.web.render import render
from services.gateway.web.session import Account


@signed_in()
async def profile_page(request: web.Request, account: Account) -> web.Response:
    return render(request, "profile.html", rules=await password_rules(request), emails="; ".join(account.emails),
                  done=request.query.get("fait"), reminders=await reminders_of(request, account))


@signed_in()
async def profile_password(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    try:
        await clients_of(request).auth.change_password(account.identity, form.get("actuel", ""),
                                                       form.get("nouveau", ""), form.get("confirmation", ""))
    except Refused as exc:
        return render(request, "profile.html", status=422, rules=await password_rules(request),
                      emails="; ".join(account.emails), password_errors=exc.messages(fields=False))
    raise web.HTTPSeeOther("/profil?fait=mot-de-passe")


@signed_in()
async def profile_emails(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    try:
        await clients_of(request).auth.change_emails(account.identity, form.get("courriels", ""),
                                                     form.get("mot_de_passe_courriels", ""))
    except Refused as exc:
        return render(request, "profile.html", status=429 if exc.status == 429 else 422,
                      rules=await password_rules(request), emails=form.get("courriels", ""),
                      email_errors=exc.messages(fields=False))
    raise web.HTTPSeeOther("/profil?fait=courriels")


def routes(app: web.Application) -> None:
    app.router.add_get("/profil", profile_page)
    app.router.add_post("/profil/mot-de-passe", profile_password)
    app.router.add_post("/profil/courriels", profile_emails)
