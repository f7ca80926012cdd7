"""Sign-in and sign-out, and the choice of the current structure (staff)."""

from __future__ import annotations

from aiohttp import web

from services.gateway.clients import Forbidden, NotFound, Refused, clients_of
from services.gateway.web.csrf import checked_form
from services.gateway.web.guards import LOGIN_PATH, safe_next, signed_in
from services.gateway.web.render import render
from services.gateway.web.session import (
    Account,
    account_of,
    client_address,
    drop_session_cookie,
    set_session_cookie,
)


async def login_page(request: web.Request) -> web.Response:
    if account_of(request):
        raise web.HTTPSeeOther(safe_next(request.query.get("suite")))
    return render(request, "login.html", suite=safe_next(request.query.get("suite")))


async def login_submit(request: web.Request) -> web.Response:
    form = await checked_form(request)
    login, password = form.get("identifiant", "").strip(), form.get("mot_de_passe", "")
    suite = safe_next(form.get("suite"))
    if not login or not password:
        return render(request, "login.html", status=400, suite=suite, identifiant=login,
                      error="Saisissez votre identifiant et votre mot de passe.")
    try:
        session = await clients_of(request).auth.login(login, password, client_address(request))
    except Refused as exc:
        return render(request, "login.html", status=429 if exc.status == 429 else 401, suite=suite,
                      identifiant=login, error=exc.detail_given or "Identifiant ou mot de passe incorrect.")
    response = web.HTTPSeeOther(suite)
    set_session_cookie(request, response, session["session_token"])
    raise response


async def logout(request: web.Request) -> web.Response:
    await checked_form(request)
    account = account_of(request)
    if account:
        await clients_of(request).auth.logout(account.identity)
    response = web.HTTPSeeOther(LOGIN_PATH)
    drop_session_cookie(response)
    raise response


@signed_in()
async def choose_structure(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    try:
        await clients_of(request).auth.choose_structure(account.identity, form.get("structure", ""))
    except (Refused, NotFound, Forbidden):
        raise web.HTTPForbidden(text="Vous n'avez pas accès à cette structure.") from None
    raise web.HTTPSeeOther(safe_next(form.get("suite")))


def routes(app: web.Application) -> None:
    r = app.router
    r.add_get(LOGIN_PATH, login_page)
    r.add_post(LOGIN_PATH, login_submit)
    r.add_post("/deconnexion", logout)
    r.add_post("/structure", choose_structure)
