"""Password reset: asking for a link by mail, and choosing a new password from it."""

from __future__ import annotations

from aiohttp import web

from services.gateway.clients import Refused, clients_of
from services.gateway.pages.account.rules import password_rules
from services.gateway.web.csrf import checked_form
from services.gateway.web.render import render
from services.gateway.web.session import drop_session_cookie

SENT_PATH, DONE_PATH = "/reinitialisation/demande-envoyee", "/reinitialisation/mot-de-passe-enregistre"


async def reset_request_page(request: web.Request) -> web.Response:
    return render(request, "reset_request.html")


async def reset_request_submit(request: web.Request) -> web.Response:
    form = await checked_form(request)
    login, email = form.get("identifiant", "").strip(), form.get("courriel", "").strip()
    if not login or not email:
        return render(request, "reset_request.html", status=400, identifiant=login, courriel=email,
                      error="Saisissez votre identifiant et votre adresse courriel.")
    try:
        await clients_of(request).auth.request_reset(login, email)
    except Refused:
        return render(request, "reset_request.html", status=400, identifiant=login, courriel=email,
                      error="Votre demande n'a pas pu être enregistrée. Vérifiez votre saisie.")
    raise web.HTTPSeeOther(SENT_PATH)


async def reset_sent_page(request: web.Request) -> web.Response:
    return render(request, "reset_sent.html")


async def reset_form_page(request: web.Request) -> web.Response:
    token = request.match_info["token"]
    if not await clients_of(request).auth.reset_link_valid(token):
        return render(request, "reset_invalid.html", status=410)
    return render(request, "reset_form.html", rules=await password_rules(request), token=token)


async def reset_form_submit(request: web.Request) -> web.Response:
    form = await checked_form(request)
    token = request.match_info["token"]
    auth = clients_of(request).auth
    try:
        await auth.reset_password(token, form.get("nouveau", ""), form.get("confirmation", ""))
    except Refused as exc:
        if exc.status == 410 or exc.status == 422 and not await auth.reset_link_valid(token):
            return render(request, "reset_invalid.html", status=410)
        return render(request, "reset_form.html", status=422, rules=await password_rules(request), token=token,
                      errors=exc.messages(fields=False))
    response = web.HTTPSeeOther(DONE_PATH)
    drop_session_cookie(response)
    return response


async def reset_done_page(request: web.Request) -> web.Response:
    return render(request, "reset_done.html")


def routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/reinitialisation", reset_request_page)
    r.add_post("/reinitialisation", reset_request_submit)
    # the pages after a change (POST/redirect/GET), declared before the token's path that would take them
    r.add_get(SENT_PATH, reset_sent_page)
    r.add_get(DONE_PATH, reset_done_page)
    r.add_get("/reinitialisation/{token}", reset_form_page)
    r.add_post("/reinitialisation/{token}", reset_form_submit)
